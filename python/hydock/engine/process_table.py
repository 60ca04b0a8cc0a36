"""`ps -ef` rows read from /proc, for `top`: what Docker shows without running ps in the container."""

from __future__ import annotations

import os
import pwd
import time
from pathlib import Path

PS_TITLES = ("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def ps_row(pid: int) -> list[str] | None:
    """One `ps -ef` row; None if the process is gone."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes()
        uid = proc.stat().st_uid
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    ppid, tty_nr = int(fields[1]), int(fields[4])
    cpu_seconds = (int(fields[11]) + int(fields[12])) // _CLOCK_TICKS
    started = int(fields[19]) / _CLOCK_TICKS
    elapsed = max(uptime - started, 1e-9)
    boot = time.time() - uptime
    args = [a.decode(errors="replace") for a in cmdline.split(b"\0") if a]
    return [
        _user_name(uid),
        str(pid),
        str(ppid),
        str(min(int(cpu_seconds * 100 / elapsed), 99)),
        _start_time(boot + started),
        _tty_name(tty_nr),
        f"{cpu_seconds // 3600:02d}:{cpu_seconds // 60 % 60:02d}:{cpu_seconds % 60:02d}",
        " ".join(args) if args else f"[{comm}]",
    ]


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _start_time(epoch: float) -> str:
    """ps's STIME: the clock time for today's processes, else month and day."""
    started = time.localtime(epoch)
    if time.strftime("%Y%m%d", started) == time.strftime("%Y%m%d"):
        return time.strftime("%H:%M", started)
    return time.strftime("%b%d", started)


def _tty_name(tty_nr: int) -> str:
    if not tty_nr:
        return "?"
    major, minor = os.major(tty_nr), os.minor(tty_nr)
    return f"pts/{minor}" if 136 <= major <= 143 else f"tty{minor}"
