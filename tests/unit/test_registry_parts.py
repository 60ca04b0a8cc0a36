"""The registry client's pure parts: challenges, X-Registry-Auth, endpoints, manifests and platforms, and
config.json credentials (with a real credential helper program)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import msgspec
import pytest

from hydock.registry import credentials
from hydock.registry.auth import AuthConfig, decode_registry_auth, encode_registry_auth, parse_challenges
from hydock.registry.endpoints import endpoints, is_insecure
from hydock.registry.manifests import ManifestError, PlatformSpec, parse, parse_platform, select
from hydock.store.records import Index, Manifest


def test_bearer_and_basic_challenges() -> None:
    (bearer,) = parse_challenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'
    )
    assert bearer.scheme == "bearer"
    assert bearer.params == {"realm": "https://auth.example/token", "service": "registry.example",
                             "scope": "repository:a/b:pull,push"}  # fmt: skip
    (basic,) = parse_challenges('Basic realm="Registry Realm"')
    assert (basic.scheme, basic.params) == ("basic", {"realm": "Registry Realm"})


def test_registry_auth_header_round_trips_and_rejects_garbage() -> None:
    config = AuthConfig(username="alice", password="s3cret", serveraddress="localhost:5000")
    header = encode_registry_auth(config)
    assert decode_registry_auth(header.rstrip("=")) == config  # docker-py sends it unpadded
    assert decode_registry_auth("") == AuthConfig()
    assert AuthConfig(auth="YWxpY2U6czNjcmV0").credentials() == ("alice", "s3cret")
    with pytest.raises(Exception, match="X-Registry-Auth"):
        decode_registry_auth("%%%not-base64")


def test_only_loopback_and_listed_registries_may_be_plain_http() -> None:
    assert [e.url for e in endpoints("docker.io", [])] == ["https://registry-1.docker.io"]
    assert [e.url for e in endpoints("registry.example:5000", [])] == ["https://registry.example:5000"]
    assert [e.url for e in endpoints("localhost:5000", [])] == ["https://localhost:5000", "http://localhost:5000"]
    assert is_insecure("127.0.0.1:5000", []) and is_insecure("[::1]:5000", [])
    assert is_insecure("10.1.2.3:5000", ["10.0.0.0/8"]) and is_insecure("reg.lan:80", ["reg.lan:80"])
    assert not is_insecure("10.1.2.3:5000", ["192.168.0.0/16"])


INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "a" * 64, "size": 1,
         "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "b" * 64, "size": 1,
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "c" * 64, "size": 1,
         "platform": {"os": "linux", "architecture": "amd64"}},
    ],
}  # fmt: skip


def test_index_entries_are_chosen_by_platform() -> None:
    index = parse(json.dumps(INDEX).encode(), "", "x")
    assert isinstance(index, Index)
    assert select(index, PlatformSpec("linux", "amd64")).digest == "sha256:" + "c" * 64
    assert select(index, parse_platform("linux/arm64/v8", PlatformSpec("linux", "amd64"))).digest.endswith("b" * 64)
    assert select(index, PlatformSpec("linux", "arm", "v6")).digest.endswith("a" * 64)
    with pytest.raises(ManifestError, match="no matching manifest for linux/s390x in the manifest list entries"):
        select(index, PlatformSpec("linux", "s390x"))
    with pytest.raises(ManifestError, match="unknown operating system or architecture"):
        parse_platform("linux", PlatformSpec("linux", "amd64"))


def test_manifests_by_media_type_and_schema1_refused() -> None:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "digest": "sha256:" + "d" * 64, "size": 2}, "layers": []}  # fmt: skip
    assert isinstance(parse(json.dumps(manifest).encode(), "", "x"), Manifest)
    schema1 = {"schemaVersion": 1, "name": "x", "tag": "latest", "fsLayers": []}
    with pytest.raises(ManifestError, match="schema 1 is not supported"):
        parse(json.dumps(schema1).encode(), "application/vnd.docker.distribution.manifest.v1+prettyjws", "x")
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse(b"{", "", "x")


def test_config_json_auths_login_and_logout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert credentials.lookup("localhost:5000") == AuthConfig(serveraddress="localhost:5000")
    path = credentials.store("localhost:5000", "alice", "s3cret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["auths"]["localhost:5000"]["auth"] == "YWxpY2U6czNjcmV0"
    assert credentials.lookup("localhost:5000").credentials() == ("alice", "s3cret")
    credentials.store("docker.io", "bob", "pw")
    assert "https://index.docker.io/v1/" in json.loads(path.read_text())["auths"]
    assert credentials.registry_domain("https://index.docker.io/v1/") == "docker.io"
    assert credentials.erase("localhost:5000") and not credentials.erase("localhost:5000")


def test_credential_helper_programs_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir, store = tmp_path / "bin", tmp_path / "helper-store.json"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-testing"
    # A real helper speaking the docker-credential protocol, keeping its secrets in a JSON file.
    helper.write_text(f"""#!{sys.executable}
import json, sys
path = {str(store)!r}
data = json.load(open(path)) if __import__("os").path.exists(path) else {{}}
action, given = sys.argv[1], sys.stdin.read()
if action == "store":
    entry = json.loads(given); data[entry["ServerURL"]] = entry; json.dump(data, open(path, "w"))
elif action == "get":
    if given not in data: print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps(data[given]))
elif action == "erase":
    data.pop(given, None); json.dump(data, open(path, "w"))
""")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.json").write_text(json.dumps({"credsStore": "testing"}))
    credentials.store("reg.example:443", "carol", "hunter2")
    assert msgspec.json.decode(store.read_bytes())["reg.example:443"]["Secret"] == "hunter2"
    assert "auth" not in json.loads((tmp_path / "config" / "config.json").read_text())["auths"]["reg.example:443"]
    assert credentials.lookup("reg.example:443").credentials() == ("carol", "hunter2")
    assert credentials.lookup("other.example").credentials() is None
    assert credentials.erase("reg.example:443")
    assert credentials.lookup("reg.example:443").credentials() is None
