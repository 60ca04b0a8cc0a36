"""What a container could leave behind: mounts, cgroups, shim processes."""

from __future__ import annotations

from pathlib import Path


def mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(root))]


def container_cgroups(ids: set[str]) -> list[str]:
    found = []
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        parent = hierarchy / "hydock"
        if parent.is_dir():
            found += [str(p) for p in parent.iterdir() if p.name in ids]
    return found


def shim_processes(root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if b"hydock-shim" in cmdline and str(root).encode() in cmdline:
                pids.append(int(proc.name))
    return pids
