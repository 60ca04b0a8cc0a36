#!/usr/bin/env bash
# Runs the whole test suite: the Rust crates' tests, then the Python unit and integration tests
# (real containers: run as root). Installs what it needs first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
source tools/venv.sh
cargo test --workspace --exclude hydock-py --quiet
"$HYDOCK_VENV/bin/python" -m pytest tests "$@"
