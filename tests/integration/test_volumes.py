"""Volumes and mounts through the CLI and hydockd: named and anonymous volumes, binds, tmpfs, --volumes-from, the
volume commands with docker's messages, and what inspect, ps and system df show of them."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from hydock import Engine
from tests.integration.conftest import Cli
from tests.integration.leaks import mounts_under


def _ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def _inspect(cli: Cli, name: str, template: str) -> object:
    return json.loads(_ok(cli("inspect", "-f", "{{json " + template + "}}", name)))


def test_named_volume_survives_its_container_and_is_seen_by_the_next(cli: Cli, image: str) -> None:
    assert _ok(cli("volume", "create", "--label", "team=a", "data")) == "data\n"
    _ok(cli("run", "--rm", "-v", "data:/data", image, "sh", "-c", "echo kept > /data/file"))
    assert _ok(cli("volume", "ls", "-q")) == "data\n"
    assert _ok(cli("run", "--rm", "-v", "data:/srv:ro", image, "cat", "/srv/file")) == "kept\n"
    inspected = json.loads(_ok(cli("volume", "inspect", "data")))
    assert inspected[0]["Name"] == "data" and inspected[0]["Driver"] == "local"
    assert inspected[0]["Labels"] == {"team": "a"} and inspected[0]["Scope"] == "local"
    assert (Path(inspected[0]["Mountpoint"]) / "file").read_text() == "kept\n"


def test_a_volume_named_in_run_is_created_and_shown_in_inspect_and_ps(cli: Cli, image: str, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    args = ["-v", "made:/made", "-v", f"{host}:/host:ro,z", "--mount", f"type=bind,src={host},dst=/mb"]
    _ok(cli("run", "-d", "--name", "shown", *args, "--tmpfs", "/t2:size=1m", image, "sleep", "30"))
    mounts = {m["Destination"]: m for m in _inspect(cli, "shown", ".Mounts")}  # type: ignore[union-attr]
    assert mounts["/made"] == {
        "Type": "volume", "Name": "made", "Source": str(cli.root / "volumes/made/_data"), "Destination": "/made",
        "Driver": "local", "Mode": "z", "RW": True, "Propagation": "",
    }  # fmt: skip
    assert mounts["/host"] == {
        "Type": "bind", "Source": str(host), "Destination": "/host", "Mode": "ro,z", "RW": False,
        "Propagation": "rprivate",
    }  # fmt: skip
    assert mounts["/mb"]["Mode"] == "" and mounts["/mb"]["RW"] is True
    assert "/t2" not in mounts
    host_config = _inspect(cli, "shown", ".HostConfig")
    assert host_config["Binds"] == ["made:/made", f"{host}:/host:ro,z"]  # type: ignore[index]
    assert host_config["Mounts"] == [{"Type": "bind", "Target": "/mb", "Source": str(host)}]  # type: ignore[index]
    assert host_config["Tmpfs"] == {"/t2": "size=1m"}  # type: ignore[index]
    assert sorted(_ok(cli("ps", "--no-trunc", "--format", "{{.Mounts}}")).strip().split(",")) == sorted(
        ["made", str(host), str(host)]
    )
    assert _ok(cli("ps", "-q", "--filter", "volume=made")).strip() == _ok(cli("ps", "-q")).strip()


def test_read_only_bind_refuses_writes_and_a_missing_host_directory_is_created(
    cli: Cli, image: str, tmp_path: Path
) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "in").write_text("from host\n")
    result = cli("run", "--rm", "-v", f"{host}:/h:ro", image, "sh", "-c", "cat /h/in; echo x > /h/new")
    assert result.returncode == 1 and result.stdout == b"from host\n"
    assert b"Read-only file system" in result.stderr
    assert not (host / "new").exists()
    fresh = tmp_path / "fresh"
    _ok(cli("run", "--rm", "-v", f"{fresh}:/f", image, "sh", "-c", "echo w > /f/out"))
    assert (fresh / "out").read_text() == "w\n"
    missing = cli("run", "--rm", "--mount", f"type=bind,src={tmp_path / 'nope'},dst=/x", image, "true")
    assert missing.returncode == 125
    assert missing.stderr.decode() == (
        f'Error response from daemon: invalid mount config for type "bind": bind source path does not exist: '
        f"{tmp_path / 'nope'}\n"
    )


def test_tmpfs_size_is_enforced_by_the_kernel(cli: Cli, image: str) -> None:
    write = "dd if=/dev/zero of=/t/fill bs=1k count=2048 2>&1; echo status=$?"
    for flag in (["--tmpfs", "/t:size=1m"], ["--mount", "type=tmpfs,dst=/t,tmpfs-size=1m"]):
        out = _ok(cli("run", "--rm", *flag, image, "sh", "-c", write))
        assert "No space left on device" in out and "status=1" in out, out
    mode = _ok(cli("run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-mode=1770", image, "stat", "-c", "%a", "/t"))
    assert mode == "1770\n"
    mounted = _ok(cli("run", "--rm", "--tmpfs", "/t:exec", image, "grep", " /t ", "/proc/mounts"))
    assert "nosuid" in mounted and "nodev" in mounted and "noexec" not in mounted


def test_anonymous_volume_gets_the_image_content_and_rm_v_removes_it(cli: Cli, busybox_tar: Path) -> None:
    _ok(cli("import", "-c", "VOLUME /home/app", "-c", "VOLUME /empty", str(busybox_tar), "withvolume:1"))
    _ok(cli("create", "--name", "anon", "-v", "/scratch", "-v", "kept:/kept", "withvolume:1", "ls", "-ld", "/home/app"))
    volumes = {m["Destination"]: m for m in _inspect(cli, "anon", ".Mounts")}  # type: ignore[union-attr]
    assert set(volumes) == {"/home/app", "/empty", "/scratch", "/kept"}
    app = Path(volumes["/home/app"]["Source"])
    assert (app.stat().st_uid, app.stat().st_mode & 0o7777) == (1000, 0o755)  # copied up with its owner and mode
    assert volumes["/home/app"]["Mode"] == "" and volumes["/kept"]["Mode"] == "z"
    assert _inspect(cli, "anon", ".Config.Volumes") == {"/home/app": {}, "/empty": {}, "/scratch": {}}
    assert "app" in _ok(cli("start", "-a", "anon"))
    labels = json.loads(_ok(cli("volume", "inspect", volumes["/scratch"]["Name"])))[0]["Labels"]
    assert labels == {"com.docker.volume.anonymous": ""}
    assert len(_ok(cli("volume", "ls", "-q")).split()) == 4
    _ok(cli("rm", "-v", "anon"))
    assert _ok(cli("volume", "ls", "-q")) == "kept\n"


def test_run_rm_removes_anonymous_volumes_but_not_named_ones(cli: Cli, image: str) -> None:
    _ok(cli("run", "--rm", "-v", "/anon", "-v", "named:/named", image, "true"))
    assert _ok(cli("volume", "ls", "-q")) == "named\n"
    _ok(cli("run", "-d", "--rm", "-v", "/anon", image, "sleep", "3"))
    assert len(_ok(cli("volume", "ls", "-q")).split()) == 2
    deadline = time.monotonic() + 20  # removed by its shim, then its volume by the daemon
    while _ok(cli("volume", "ls", "-q")) != "named\n":
        assert time.monotonic() < deadline, "the detached --rm container's anonymous volume was left behind"
        time.sleep(0.1)


def test_volumes_from_takes_the_mounts_of_another_container(cli: Cli, image: str, tmp_path: Path) -> None:
    _ok(
        cli(
            "create", "--name", "store", "-v", "shared:/shared", "-v", "/anon", "-v", f"{tmp_path}:/host", image, "true"
        )
    )
    out = _ok(
        cli("run", "--rm", "--volumes-from", "store", image, "sh", "-c", "echo hi > /shared/f; ls -d /anon /host")
    )
    assert out == "/anon\n/host\n"
    refused = cli("run", "--rm", "--volumes-from", "store:ro", image, "sh", "-c", "cat /shared/f; touch /shared/g")
    assert refused.returncode == 1 and refused.stdout == b"hi\n" and b"Read-only" in refused.stderr
    missing = cli("run", "--rm", "--volumes-from", "nobody", image, "true")
    assert missing.returncode == 125 and missing.stderr == b"Error response from daemon: No such container: nobody\n"


def test_volume_commands_and_their_errors(cli: Cli, image: str) -> None:
    assert _ok(cli("volume", "create", "one")) == "one\n"
    assert _ok(cli("volume", "create", "one")) == "one\n"  # an existing one is no error
    assert len(_ok(cli("volume", "create")).strip()) == 64
    _ok(cli("volume", "create", "--name", "opts", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m"))
    assert json.loads(_ok(cli("volume", "inspect", "opts")))[0]["Options"] == {
        "type": "tmpfs", "device": "tmpfs", "o": "size=1m"
    }  # fmt: skip
    assert _ok(cli("run", "--rm", "-v", "opts:/o", image, "grep", " /o ", "/proc/mounts")).startswith("tmpfs /o tmpfs")
    errors = {
        ("volume", "create", "a"): "create a: volume name is too short, names should be at least two alphanumeric "
        "characters",
        ("volume", "create", "-o", "bogus=1", "bad"): 'create bad: invalid option: "bogus"',
        ("volume", "create", "-o", "type=tmpfs", "bad"): 'create bad: missing required option: "device"',
        ("volume", "inspect", "nope"): "get nope: no such volume",
        ("volume", "rm", "nope"): "get nope: no such volume",
    }
    for argv, message in errors.items():
        result = cli(*argv)
        assert result.returncode == 1 and result.stderr.decode() == f"Error response from daemon: {message}\n", argv
    assert cli("volume", "rm", "-f", "nope").returncode == 0
    container = _ok(cli("create", "-v", "one:/one", image, "true")).strip()
    in_use = cli("volume", "rm", "one")
    assert in_use.returncode == 1
    assert in_use.stderr.decode() == f"Error response from daemon: remove one: volume is in use - [{container}]\n"
    assert _ok(cli("volume", "ls", "-q", "--filter", "dangling=false")) == "one\n"
    assert _ok(cli("volume", "ls", "--filter", "name=op", "--format", "{{.Name}} {{.Driver}}")) == "opts local\n"
    table = _ok(cli("volume", "ls", "--filter", "name=^one$")).splitlines()
    assert table == ["DRIVER    VOLUME NAME", "local     one"]
    pruned = _ok(cli("volume", "prune", "-f"))  # anonymous ones only
    assert pruned.startswith("Deleted Volumes:\n") and pruned.endswith("\nTotal reclaimed space: 0B\n")
    assert sorted(_ok(cli("volume", "ls", "-q")).split()) == ["one", "opts"]
    _ok(cli("rm", container))
    # -a: every unused one, but not those with driver options (Docker leaves them alone).
    assert _ok(cli("volume", "prune", "-a", "-f")) == "Deleted Volumes:\none\n\nTotal reclaimed space: 0B\n"
    assert _ok(cli("volume", "rm", "opts")) == "opts\n"
    assert _ok(cli("volume", "ls", "-q")) == ""


def test_bad_mount_specs_get_dockers_messages(cli: Cli, image: str) -> None:
    cases = {
        ("-v", "a:b:c:d"): "Error response from daemon: invalid volume specification: 'a:b:c:d'",
        ("-v", "rel:/x:zz"): "Error response from daemon: invalid mode: zz",
        ("--mount", "foo"): 'invalid argument "foo" for "--mount" flag: invalid field \'foo\' must be a key=value pair',
        ("--mount", "type=volume"): 'invalid argument "type=volume" for "--mount" flag: target is required',
        ("--mount", "type=tmpfs,src=a,dst=/x"): 'Error response from daemon: invalid mount config for type "tmpfs": '
        "field Source must not be specified",
        ("--mount", "type=bind,src=rel,dst=/x"): 'Error response from daemon: invalid mount config for type "bind": '
        "invalid mount path: 'rel' mount path must be absolute",
        ("-v", "/a:/b", "-v", "/c:/b"): "Error response from daemon: Duplicate mount point: /b",
    }
    for flags, message in cases.items():
        result = cli("run", "--rm", *flags, image, "true")
        assert result.returncode == 125 and result.stderr.decode() == message + "\n", flags
    assert _ok(cli("ps", "-aq")) == ""


def test_system_df_counts_volumes_with_their_sizes_and_links(cli: Cli, image: str) -> None:
    _ok(cli("run", "--rm", "-v", "big:/big", image, "dd", "if=/dev/zero", "of=/big/f", "bs=1000", "count=100"))
    _ok(cli("create", "-v", "big:/big", image, "true"))
    _ok(cli("volume", "create", "idle"))
    lines = _ok(cli("system", "df")).splitlines()
    assert lines[3].split() == ["Local", "Volumes", "2", "1", "100kB", "0B", "(0%)"]
    verbose = _ok(cli("system", "df", "-v"))
    rows = verbose.split("Local Volumes space usage:\n\n")[1].split("\n\n")[0].splitlines()
    assert [row.split() for row in rows] == [
        ["VOLUME", "NAME", "LINKS", "SIZE"],
        ["big", "1", "100kB"],
        ["idle", "0", "0B"],
    ]


def test_mounts_are_made_again_on_restart_and_stay_while_the_daemon_is_gone(cli: Cli, image: str) -> None:
    _ok(cli("run", "-d", "--name", "keeper", "--restart", "always", "-v", "state:/state", "--tmpfs", "/t", image,
            "sh", "-c", "date >> /state/starts; echo x > /t/x; sleep 1000"))  # fmt: skip
    _ok(cli("restart", "-t", "0", "keeper"))
    assert _ok(cli("exec", "keeper", "sh", "-c", "wc -l < /state/starts; grep -c ' /t tmpfs' /proc/mounts")) == "2\n1\n"
    os.kill(int((cli.root / "hydockd.pid").read_text()), signal.SIGKILL)
    engine = Engine(cli.root)
    record = engine.container_service.inspect("keeper")
    assert record.state.running
    with open(f"/proc/{record.state.pid}/mounts") as mounts:
        assert any(" /state " in line for line in mounts)
    assert _ok(cli("exec", "keeper", "cat", "/state/starts")).count("\n") == 2  # a new daemon: the same mounts
    _ok(cli("rm", "-f", "keeper"))
    assert mounts_under(cli.root) == []


def test_anonymous_volumes_of_failed_creates_are_not_left_behind(cli: Cli, image: str) -> None:
    bad = "type=volume,src=bad,dst=/bad,volume-opt=bogus=1"
    result = cli("create", "--mount", "type=volume,dst=/first", "--mount", bad, image, "true")
    assert result.returncode == 125 and b'invalid option: "bogus"' in result.stderr
    assert _ok(cli("volume", "ls", "-q")) == ""


def test_build_steps_under_a_volume_leave_no_volume_behind(cli: Cli, image: str, tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox\nVOLUME /data\nRUN echo built > /data/x && echo kept > /kept\n")
    _ok(cli("build", "-q", "-t", "withvolume:built", str(context)))
    assert _ok(cli("volume", "ls", "-q")) == ""
    assert _ok(cli("run", "--rm", "withvolume:built", "cat", "/kept")) == "kept\n"
