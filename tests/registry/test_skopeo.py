"""Interop: the real `skopeo` pushes an OCI archive of busybox to our registry, inspects it, lists its tags,
copies it back out and between repositories, with no auth, basic auth and bearer tokens."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests

from tests.registry.conftest import Server, StartServer
from tests.registry.keys import write_htpasswd, write_private_key, write_public_key


class Skopeo:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "REGISTRY_AUTH_FILE": str(home / "auth.json"), "HOME": str(home)}

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                                env=self.env, timeout=120)  # fmt: skip
        if check:
            assert result.returncode == 0, result.stderr
        return result


@pytest.fixture
def skopeo(tmp_path: Path) -> Skopeo:
    if shutil.which("skopeo") is None:
        pytest.fail("skopeo is required for the registry interop tests (tools/install.sh installs it)")
    home = tmp_path / "skopeo-home"
    home.mkdir()
    return Skopeo(home)


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


class OciImage:
    """An OCI archive (a tarred image layout) of one busybox layer, and the digests it holds."""

    def __init__(self, rootfs: Path, path: Path) -> None:
        raw = rootfs.read_bytes()
        layer = gzip.compress(raw, mtime=0)
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                             "rootfs": {"type": "layers", "diff_ids": [_digest(raw)]}}).encode()  # fmt: skip
        self.layer_digest, self.config_digest = _digest(layer), _digest(config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.config_digest,
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": self.layer_digest,
                        "size": len(layer)}]}).encode()  # fmt: skip
        self.manifest_digest = _digest(manifest)
        index = json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": self.manifest_digest,
            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}).encode()  # fmt: skip
        with tarfile.open(path, "w") as archive:
            _add(archive, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
            _add(archive, "index.json", index)
            for blob in (layer, config, manifest):
                _add(archive, f"blobs/sha256/{_digest(blob).removeprefix('sha256:')}", blob)
        self.path = path


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def busybox_oci(busybox_tar: Path, tmp_path: Path) -> OciImage:
    return OciImage(busybox_tar, tmp_path / "busybox-oci.tar")


def test_push_inspect_list_pull_and_copy(
    skopeo: Skopeo, registry: Server, registry_root: Path, busybox_oci: OciImage, tmp_path: Path
) -> None:
    dest = f"docker://{registry.host}/library/busybox"
    skopeo("copy", "--dest-tls-verify=false", f"oci-archive:{busybox_oci.path}:latest", f"{dest}:1.36")
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"{dest}:1.36", f"{dest}:latest")

    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"{dest}:1.36").stdout)
    assert inspected["Digest"] == busybox_oci.manifest_digest
    assert inspected["Layers"] == [busybox_oci.layer_digest]
    assert inspected["Os"] == "linux" and inspected["Architecture"] == "amd64"
    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"{dest}:latest").stdout
    assert _digest(raw.encode()) == busybox_oci.manifest_digest

    tags = json.loads(skopeo("list-tags", "--tls-verify=false", dest).stdout)
    assert sorted(tags["Tags"]) == ["1.36", "latest"]

    out = tmp_path / "pulled"
    skopeo("copy", "--src-tls-verify=false", f"{dest}:1.36", f"oci:{out}:1.36")
    pulled = out / "blobs/sha256" / busybox_oci.layer_digest.removeprefix("sha256:")
    assert _digest(pulled.read_bytes()) == busybox_oci.layer_digest

    # Into another repository of the same registry: the layer is mounted, not stored again.
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"{dest}:1.36",
           f"docker://{registry.host}/mirror/busybox:1.36")  # fmt: skip
    blobs = [path.name for path in (registry_root / "blobs/sha256").iterdir()]
    assert blobs.count(busybox_oci.layer_digest.removeprefix("sha256:")) == 1
    catalog = requests.get(f"{registry.url}/v2/_catalog").json()
    assert catalog == {"repositories": ["library/busybox", "mirror/busybox"]}


def test_basic_auth_with_creds(
    skopeo: Skopeo, start_server: StartServer, tmp_path: Path, busybox_oci: OciImage
) -> None:
    htpasswd = write_htpasswd(tmp_path / "htpasswd", {"alice": "wonderland"})
    server = start_server("serve", "--root", str(tmp_path / "root"), "--htpasswd", str(htpasswd))
    dest = f"docker://{server.host}/private/busybox:1"
    source = f"oci-archive:{busybox_oci.path}:latest"
    anonymous = skopeo("copy", "--dest-tls-verify=false", source, dest, check=False)
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.lower()
    wrong = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:nope", source, dest, check=False)
    assert wrong.returncode != 0
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonderland", source, dest)
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", "--creds", "alice:wonderland", dest).stdout)
    assert inspected["Digest"] == busybox_oci.manifest_digest


def test_token_auth_with_creds(
    skopeo: Skopeo, start_server: StartServer, tmp_path: Path, busybox_oci: OciImage
) -> None:
    htpasswd = write_htpasswd(tmp_path / "htpasswd", {"alice": "wonderland"})
    private = write_private_key(tmp_path / "signing.pem")
    token_server = start_server("token-server", "--key", str(private), "--htpasswd", str(htpasswd),
                                "--issuer", "test-issuer")  # fmt: skip
    server = start_server(
        "serve", "--root", str(tmp_path / "root"), "--token-realm", f"{token_server.url}/token",
        "--token-service", "test-registry", "--token-issuer", "test-issuer",
        "--token-key", str(write_public_key(private, tmp_path / "signing.pub")),
    )  # fmt: skip
    dest = f"docker://{server.host}/team/busybox:1"
    source = f"oci-archive:{busybox_oci.path}:latest"
    anonymous = skopeo("copy", "--dest-tls-verify=false", source, dest, check=False)
    assert anonymous.returncode != 0
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonderland", source, dest)
    tags = json.loads(skopeo("list-tags", "--tls-verify=false", "--creds", "alice:wonderland", dest[:-2]).stdout)
    assert tags["Tags"] == ["1"]
