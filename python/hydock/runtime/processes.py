"""Process identity across time: a pid is ours only while its start time is the one we recorded."""

from __future__ import annotations


def start_time(pid: int) -> int:
    """Field 22 of /proc/PID/stat (clock ticks since boot), 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    # The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    fields = stat[stat.rindex(b")") + 2 :].split()
    if fields[0] == b"Z":
        return 0
    return int(fields[19])


def is_alive(pid: int, recorded_start: int) -> bool:
    return pid > 0 and recorded_start > 0 and start_time(pid) == recorded_start
