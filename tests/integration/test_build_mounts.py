"""RUN --mount: secrets readable during the step and in no layer (engine and CLI), cache directories that outlive
a build, binds of the context or a stage (writable ones throwing their writes away), tmpfs."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from hydock import Engine
from tests.integration.build_support import build, layer_members, run, write_files
from tests.integration.conftest import Cli


@pytest.fixture
def context(tmp_path: Path) -> Path:
    return write_files(tmp_path / "context", {"dir/a.txt": "a\n", "dir/sub/b.txt": "b\n"})


def test_secrets_are_readable_in_run_and_in_no_layer(engine: Engine, image: str, context: Path) -> None:
    dockerfile = (
        "FROM busybox\n"
        "RUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -c1-64 > /seen\n"
        "RUN --mount=type=secret,id=token,target=/etc/token,required=true wc -c < /etc/token > /size\n"
    )
    built = build(engine, context, dockerfile, secrets={"token": b"s3cr3t-value"})
    script = "cat /seen /size; test -e /run || echo no /run; test -e /etc/token || echo no /etc/token"
    digest = hashlib.sha256(b"s3cr3t-value").hexdigest()
    assert run(engine, built.image_id, script) == f"{digest}\n12\nno /run\nno /etc/token\n"
    for names in layer_members(engine, built.image_id)[1:]:
        assert names in (["seen"], ["size"]), "neither the secret nor its mount point is in a layer"
    for descriptor_path in (engine.root / "blobs" / "sha256").iterdir():
        assert b"s3cr3t-value" not in _gunzip(descriptor_path)


def _gunzip(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_run_mounts(engine: Engine, image: str, context: Path) -> None:
    dockerfile = """\
FROM busybox AS data
RUN mkdir /data && echo from-stage > /data/value
FROM busybox
RUN --mount=type=cache,target=/cache,id=counter sh -c 'echo x >> /cache/count; wc -l < /cache/count > /count'
RUN --mount=type=bind,source=dir,target=/ctx cat /ctx/a.txt /ctx/sub/b.txt > /bound
RUN --mount=type=bind,from=data,source=/data,target=/mnt cat /mnt/value > /from-stage
RUN --mount=type=bind,source=dir,target=/ctx,rw touch /ctx/scribble && test ! -e /ctx/scribble-gone
RUN --mount=type=tmpfs,target=/scratch,size=1m sh -c 'echo temp > /scratch/t && mount | grep -c " /scratch " > /tmpfs'
RUN <<EOF
#!/bin/sh
echo "a script, run as a file: $0" > /script
EOF
"""
    built = build(engine, context, dockerfile)
    out = run(engine, built.image_id, "cat /count /bound /from-stage /tmpfs /script; test -e /dev/pipes || echo ok")
    assert out == "1\na\nb\nfrom-stage\n1\na script, run as a file: /dev/pipes/EOF\nok\n"
    assert not (context / "dir" / "scribble").exists(), "a writable bind throws its writes away"
    rerun = build(engine, context, dockerfile.replace("wc -l", "wc -l "), no_cache=True)
    assert run(engine, rerun.image_id, "cat /count") == "2\n", "a cache mount keeps its files between builds"
    leftovers = run(engine, built.image_id, "for d in /cache /ctx /mnt /scratch; do test -e $d && echo $d; done; true")
    assert leftovers == "", "mount points are not part of any layer"


def test_cli_secret(cli: Cli, busybox_tar: Path, context: Path, tmp_path: Path) -> None:
    assert cli("import", str(busybox_tar), "busybox:latest").returncode == 0
    (tmp_path / "token").write_text("t0ken")
    (context / "Dockerfile").write_text(
        "FROM busybox\nRUN --mount=type=secret,id=api wc -c < /run/secrets/api > /length\n"
    )
    built = cli("build", "-q", "--secret", f"id=api,src={tmp_path / 'token'}", str(context))
    assert built.returncode == 0, built.stderr
    assert cli("run", "--rm", built.stdout.decode().strip(), "cat", "/length").stdout == b"5\n"
