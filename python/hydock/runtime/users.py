"""Resolve `-u user[:group]` against the image's /etc/passwd and /etc/group, as Docker does."""

from __future__ import annotations

from pathlib import Path

import msgspec

from hydock.errors import ContainerStartError


class ResolvedUser(msgspec.Struct, frozen=True):
    uid: int
    gid: int
    additional_gids: list[int]
    home: str


def _read_table(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(rootfs: Path, spec: str) -> ResolvedUser:
    """uid, gid and supplementary groups for a Docker user spec, looked up inside `rootfs`."""
    user_part, _, group_part = spec.partition(":")
    user_part = user_part or "0"
    passwd = _read_table(rootfs / "etc/passwd")
    groups = _read_table(rootfs / "etc/group")

    entry = next((row for row in passwd if len(row) >= 4 and (row[0] == user_part or row[2] == user_part)), None)
    if entry is not None:
        name, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5] if len(entry) > 5 else "/"
    elif user_part.isdigit():
        name, uid, gid, home = "", int(user_part), 0, "/"
    else:
        raise ContainerStartError(
            f"unable to find user {user_part}: no matching entries in passwd file", step="user", exit_code=125
        )

    if group_part:
        group = next((row for row in groups if len(row) >= 3 and (row[0] == group_part or row[2] == group_part)), None)
        if group is not None:
            gid = int(group[2])
        elif group_part.isdigit():
            gid = int(group_part)
        else:
            raise ContainerStartError(
                f"unable to find group {group_part}: no matching entries in group file", step="user", exit_code=125
            )
        additional: list[int] = []
    else:
        additional = sorted(
            {int(row[2]) for row in groups if len(row) >= 4 and name and name in row[3].split(",") and row[2].isdigit()}
            - {gid}
        )
    return ResolvedUser(uid, gid, additional, home)
