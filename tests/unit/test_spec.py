"""The OCI spec hydock writes: Docker's defaults, capabilities, limits, users."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from hydock.errors import ContainerStartError, InvalidArgument
from hydock.runtime.build_spec import SpecInputs, build_spec
from hydock.runtime.capabilities import capability_set
from hydock.runtime.defaults import DEFAULT_CAPABILITIES
from hydock.runtime.users import ResolvedUser, resolve_user

ROOT = ResolvedUser(0, 0, [], "/root")


def inputs(**overrides) -> SpecInputs:
    base = dict(args=["sh"], env=["PATH=/bin"], cwd="/", user=ROOT, hostname="h", rootfs="/r",
                container_dir=Path("/c"), cgroup="hydock/x")  # fmt: skip
    base.update(overrides)
    return SpecInputs(**base)


def encoded(spec) -> dict:
    return json.loads(msgspec.json.encode(spec))


def test_defaults_match_docker() -> None:
    spec = encoded(build_spec(inputs()))
    assert spec["ociVersion"].startswith("1.")
    assert {ns["type"] for ns in spec["linux"]["namespaces"]} == {"pid", "ipc", "uts", "mount", "network"}
    assert "/proc/kcore" in spec["linux"]["maskedPaths"]
    assert "/proc/sys" in spec["linux"]["readonlyPaths"]
    assert spec["process"]["capabilities"]["bounding"] == list(DEFAULT_CAPABILITIES)
    assert {m["destination"] for m in spec["mounts"]} >= {"/proc", "/dev", "/dev/pts", "/sys", "/dev/shm", "/etc/hosts"}
    assert "resources" not in spec["linux"] or not spec["linux"]["resources"]


def test_host_network_keeps_the_host_namespace() -> None:
    spec = encoded(build_spec(inputs(network="host")))
    assert "network" not in {ns["type"] for ns in spec["linux"]["namespaces"]}


def test_limits() -> None:
    spec = encoded(build_spec(inputs(memory=64 << 20, nano_cpus=500_000_000, cpu_shares=512, pids_limit=20)))
    assert spec["linux"]["resources"] == {
        "memory": {"limit": 64 << 20},
        "cpu": {"shares": 512, "quota": 50_000, "period": 100_000},
        "pids": {"limit": 20},
    }


def test_privileged_drops_masks_and_grants_everything() -> None:
    spec = encoded(build_spec(inputs(privileged=True)))
    assert "maskedPaths" not in spec["linux"] and "readonlyPaths" not in spec["linux"]
    assert "CAP_SYS_ADMIN" in spec["process"]["capabilities"]["effective"]


def test_capability_flags() -> None:
    caps = capability_set(privileged=False, cap_add=["net_admin"], cap_drop=["CAP_CHOWN", "mknod"])
    assert "CAP_NET_ADMIN" in caps and "CAP_CHOWN" not in caps and "CAP_MKNOD" not in caps
    assert capability_set(privileged=False, cap_add=[], cap_drop=["ALL"]) == []
    assert capability_set(privileged=False, cap_add=["SYS_TIME"], cap_drop=["ALL"]) == ["CAP_SYS_TIME"]
    with pytest.raises(InvalidArgument):
        capability_set(privileged=False, cap_add=["NOT_A_CAP"], cap_drop=[])


def test_non_root_user_gets_no_effective_capabilities() -> None:
    spec = encoded(build_spec(inputs(user=ResolvedUser(1000, 1000, [10], "/home/app"))))
    caps = spec["process"]["capabilities"]
    assert caps["bounding"] and not caps.get("effective") and not caps.get("permitted")
    assert spec["process"]["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [10]}


def test_resolve_user(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\nwheel:x:10:root,app\nstaff:x:50:app\napp:x:1000:\n")
    assert resolve_user(tmp_path, "") == ResolvedUser(0, 0, [10], "/root")
    assert resolve_user(tmp_path, "app") == ResolvedUser(1000, 1000, [10, 50], "/home/app")
    assert resolve_user(tmp_path, "app:staff") == ResolvedUser(1000, 50, [], "/home/app")
    assert resolve_user(tmp_path, "77:88") == ResolvedUser(77, 88, [], "/")
    with pytest.raises(ContainerStartError, match="unable to find user ghost"):
        resolve_user(tmp_path, "ghost")
    with pytest.raises(ContainerStartError, match="unable to find group nope"):
        resolve_user(tmp_path, "app:nope")
