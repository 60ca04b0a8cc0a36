"""Pull, push and login against real registries (distribution 2.8 from Debian, fed by skopeo), through the
hydock CLI and the real docker CLI; faults injected by a proxy in front of the registry."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Cli
from tests.interop.conftest import Daemon
from tests.interop.registry_support import DockerRegistry, FaultyProxy, oci_layout, skopeo_copy
from tests.interop.test_docker_cli import ok


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[DockerRegistry]:
    (tmp_path / "registry").mkdir()
    registry = DockerRegistry(tmp_path / "registry")
    yield registry
    registry.stop()


@pytest.fixture
def cli(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("DOCKER_CONFIG", str(daemon.root / ".docker"))
    return Cli(daemon.root)


def publish(busybox_tar: Path, tmp_path: Path, destination: str, platforms: list[tuple[str, str]], *extra: str) -> None:
    layout = tmp_path / f"layout-{len(list(tmp_path.glob('layout-*')))}"
    oci_layout(busybox_tar, layout, platforms)
    all_platforms = ["--all"] if len(platforms) > 1 else []
    skopeo_copy(f"oci:{layout}:latest", f"docker://{destination}", *all_platforms, *extra)


def first_layer(name: str) -> str:
    """The digest of the bottom layer of `name` in its registry, as skopeo reads the manifest."""
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{name}"],
                         capture_output=True, check=True).stdout  # fmt: skip
    return json.loads(raw)["layers"][0]["digest"]


def lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().splitlines()


def test_pull_run_and_pull_again(cli: Cli, registry: DockerRegistry, busybox_tar: Path, tmp_path: Path) -> None:
    name = f"{registry.address}/tools/busybox"
    publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")])
    out = lines(cli("pull", name))
    assert out[:2] == ["Using default tag: latest", "latest: Pulling from tools/busybox"]
    assert any(line.endswith(": Pull complete") for line in out)
    assert out[-2:] == [f"Status: Downloaded newer image for {name}:latest", f"{name}:latest"]
    digest = next(line for line in out if line.startswith("Digest: ")).removeprefix("Digest: ")
    assert lines(cli("run", "--rm", name, "cat", "/platform")) == ["linux/amd64"]
    inspect = json.loads(cli("inspect", name).stdout)[0]
    assert inspect["RepoDigests"] == [f"{name}@{digest}"]
    assert lines(cli("pull", name))[-2] == f"Status: Image is up to date for {name}:latest"
    by_digest = lines(cli("pull", f"{name}@{digest}"))
    assert by_digest[-1] == f"{name}@{digest}"


def test_platform_selection_from_an_index(
    cli: Cli, registry: DockerRegistry, busybox_tar: Path, tmp_path: Path
) -> None:
    name = f"{registry.address}/multi"
    publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "arm64"), ("linux", "amd64")])
    ok_pull = cli("pull", "--platform", "linux/arm64", name)
    assert ok_pull.returncode == 0, ok_pull.stderr
    assert json.loads(cli("inspect", name).stdout)[0]["Architecture"] == "arm64"
    assert cli("pull", name).returncode == 0  # this machine's platform by default
    assert json.loads(cli("inspect", name).stdout)[0]["Architecture"] == "amd64"
    missing = cli("pull", "--platform", "linux/s390x", name)
    assert missing.returncode == 1
    assert b"no matching manifest for linux/s390x in the manifest list entries" in missing.stderr


def test_unknown_tag_and_wrong_digest_are_clear_errors(cli: Cli, registry: DockerRegistry, busybox_tar: Path,
                                                       tmp_path: Path) -> None:  # fmt: skip
    name = f"{registry.address}/busybox"
    publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")])
    images_before = lines(cli("images", "-q"))
    missing = cli("pull", f"{name}:nope")
    assert (missing.returncode, missing.stderr.decode()) == (
        1, f"Error response from daemon: manifest for {name}:nope not found: manifest unknown: manifest unknown\n"
    )  # fmt: skip
    wrong = cli("pull", f"{name}@sha256:{'0' * 64}")
    assert wrong.returncode == 1 and b"manifest unknown" in wrong.stderr
    assert lines(cli("images", "-q")) == images_before, "nothing of a failed pull is visible"


def test_push_then_push_to_another_repository_mounts(cli: Cli, registry: DockerRegistry, busybox_tar: Path) -> None:
    target = f"{registry.address}/team/app:1"
    assert cli("import", str(busybox_tar), target).returncode == 0
    out = lines(cli("push", target))
    assert out[0] == f"The push refers to repository [{registry.address}/team/app]"
    assert any(line.endswith(": Pushed") for line in out)
    digest = out[-1].split()[2]
    inspected = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{target}"],
                               capture_output=True, check=True).stdout  # fmt: skip
    assert json.loads(inspected)["Digest"] == digest
    assert any(line.endswith(": Layer already exists") for line in lines(cli("push", target)))
    other = f"{registry.address}/team/other:1"
    assert cli("tag", target, other).returncode == 0
    assert any(line.endswith(": Mounted from team/app") for line in lines(cli("push", other)))


def test_login_then_pull_with_credentials(cli: Cli, daemon: Daemon, busybox_tar: Path, tmp_path: Path) -> None:
    import bcrypt

    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"alice:{bcrypt.hashpw(b'wonderland', bcrypt.gensalt(rounds=4)).decode()}\n")
    (tmp_path / "secured").mkdir()
    registry = DockerRegistry(tmp_path / "secured", htpasswd)
    name = f"{registry.address}/private"
    try:
        publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")], "--dest-creds", "alice:wonderland")
        denied = cli("pull", name)
        assert denied.returncode == 1 and b"pull access denied for" in denied.stderr
        wrong = cli("login", "-u", "alice", "--password-stdin", registry.address, input=b"nope\n")
        assert wrong.returncode == 1 and b"unauthorized" in wrong.stderr.lower()
        right = cli("login", "-u", "alice", "--password-stdin", registry.address, input=b"wonderland\n")
        assert right.stdout == b"Login Succeeded\n", right.stderr
        config = json.loads((daemon.root / ".docker" / "config.json").read_text())
        assert registry.address in config["auths"]
        assert cli("pull", name).returncode == 0
        assert lines(cli("logout", registry.address)) == [f"Removing login credentials for {registry.address}"]
        assert registry.address not in json.loads((daemon.root / ".docker" / "config.json").read_text())["auths"]
    finally:
        registry.stop()


def test_dropped_connection_resumes_and_one_blob_is_fetched_once(
    cli: Cli, daemon: Daemon, registry: DockerRegistry, busybox_tar: Path, tmp_path: Path
) -> None:
    publish(busybox_tar, tmp_path, f"{registry.address}/busybox:latest", [("linux", "amd64")])
    proxy = FaultyProxy(registry.address)
    try:
        name = f"{proxy.address}/busybox"
        layer = first_layer(f"{name}:latest")
        proxy.drop_once.add(layer)
        pulls = [subprocess.Popen(cli.argv("pull", name), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]  # fmt: skip
        for pull in pulls:
            _, err = pull.communicate(timeout=120)
            assert pull.returncode == 0, err
        assert proxy.blob_gets[layer] == 2, "fetched once by the two pulls, plus the resumed request"
        assert proxy.ranges and proxy.ranges[0].startswith("bytes=") and proxy.ranges[0] != "bytes=0-"
        assert lines(cli("run", "--rm", name, "cat", "/platform")) == ["linux/amd64"]
    finally:
        proxy.stop()


def test_corrupt_layer_is_refused_and_leaves_nothing(
    cli: Cli, daemon: Daemon, registry: DockerRegistry, busybox_tar: Path, tmp_path: Path
) -> None:
    publish(busybox_tar, tmp_path, f"{registry.address}/busybox:latest", [("linux", "amd64")])
    proxy = FaultyProxy(registry.address)
    try:
        name = f"{proxy.address}/busybox"
        proxy.corrupt.add(first_layer(f"{name}:latest"))
        layers_before = sorted(p.name for p in (daemon.root / "layers").iterdir())
        images_before = lines(cli("images", "-q"))
        failed = cli("pull", name)
        assert failed.returncode == 1
        assert failed.stderr.decode().count("\n") == 1, failed.stderr
        assert lines(cli("images", "-q")) == images_before
        assert sorted(p.name for p in (daemon.root / "layers").iterdir()) == layers_before
        assert list((daemon.root / "ingest").iterdir()) == [], failed.stderr
    finally:
        proxy.stop()


def test_docker_cli_pulls_and_pushes_through_hydockd(daemon: Daemon, registry: DockerRegistry, busybox_tar: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    name = f"{registry.address}/busybox"
    publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")])
    out = ok(daemon.docker("pull", name))
    assert f"Status: Downloaded newer image for {name}:latest" in out
    assert ok(daemon.docker("run", "--rm", name, "cat", "/platform")) == "linux/amd64\n"
    ok(daemon.docker("tag", name, f"{registry.address}/copy:7"))
    pushed = ok(daemon.docker("push", f"{registry.address}/copy:7"))
    assert "7: digest: sha256:" in pushed
    tags = subprocess.run(["skopeo", "list-tags", "--tls-verify=false", f"docker://{registry.address}/copy"],
                          capture_output=True, check=True).stdout  # fmt: skip
    assert json.loads(tags)["Tags"] == ["7"]


def test_docker_py_hydock_client_and_in_process_engine(
    daemon: Daemon, registry: DockerRegistry, busybox_tar: Path, tmp_path: Path
) -> None:
    import docker

    import hydock

    name = f"{registry.address}/busybox"
    publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")])
    client = docker.DockerClient(base_url=daemon.url)
    pulled = client.images.pull(name, tag="latest")
    assert pulled.attrs["RepoDigests"][0].startswith(f"{name}@sha256:")
    pulled.tag(f"{registry.address}/dpy", "3")
    pushed = list(client.images.push(f"{registry.address}/dpy", tag="3", stream=True, decode=True))
    assert pushed[-1]["aux"]["Tag"] == "3" and pushed[-1]["aux"]["Digest"].startswith("sha256:")

    with hydock.Client(base_url=daemon.url) as ours:
        assert ours.images.pull(f"{registry.address}/dpy", "3").id == pulled.id

    engine = hydock.Engine(tmp_path / "engine-root")
    image = engine.images.pull(f"{registry.address}/dpy", "3")
    assert image.id == pulled.id
    assert engine.containers.run(image.id, ["cat", "/platform"], remove=True) == b"linux/amd64\n"
    assert engine.images.push(f"{registry.address}/dpy", "3")[0].tag == "3"


def test_token_auth_against_our_own_registry(cli: Cli, daemon: Daemon, busybox_tar: Path, tmp_path: Path) -> None:
    from tests.registry.conftest import Server
    from tests.registry.keys import write_htpasswd, write_private_key, write_public_key

    htpasswd = write_htpasswd(tmp_path / "htpasswd", {"alice": "wonderland"})
    private = write_private_key(tmp_path / "signing.pem")
    servers = [Server("token-server", ["--key", str(private), "--htpasswd", str(htpasswd), "--issuer", "it"],
                      tmp_path / "token.log")]  # fmt: skip
    try:
        servers.append(Server("serve", [
            "--root", str(tmp_path / "ours"), "--token-realm", f"{servers[0].url}/token", "--token-service", "ours",
            "--token-issuer", "it", "--token-key", str(write_public_key(private, tmp_path / "signing.pub")),
        ], tmp_path / "serve.log"))  # fmt: skip
        address = servers[1].host
        assert cli("import", str(busybox_tar), f"{address}/team/app:1").returncode == 0
        anonymous = cli("push", f"{address}/team/app:1")
        assert anonymous.returncode == 1 and b"unauthorized" in anonymous.stderr.lower()
        login = cli("login", "-u", "alice", "--password-stdin", address, input=b"wonderland\n")
        assert login.stdout == b"Login Succeeded\n", login.stderr
        assert any(line.endswith(": Pushed") for line in lines(cli("push", f"{address}/team/app:1")))
        assert cli("rmi", f"{address}/team/app:1").returncode == 0
        assert lines(cli("pull", f"{address}/team/app:1"))[-1] == f"{address}/team/app:1"
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("with_auth", [False, True], ids=["anonymous", "htpasswd"])
def test_push_remove_pull_run_and_the_digests_match(
    cli: Cli, busybox_tar: Path, tmp_path: Path, with_auth: bool
) -> None:
    import bcrypt

    htpasswd = None
    if with_auth:
        htpasswd = tmp_path / "htpasswd"
        htpasswd.write_text(f"bob:{bcrypt.hashpw(b'builder', bcrypt.gensalt(rounds=4)).decode()}\n")
    (tmp_path / "registry").mkdir()
    registry = DockerRegistry(tmp_path / "registry", htpasswd)
    try:
        name = f"{registry.address}/roundtrip:1"
        assert cli("import", str(busybox_tar), name).returncode == 0
        if with_auth:
            assert cli("login", "-u", "bob", "--password-stdin", registry.address, input=b"builder\n").returncode == 0
        pushed = lines(cli("push", name))[-1].split()[2]
        image_id = json.loads(cli("inspect", name).stdout)[0]["Id"]
        assert cli("rmi", name).returncode == 0
        pulled = lines(cli("pull", name))
        assert f"Digest: {pushed}" in pulled
        inspect = json.loads(cli("inspect", name).stdout)[0]
        assert inspect["Id"] == image_id and inspect["RepoDigests"] == [f"{name.rpartition(':')[0]}@{pushed}"]
        assert lines(cli("run", "--rm", name, "echo", "round trip")) == ["round trip"]
    finally:
        registry.stop()


def test_skopeo_and_umoci_with_our_registry(cli: Cli, busybox_tar: Path, tmp_path: Path) -> None:
    from tests.registry.conftest import Server

    server = Server("serve", ["--root", str(tmp_path / "ours")], tmp_path / "serve.log")
    try:
        name = f"{server.host}/from-skopeo"
        publish(busybox_tar, tmp_path, f"{name}:latest", [("linux", "amd64")])
        # Not here yet: `run` pulls it first, as docker run does.
        ran = cli("run", "--rm", name, "cat", "/platform")
        assert ran.stdout == b"linux/amd64\n", ran.stderr
        assert ran.stderr.startswith(f"Unable to find image '{name}:latest' locally\n".encode())
        assert cli("tag", name, f"{server.host}/from-hydock:1").returncode == 0
        assert cli("push", f"{server.host}/from-hydock:1").returncode == 0
        layout, bundle = tmp_path / "copied", tmp_path / "bundle"
        skopeo_copy(f"docker://{server.host}/from-hydock:1", f"oci:{layout}:1")
        unpacked = subprocess.run(["umoci", "unpack", "--image", f"{layout}:1", str(bundle)], capture_output=True)
        assert unpacked.returncode == 0, unpacked.stderr
        assert (bundle / "rootfs" / "platform").read_text() == "linux/amd64\n"
    finally:
        server.stop()
