"""Docker's security defaults: masked and read-only paths, a reduced capability set."""

from __future__ import annotations

import os

import pytest

from hydock import Engine
from hydock.errors import ContainerError
from hydock.runtime.defaults import MASKED_PATHS

DOCKER_DEFAULT_CAPS = 0x00000000A80425FB


def sh(engine: Engine, image: str, script: str, **kwargs) -> str:
    return engine.containers.run(image, ["sh", "-c", script], remove=True, **kwargs).decode()


def test_masked_paths_are_empty(engine: Engine, image: str) -> None:
    present = [p for p in MASKED_PATHS if os.path.exists(p)]
    assert "/proc/keys" in present and "/sys/firmware" in present  # the host has something to hide
    script = "; ".join(f"if [ -d {p} ]; then ls -A {p} | wc -l; else wc -c < {p}; fi" for p in present)
    assert sh(engine, image, script) == "0\n" * len(present)


def test_readonly_paths_refuse_writes(engine: Engine, image: str) -> None:
    out = sh(engine, image, "echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo wrote || echo refused")
    assert out == "refused\n"
    assert "ro" in sh(engine, image, "grep ' /proc/sys ' /proc/self/mountinfo").split()[5].split(",")


def test_default_capability_set(engine: Engine, image: str) -> None:
    status = sh(engine, image, "grep -E '^Cap(Eff|Bnd|Prm|Inh)' /proc/self/status")
    caps = {line.split(":")[0]: int(line.split()[1], 16) for line in status.splitlines()}
    assert caps["CapEff"] == DOCKER_DEFAULT_CAPS
    assert caps["CapBnd"] == DOCKER_DEFAULT_CAPS
    assert caps["CapPrm"] == DOCKER_DEFAULT_CAPS
    assert caps["CapInh"] == 0


def test_mount_and_sethostname_fail_without_privileges(engine: Engine, image: str) -> None:
    with pytest.raises(ContainerError):
        sh(engine, image, "mount -t tmpfs none /mnt")
    with pytest.raises(ContainerError):
        sh(engine, image, "hostname changed")


def test_privileged_can_mount(engine: Engine, image: str) -> None:
    out = sh(
        engine, image, "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && hostname changed && hostname", privileged=True
    )
    assert out == "changed\n"


def test_cap_add_and_drop(engine: Engine, image: str) -> None:
    assert sh(engine, image, "hostname changed && hostname", cap_add=["SYS_ADMIN"]) == "changed\n"
    with pytest.raises(ContainerError):
        sh(engine, image, "chown 1000 /tmp", cap_drop=["chown"])
    assert sh(engine, image, "chown 1000 /tmp && echo ok") == "ok\n"


def test_non_root_user_holds_no_capabilities(engine: Engine, image: str) -> None:
    status = sh(engine, image, "grep -E '^Cap(Eff|Bnd)' /proc/self/status", user="app")
    caps = {line.split(":")[0]: int(line.split()[1], 16) for line in status.splitlines()}
    assert caps == {"CapEff": 0, "CapBnd": DOCKER_DEFAULT_CAPS}


def test_read_only_rootfs(engine: Engine, image: str) -> None:
    out = sh(
        engine,
        image,
        "touch /newfile 2>/dev/null && echo wrote || echo refused; touch /dev/shm/ok && echo shm",
        read_only=True,
    )
    assert out == "refused\nshm\n"


def test_no_new_privileges(engine: Engine, image: str, cli) -> None:
    assert sh(engine, image, "grep NoNewPrivs /proc/self/status").split() == ["NoNewPrivs:", "0"]
    flagged = sh(engine, image, "grep NoNewPrivs /proc/self/status", security_opt=["no-new-privileges"])
    assert flagged.split() == ["NoNewPrivs:", "1"]
    result = cli(
        "run", "--rm", "--security-opt", "no-new-privileges:true", image, "grep", "NoNewPrivs", "/proc/self/status"
    )
    assert result.stdout.split() == [b"NoNewPrivs:", b"1"]
    assert cli("run", "--rm", "--security-opt", "seccomp=x", image, "true").returncode == 125
