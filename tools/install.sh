#!/usr/bin/env bash
# Installs everything hydock needs on a fresh Debian 12 machine (as root), builds and installs
# hydock into its virtual environment with `hydock` and `hydockd` on the PATH, and imports a small
# busybox image. With --run, also runs a container from it.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/venv.sh

# skopeo, umoci and docker-registry are the real registry peers the interop tests talk to;
# debootstrap makes the Debian image the pull benchmark moves; tmux is the terminal of the -it tests;
# docker-compose (1.29, on Debian's python3-docker) is the compose client the interop tests drive.
APT_PACKAGES=(python3 python3-pip busybox-static ca-certificates openssl nftables iptables skopeo umoci docker-registry debootstrap tmux docker-compose)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "install.sh: a Rust toolchain (cargo) is required" >&2; exit 1; }

# The venv's interpreter is the distribution's: Debian builds CPython with PGO and LTO, and the CLI's imports run
# 13 ms faster on it than on a CPython built from source (pyenv's, first on this machine kind's PATH). The venv has
# no pip or setuptools of its own (the system's pip installs into it): setuptools' .pth hook alone would cost each
# command half a millisecond. A venv made from another interpreter is made again.
SYSTEM_PYTHON=/usr/bin/python3
if ! grep -qx "home = ${SYSTEM_PYTHON%/*}" "$HYDOCK_VENV/pyvenv.cfg" 2>/dev/null; then
    "$SYSTEM_PYTHON" -m venv --clear --without-pip "$HYDOCK_VENV"
fi
pip_install() {
    "$SYSTEM_PYTHON" -m pip --python "$HYDOCK_VENV/bin/python" install -q --disable-pip-version-check "$@"
}
pip_install "maturin>=1.5,<2" "click>=8.1" "msgspec>=0.18" "aiohttp>=3.9" "bcrypt>=4" "PyJWT>=2.8" "cryptography>=41" \
    "pyroute2>=0.9" "docker>=7" "pytest>=8" "pytest-benchmark>=4"
"$HYDOCK_VENV/bin/python" -m maturin build --release --quiet --out target/wheels/hydock-dist >/dev/null
pip_install --force-reinstall --no-deps target/wheels/hydock-dist/hydock-*.whl
rm -rf target/wheels/hydock-dist
ln -sf "$HYDOCK_VENV/bin/hydock" "$HYDOCK_VENV/bin/hydockd" /usr/local/bin/

hydock="$HYDOCK_VENV/bin/hydock"
if ! "$hydock" images -q busybox | grep -q .; then
    "$HYDOCK_VENV/bin/python" tools/busybox_rootfs.py - | "$hydock" import - busybox:latest >/dev/null
fi
if [ "${1:-}" = "--run" ]; then
    "$hydock" run --rm busybox echo "hello from a hydock container"
fi
