"""The mount flags of `run`/`create` read as the docker CLI reads them: `-v` split into binds and anonymous volumes,
`--mount`'s CSV into HostConfig.Mounts entries, `--tmpfs` into HostConfig.Tmpfs."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable

from hydock.api_storage import BindOptions, DriverConfig, MountSpec, TmpfsOptions, VolumeOptions
from hydock.errors import FlagError, InvalidArgument
from hydock.units import parse_bytes

# Go's strconv.ParseBool.
_TRUE = ("1", "t", "true")
_FALSE = ("0", "f", "false")


def _local_path(path: str) -> str:
    """`.` and `./x` are the CLI's own relative paths: made absolute before the daemon sees them."""
    return os.path.abspath(path) if path == "." or path.startswith("./") else path


def split_volume_flags(values: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """`-v` values: binds (`SRC:DST[:MODE]`, local relative sources made absolute) and anonymous volume
    destinations (a lone path)."""
    binds, anonymous = [], []
    for value in values:
        source, sep, rest = value.partition(":")
        if not sep:
            anonymous.append(value)
        else:
            binds.append(f"{_local_path(source)}:{rest}")
    return binds, anonymous


def tmpfs_flags(values: tuple[str, ...]) -> dict[str, str]:
    """`--tmpfs DST[:OPTIONS]` values as HostConfig.Tmpfs."""
    return dict((value.partition(":")[0], value.partition(":")[2]) for value in values)


def _flag_error(value: str, problem: str) -> FlagError:
    return FlagError(f'invalid argument "{value}" for "--mount" flag: {problem}')


def _boolean(value: str, key: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise _flag_error(value, f"invalid value for {key}: {text}")


def parse_mount_flag(value: str) -> MountSpec:
    """One `--mount` value: `type=bind|volume|tmpfs,src=...,dst=...,readonly,...` (Docker's MountOpt.Set)."""
    spec = MountSpec(type="volume", target="")
    labels: dict[str, str] = {}
    driver_options: dict[str, str] = {}
    driver = DriverConfig()
    volume_keys: list[str] = []
    no_copy = False
    bind: BindOptions | None = None
    tmpfs: TmpfsOptions | None = None
    for field in next(csv.reader([value]), []):
        key, sep, text = field.partition("=")
        key = key.lower()
        if not sep and key not in ("readonly", "ro", "volume-nocopy", "bind-nonrecursive"):
            raise _flag_error(value, f"invalid field '{field}' must be a key=value pair")
        if key.startswith("volume-"):
            volume_keys.append(key)
        if key.startswith("bind-"):
            bind = bind or BindOptions()
        if key.startswith("tmpfs-"):
            tmpfs = tmpfs or TmpfsOptions()
        if key == "type":
            spec.type = text.lower()
        elif key in ("source", "src"):
            spec.source = _local_path(text)
        elif key in ("target", "dst", "destination"):
            spec.target = text
        elif key in ("readonly", "ro"):
            spec.read_only = _boolean(value, key, text) if sep else True
        elif key == "consistency":
            spec.consistency = text.lower()
        elif key == "bind-propagation":
            assert bind is not None
            bind.propagation = text.lower()
        elif key == "bind-nonrecursive":
            assert bind is not None
            bind.non_recursive = _boolean(value, key, text) if sep else True
        elif key == "volume-nocopy":
            no_copy = _boolean(value, key, text) if sep else True
        elif key in ("volume-label", "volume-opt"):
            name, _, setting = text.partition("=")
            if name:
                (labels if key == "volume-label" else driver_options)[name] = setting
        elif key == "volume-driver":
            driver.name = text
        elif key == "tmpfs-size":
            assert tmpfs is not None
            tmpfs.size_bytes = _tmpfs_number(value, key, text, parse_bytes)
        elif key == "tmpfs-mode":
            assert tmpfs is not None
            tmpfs.mode = _tmpfs_number(value, key, text, lambda digits: int(digits, 8))
        else:
            raise _flag_error(value, f"unexpected key '{key}' in '{field}'")
    if not spec.type:
        raise _flag_error(value, "type is required")
    if not spec.target:
        raise _flag_error(value, "target is required")
    for given, kind in ((volume_keys, "volume"), (bind, "bind"), (tmpfs, "tmpfs")):
        if given and spec.type != kind:
            raise _flag_error(value, f"cannot mix '{kind}-*' options with mount type '{spec.type}'")
    if volume_keys:
        driver.options = driver_options or None
        spec.volume_options = VolumeOptions(no_copy=no_copy, labels=labels, driver_config=driver)
    spec.bind_options, spec.tmpfs_options = bind, tmpfs
    return spec


def _tmpfs_number(value: str, key: str, text: str, parse: Callable[[str], int]) -> int:
    try:
        return parse(text)
    except (InvalidArgument, ValueError):
        raise _flag_error(value, f"invalid value for {key}: {text}") from None
