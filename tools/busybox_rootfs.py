#!/usr/bin/env python3
"""Write a minimal root filesystem tar built from the host's static busybox (Debian's busybox-static).

Usage: busybox_rootfs.py OUTPUT.tar[.gz]   (or - for stdout)
Used by the README's first command and by the tests, which have no registry to pull from.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import time

BUSYBOX = "/bin/busybox"
PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
)
GROUP = "root:x:0:\ndaemon:x:1:\nwheel:x:10:root,app\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n"
DIRS = {"bin": 0o755, "dev": 0o755, "etc": 0o755, "proc": 0o555, "sys": 0o555, "tmp": 0o1777, "root": 0o700,
        "home": 0o755, "home/app": 0o755, "usr": 0o755, "usr/bin": 0o755, "var": 0o755}  # fmt: skip


def applets() -> list[str]:
    out = subprocess.run([BUSYBOX, "--list"], check=True, capture_output=True, text=True).stdout
    return sorted(name for name in out.split() if name != "busybox")


def build(out: tarfile.TarFile) -> None:
    now = int(time.time())

    def add_dir(name: str, mode: int, uid: int = 0) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime, info.uid, info.gid = tarfile.DIRTYPE, mode, now, uid, uid
        out.addfile(info)

    def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, now
        out.addfile(info, io.BytesIO(data))

    for name, mode in DIRS.items():
        add_dir(name, mode, 1000 if name == "home/app" else 0)
    with open(BUSYBOX, "rb") as f:
        add_file("bin/busybox", f.read(), 0o755)
    for applet in applets():
        info = tarfile.TarInfo(f"bin/{applet}")
        info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, now
        out.addfile(info)
    add_file("etc/passwd", PASSWD.encode())
    add_file("etc/group", GROUP.encode())


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    target = sys.argv[1]
    mode = "w:gz" if target.endswith(".gz") else "w"
    if target == "-":
        with tarfile.open(fileobj=sys.stdout.buffer, mode="w|") as out:
            build(out)
    else:
        with tarfile.open(target, mode) as out:
            build(out)


if __name__ == "__main__":
    main()
