"""COPY and ADD by Docker's rules: destinations, wildcards, --chown/--chmod/--parents/--exclude, --from a stage,
an index or an image, ADD's local archives and URLs; RUN --mount cache, bind and tmpfs; outputs."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hydock import Engine
from hydock.api_types import BuildOutput
from hydock.errors import BuildError
from tests.integration.build_support import build, run, write_files


@pytest.fixture
def context(tmp_path: Path) -> Path:
    files = {"dir/a.txt": "a\n", "dir/sub/b.txt": "b\n", "one.txt": "one\n", "two.md": "two\n"}
    path = write_files(tmp_path / "context", {**files, "script.sh": "#!/bin/sh\necho script\n"})
    (path / "script.sh").chmod(0o755)
    return path


def test_destination_rules(engine: Engine, image: str, context: Path) -> None:
    dockerfile = """\
FROM busybox
WORKDIR /w
COPY one.txt /file-dest
COPY one.txt /dir-dest/
COPY one.txt .
COPY dir /contents/
COPY *.txt *.md /globbed/
COPY dir/sub/*.txt /bin/
COPY --chown=app:staff --chmod=640 one.txt /owned
COPY --chown=1234 dir /numeric/
COPY --parents dir/sub/b.txt /parents/
COPY --exclude=*.md --exclude=sub . /excluded/
"""
    built = build(engine, context, dockerfile)
    script = (
        "cat /file-dest /dir-dest/one.txt /w/one.txt; ls /contents; ls /contents/sub; ls /globbed; ls -l /bin/b.txt; "
        "stat -c '%U:%G %a' /owned; stat -c '%u:%g' /numeric /numeric/a.txt; ls -R /parents | tr '\\n' ' '; echo; "
        "ls /excluded"
    )
    lines = run(engine, built.image_id, script).splitlines()
    assert lines[:3] == ["one"] * 3
    assert lines[3:6] == ["a.txt", "sub", "b.txt"]  # a directory's contents, not the directory
    assert lines[6:8] == ["one.txt", "two.md"]
    assert lines[8].endswith("/bin/b.txt"), "copied through /bin, a directory of the image"
    assert lines[9:12] == ["app:staff 640", "1234:1234", "1234:1234"]
    assert lines[12].split() == ["/parents:", "dir", "/parents/dir:", "sub", "/parents/dir/sub:", "b.txt"]
    assert lines[13:] == ["Dockerfile", "dir", "one.txt", "script.sh"]


def test_copy_errors(engine: Engine, image: str, context: Path) -> None:
    with pytest.raises(BuildError, match="destination must be a directory and end with a /"):
        build(engine, context, "FROM busybox\nCOPY one.txt two.md /nodir\n")
    with pytest.raises(BuildError, match="file not found in build context or excluded by .dockerignore"):
        build(engine, context, "FROM busybox\nCOPY missing.txt /\n")
    with pytest.raises(BuildError, match="no source files were specified"):
        build(engine, context, "FROM busybox\nCOPY *.none /\n")
    # Sources cannot leave the context: `..` stops at its root.
    built = build(engine, context, "FROM busybox\nCOPY ../../one.txt /escaped\n")
    assert run(engine, built.image_id, "cat /escaped") == "one\n"


def test_stages_in_parallel_target_and_copy_from(engine: Engine, image: str, context: Path) -> None:
    dockerfile = """\
FROM busybox AS first
RUN sleep 1; echo first > /first
FROM busybox AS second
RUN sleep 1; echo second > /second
FROM busybox AS unused
RUN exit 1
FROM scratch AS final
COPY --from=first /first /
COPY --from=1 /second /
COPY --from=busybox /bin/busybox /bin/sh
"""
    built = build(engine, context, dockerfile, tags=["stages:1"])
    happened = [(event.number, event.status) for event in built.events]
    assert happened.index((4, "running")) < happened.index((2, "done")), "independent stages run at the same time"
    assert "RUN exit 1" not in built.output, "stages the target does not need are skipped"
    second = built.output.index("Step 3/8 : FROM busybox AS second")
    assert built.output.index("Step 2/8 : RUN sleep 1; echo first") < second, "output comes in file order"
    assert run(engine, "stages:1", "cat /first /second") == "first\nsecond\n"
    only_second = build(engine, context, dockerfile, target="second")
    assert only_second.output.count("Step ") == 2


def test_add_archives_and_urls(engine: Engine, image: str, context: Path) -> None:
    for name, mode in (("bundle.tar.gz", "w:gz"), ("bundle.tar.xz", "w:xz"), ("bundle.tar.bz2", "w:bz2")):
        with tarfile.open(context / name, mode) as archive:
            data = f"from {name}\n".encode()
            info = tarfile.TarInfo("inside/file.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (context / "not-an-archive.gz").write_bytes(b"\x1f\x8b plain bytes")
    payload = b"downloaded content\n"
    with _http_server(payload) as url:
        checksum = "sha256:" + hashlib.sha256(payload).hexdigest()
        dockerfile = f"""\
FROM busybox
ADD bundle.tar.gz /gz/
ADD bundle.tar.xz /xz
ADD bundle.tar.bz2 /bz2/
ADD not-an-archive.gz /kept/
ADD --checksum={checksum} {url}/files/remote.txt /remote/
ADD {url}/files/remote.txt /renamed.txt
"""
        built = build(engine, context, dockerfile)
        with pytest.raises(BuildError, match="digest mismatch"):
            build(engine, context, f"FROM busybox\nADD --checksum=sha256:{'0' * 64} {url}/files/x /x\n")
    script = "cat /gz/inside/file.txt /xz/inside/file.txt /bz2/inside/file.txt; ls /kept; cat /remote/remote.txt; "
    script += "stat -c %a /renamed.txt"
    assert run(engine, built.image_id, script).splitlines() == [
        "from bundle.tar.gz", "from bundle.tar.xz", "from bundle.tar.bz2", "not-an-archive.gz",
        "downloaded content", "600",
    ]  # fmt: skip


class _Files(http.server.BaseHTTPRequestHandler):
    payload = b""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.send_header("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT")
        self.end_headers()
        self.wfile.write(self.payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _http_server(payload: bytes) -> Iterator[str]:
    handler = type("Handler", (_Files,), {"payload": payload})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_outputs(engine: Engine, image: str, context: Path, tmp_path: Path) -> None:
    dockerfile = "FROM busybox\nCOPY one.txt /one.txt\n"
    outputs = [
        BuildOutput("local", {"dest": str(tmp_path / "local")}),
        BuildOutput("tar", {"dest": str(tmp_path / "files.tar")}),
        BuildOutput("oci", {"dest": str(tmp_path / "image.tar")}),
    ]
    build(engine, context, dockerfile, outputs=outputs)
    assert (tmp_path / "local" / "one.txt").read_text() == "one\n"
    assert (tmp_path / "local" / "bin" / "busybox").is_file()
    with tarfile.open(tmp_path / "files.tar") as files:
        assert "one.txt" in files.getnames() and "bin/busybox" in files.getnames()
    with tarfile.open(tmp_path / "image.tar") as archive:
        assert {"index.json", "oci-layout", "manifest.json"} <= set(archive.getnames())
