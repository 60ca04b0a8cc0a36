"""Real registries for the client's tests: Debian's docker-registry (distribution 2.8) on a free port, images
put into it with skopeo from OCI layouts built here, and a proxy in front of it that can drop or corrupt a
blob download, counting what it forwards."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from aiohttp import ClientSession, web
from multidict import CIMultiDict


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DockerRegistry:
    """distribution's `registry serve`, optionally behind htpasswd basic auth."""

    def __init__(
        self, root: Path, htpasswd: Path | None = None, *, host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None
    ) -> None:
        if shutil.which("docker-registry") is None:
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        self.port = free_port()
        self.address = f"{host}:{self.port}"
        auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n" if htpasswd else ""
        tls_section = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n" if tls else ""
        config = root / "registry.yml"
        config.write_text(
            f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
            f"  delete:\n    enabled: true\n{auth}http:\n  addr: {self.address}\n{tls_section}"
        )
        self.log = open(root / "registry.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((host, self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"docker-registry did not start: {(root / 'registry.log').read_text()}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)
        self.log.close()


def oci_layout(rootfs_tar: Path, out: Path, platforms: list[tuple[str, str]], tag: str = "latest") -> None:
    """An OCI image layout with one image per (os, architecture) (an index when several), each a gzip layer
    of `rootfs_tar` plus a file naming its platform, so each platform's image is distinct."""
    blobs = out / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    manifests = []
    base = rootfs_tar.read_bytes()
    for os_name, arch in platforms:
        raw = _with_file(base, "platform", f"{os_name}/{arch}\n".encode())
        layer = blob(gzip.compress(raw, mtime=0))
        config = blob(json.dumps({
            "architecture": arch, "os": os_name, "created": "2026-01-01T00:00:00Z", "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "registry_support"}],
        }).encode())  # fmt: skip
        manifest = blob(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        }).encode())  # fmt: skip
        manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
                          "platform": {"os": os_name, "architecture": arch}})  # fmt: skip
    if len(manifests) > 1:
        index = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                 "manifests": manifests}).encode())  # fmt: skip
        top = {"mediaType": "application/vnd.oci.image.index.v1+json", **index}
    else:
        top = {key: value for key, value in manifests[0].items() if key != "platform"}
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (out / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def _with_file(tar_bytes: bytes, name: str, content: bytes) -> bytes:
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as source, tarfile.open(fileobj=out, mode="w") as target:
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo(name)
        info.size = len(content)
        target.addfile(info, io.BytesIO(content))
    return out.getvalue()


def skopeo_copy(source: str, destination: str, *extra: str) -> None:
    done = subprocess.run(
        ["skopeo", "copy", "--dest-tls-verify=false", "--src-tls-verify=false", *extra, source, destination],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()


class FaultyProxy:
    """A reverse proxy to `upstream` that counts blob GETs and, on request, cuts the first download of a blob
    short (the connection drops mid-body) or flips a byte in every download of it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.blob_gets: Counter[str] = Counter()
        self.drop_once: set[str] = set()
        self.corrupt: set[str] = set()
        self.ranges: list[str] = []
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(10)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        started.set()
        self._loop.run_forever()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        # Several Accept headers are usual (skopeo sends one per manifest type): keep every one.
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length"))
        blob = request.path.rsplit("/", 1)[-1] if "/blobs/sha256:" in request.path else None
        if blob and request.method == "GET":
            self.blob_gets[blob] += 1
            if "Range" in request.headers:
                self.ranges.append(request.headers["Range"])
        async with ClientSession(auto_decompress=False) as session, session.request(
            request.method, f"http://{self.upstream}{request.path_qs}", headers=headers,
            data=await request.read(), allow_redirects=False,
        ) as upstream:  # fmt: skip
            body = await upstream.read()
            out_headers = {k: v for k, v in upstream.headers.items()
                           if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")}  # fmt: skip
            if blob and request.method == "GET" and blob in self.corrupt and body:
                body = bytes([body[0] ^ 0xFF]) + body[1:]
            if blob and request.method == "GET" and blob in self.drop_once and len(body) > 1:
                self.drop_once.discard(blob)
                response = web.StreamResponse(status=upstream.status, headers=out_headers)
                response.content_length = len(body)
                await response.prepare(request)
                await response.write(body[: len(body) // 2])
                assert request.transport is not None
                request.transport.close()
                return response
            return web.Response(status=upstream.status, headers=out_headers, body=body)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
