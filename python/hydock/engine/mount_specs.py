"""Docker's mount syntaxes read and checked with its rules and messages: `-v`/Binds (`[SRC:]DST[:MODE]`),
`--mount`/HostConfig.Mounts, `--tmpfs`/HostConfig.Tmpfs, `--volumes-from`. Pure: nothing is created here."""

from __future__ import annotations

import posixpath

import msgspec

from hydock.api_storage import MountSpec, TmpfsOptions
from hydock.errors import InvalidArgument

PROPAGATIONS = ("private", "rprivate", "slave", "rslave", "shared", "rshared")
DEFAULT_PROPAGATION = "rprivate"
_MODE_GROUPS = (
    ("rw", "ro"),
    ("z", "Z"),
    PROPAGATIONS,
    ("nocopy",),
    ("consistent", "cached", "delegated"),
)
# What --tmpfs and a tmpfs --mount get unless their options say otherwise (Docker's defaults).
TMPFS_DEFAULTS = ("nosuid", "nodev", "noexec")


class MountRequest(msgspec.Struct, kw_only=True):
    """One mount a container asks for, checked but not yet made (Docker's MountPoint before its volume exists)."""

    type: str
    destination: str
    source: str = ""
    """bind: the host path; volume: its name, empty for a new anonymous one."""
    rw: bool = True
    mode: str = ""
    propagation: str = ""
    copy_data: bool = True
    """volume: fill it, if empty, with what the image has at the destination."""
    create_source: bool = False
    """bind: a missing host directory is created (-v), rather than refused (--mount)."""
    volume_labels: dict[str, str] = {}
    volume_options: dict[str, str] = {}
    tmpfs_options: list[str] = []


def valid_mode(mode: str) -> bool:
    """Docker's rule for a bind's MODE: comma-separated, at most one word of each kind."""
    if not mode:
        return True
    counts = [0] * len(_MODE_GROUPS)
    for word in mode.split(","):
        group = next((i for i, words in enumerate(_MODE_GROUPS) if word in words), None)
        if group is None:
            return False
        counts[group] += 1
    return max(counts) <= 1


def _mode_words(mode: str) -> list[str]:
    return mode.split(",") if mode else []


class _MountConfigError(InvalidArgument):
    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(f'invalid mount config for type "{kind}": {problem}')


def _check_target(kind: str, target: str) -> None:
    if not target:
        raise _MountConfigError(kind, "field Target must not be empty")
    if target == "/":
        raise _MountConfigError(kind, "invalid specification: destination can't be '/'")
    if not posixpath.isabs(target):
        raise _MountConfigError(kind, f"invalid mount path: '{target}' mount path must be absolute")


def parse_bind(raw: str) -> MountRequest:
    """A Binds entry (`-v`): `DST`, `SRC:DST` or `SRC:DST:MODE`; SRC absolute is a host path, else a volume name."""
    parts = raw.split(":", 3)
    if not parts[0]:
        raise InvalidArgument(f"invalid volume specification: '{raw}'")
    source, mode = "", ""
    if len(parts) == 1:
        target = parts[0]
    elif len(parts) == 2:
        if valid_mode(parts[1]):
            raise InvalidArgument(f"invalid volume specification: '{raw}'")
        source, target = parts
    elif len(parts) == 3:
        source, target, mode = parts
    else:
        raise InvalidArgument(f"invalid volume specification: '{raw}'")
    if not valid_mode(mode):
        raise InvalidArgument(f"invalid mode: {mode}")
    words = _mode_words(mode)
    kind = "bind" if posixpath.isabs(source) else "volume"
    try:
        _check_target(kind, target)
        if kind == "volume" and not source and "ro" in words:
            raise _MountConfigError(kind, "must not set ReadOnly mode when using anonymous volumes")
    except InvalidArgument as exc:
        raise InvalidArgument(f"invalid volume specification: '{raw}': {exc}") from None
    propagation = next((word for word in words if word in PROPAGATIONS), "")
    return MountRequest(
        type=kind,
        destination=posixpath.normpath(target),
        source=posixpath.normpath(source) if kind == "bind" else source,
        rw="ro" not in words,
        mode=mode,
        propagation=(propagation or DEFAULT_PROPAGATION) if kind == "bind" else propagation,
        copy_data="nocopy" not in words,
        create_source=True,
    )


def parse_mount(spec: MountSpec) -> MountRequest:
    """A HostConfig.Mounts entry (`--mount`), checked as Docker checks it (a bind's source must exist)."""
    kind = spec.type
    if kind not in ("bind", "volume", "tmpfs"):
        _check_target(kind, spec.target)
        raise _MountConfigError(kind, "mount type unknown")
    _check_target(kind, spec.target)
    destination = posixpath.normpath(spec.target)
    if kind != "bind" and spec.bind_options is not None:
        raise _MountConfigError(kind, "field BindOptions must not be specified")
    if kind != "volume" and spec.volume_options is not None:
        raise _MountConfigError(kind, "field VolumeOptions must not be specified")
    if kind == "bind":
        return _bind_mount(spec, destination)
    if kind == "tmpfs":
        if spec.source:
            raise _MountConfigError(kind, "field Source must not be specified")
        options = tmpfs_mount_options(spec.tmpfs_options or TmpfsOptions(), spec.read_only)
        return MountRequest(type="tmpfs", destination=destination, rw=not spec.read_only, tmpfs_options=options)
    if spec.tmpfs_options is not None:
        raise _MountConfigError(kind, "field TmpfsOptions must not be specified")
    if not spec.source and spec.read_only:
        raise _MountConfigError(kind, "must not set ReadOnly mode when using anonymous volumes")
    volume = spec.volume_options
    driver = volume.driver_config if volume is not None else None
    if driver is not None and driver.name not in ("", "local"):
        raise InvalidArgument(f"error looking up volume plugin {driver.name}: plugin {driver.name!r} not found")
    return MountRequest(
        type="volume",
        destination=destination,
        source=spec.source,
        rw=not spec.read_only,
        copy_data=not (volume is not None and volume.no_copy),
        volume_labels=dict(volume.labels or {}) if volume is not None else {},
        volume_options=dict(driver.options or {}) if driver is not None else {},
    )


def _bind_mount(spec: MountSpec, destination: str) -> MountRequest:
    if not spec.source:
        raise _MountConfigError("bind", "field Source must not be empty")
    if spec.tmpfs_options is not None:
        raise _MountConfigError("bind", "field TmpfsOptions must not be specified")
    propagation = spec.bind_options.propagation if spec.bind_options is not None else ""
    if propagation and propagation not in PROPAGATIONS:
        raise _MountConfigError("bind", f"invalid propagation mode: {propagation}")
    if not posixpath.isabs(spec.source):
        raise _MountConfigError("bind", f"invalid mount path: '{spec.source}' mount path must be absolute")
    source = posixpath.normpath(spec.source)
    if not posixpath.lexists(source):
        raise _MountConfigError("bind", f"bind source path does not exist: {source}")
    return MountRequest(
        type="bind",
        destination=destination,
        source=source,
        rw=not spec.read_only,
        propagation=propagation or DEFAULT_PROPAGATION,
    )


def tmpfs_mount_options(options: TmpfsOptions, read_only: bool) -> list[str]:
    """A tmpfs --mount's kernel options, as Docker derives them (size in KiB)."""
    words = list(TMPFS_DEFAULTS)
    if options.size_bytes < 0:
        raise _MountConfigError("tmpfs", "invalid tmpfs size")
    if options.size_bytes:
        words.append(f"size={(options.size_bytes + 1023) // 1024}k")
    if options.mode:
        words.append(f"mode={options.mode & 0o7777:o}")
    if read_only:
        words.append("ro")
    return words


def parse_tmpfs(destination: str, options: str) -> MountRequest:
    """A HostConfig.Tmpfs entry (`--tmpfs DST[:OPTIONS]`): the user's options after Docker's defaults."""
    if not posixpath.isabs(destination):
        raise InvalidArgument(f"invalid mount path: '{destination}' mount path must be absolute")
    if destination == "/":
        raise InvalidArgument("invalid specification: destination can't be '/'")
    words = [*TMPFS_DEFAULTS, *(word for word in options.split(",") if word)]
    return MountRequest(
        type="tmpfs", destination=posixpath.normpath(destination), rw="ro" not in words, tmpfs_options=words
    )


def split_tmpfs_flag(text: str) -> tuple[str, str]:
    """`--tmpfs /run:rw,size=64m` -> ("/run", "rw,size=64m")."""
    destination, _, options = text.partition(":")
    return destination, options


def parse_volumes_from(text: str) -> tuple[str, bool]:
    """`CONTAINER[:MODE]`: the container, and whether its mounts are taken read-only (`ro`; otherwise as they are)."""
    if not text:
        raise InvalidArgument("volumes-from specification cannot be an empty string")
    name, _, mode = text.partition(":")
    if not valid_mode(mode):
        raise InvalidArgument(f"invalid mode: {mode}")
    if any(word in PROPAGATIONS for word in _mode_words(mode)):
        raise InvalidArgument(f"invalid volume specification: '{text}'")
    return name, "ro" in _mode_words(mode)
