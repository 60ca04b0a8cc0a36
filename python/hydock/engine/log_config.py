"""Logging drivers and their options as Docker checks them (`--log-driver`, `--log-opt`, HostConfig.LogConfig):
json-file, rotated by max-size and max-file, or none."""

from __future__ import annotations

import re
from typing import NamedTuple

from hydock.api_types import LogConfig
from hydock.errors import InvalidArgument, NotImplementedYet
from hydock.units import from_human_size

JSON_FILE = "json-file"
NO_LOG = "none"

# Docker's other built-in drivers: asking for one gets a plain "not supported", not a plugin lookup.
_OTHER_DOCKER_DRIVERS = frozenset(
    ("awslogs", "etwlogs", "fluentd", "gcplogs", "gelf", "journald", "local", "logentries", "splunk", "syslog")
)
_ROTATION_OPTS = ("max-size", "max-file")
# What else Docker's json-file driver accepts: attributes added to each entry, and gzipped rotated files.
_UNSUPPORTED_JSON_FILE_OPTS = frozenset(("compress", "labels", "labels-regex", "env", "env-regex", "tag"))
# Docker checks the values only when the container starts, under this prefix; hydock checks them at create.
_INIT_FAILED = "failed to initialize logging driver: "
_GO_INT = re.compile(r"[+-]?[0-9]+")


class LogRotation(NamedTuple):
    """When the shim rotates the json-file log: past `max_size` bytes (never if None), keeping `max_files`."""

    max_size: int | None
    max_files: int


def checked_log_config(requested: LogConfig | None) -> LogConfig:
    """The LogConfig a container is created with: the default driver filled in, anything Docker refuses refused with
    Docker's message, and anything hydock does not do refused plainly."""
    driver = (requested.type if requested else "") or JSON_FILE
    options = dict((requested.config if requested else None) or {})
    if driver == NO_LOG:
        return LogConfig(driver, options)  # Docker ignores options here; its CLI refuses them (see cli.run_options)
    if driver in _OTHER_DOCKER_DRIVERS:
        raise NotImplementedYet(f"logging driver {driver!r} is not supported by hydock yet (only json-file and none)")
    if driver != JSON_FILE:
        raise InvalidArgument(f'error looking up logging plugin {driver}: plugin "{driver}" not found')
    for key in options:
        if key in _UNSUPPORTED_JSON_FILE_OPTS:
            raise NotImplementedYet(f"log opt '{key}' for json-file log driver is not supported by hydock yet")
        if key not in _ROTATION_OPTS:
            raise InvalidArgument(f"unknown log opt '{key}' for json-file log driver")
    checked = LogConfig(driver, options)
    log_rotation(checked)
    return checked


def log_rotation(config: LogConfig) -> LogRotation:
    """max-size and max-file as Docker's json-file driver reads them, with its messages for bad values."""
    options = config.config or {}
    max_size = None
    if "max-size" in options:
        try:
            max_size = from_human_size(options["max-size"])
        except InvalidArgument as exc:
            raise InvalidArgument(f"{_INIT_FAILED}{exc}") from None
        if max_size <= 0:
            raise InvalidArgument(f"{_INIT_FAILED}max-size must be a positive number")
    max_files = 1
    if "max-file" in options:
        max_files = _go_atoi(options["max-file"])
        if max_files < 1:
            raise InvalidArgument(f"{_INIT_FAILED}max-file cannot be less than 1")
    return LogRotation(max_size, max_files)


def _go_atoi(text: str) -> int:
    """Go's strconv.Atoi on a 64-bit machine, with its error messages."""
    if _GO_INT.fullmatch(text) is None:
        raise InvalidArgument(f'{_INIT_FAILED}strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise InvalidArgument(f'{_INIT_FAILED}strconv.Atoi: parsing "{text}": value out of range')
    return value
