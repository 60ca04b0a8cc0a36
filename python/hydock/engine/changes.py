"""`import --change` / `commit --change`: the Dockerfile instructions that only touch image config."""

from __future__ import annotations

import json
import shlex

from hydock.errors import InvalidArgument
from hydock.store.records import ContainerConfig

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")


def _command(rest: str) -> list[str]:
    """Exec form when the text is a JSON array of strings, shell form otherwise (Docker's fallback)."""
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return ["/bin/sh", "-c", rest]


def _pairs(rest: str) -> list[tuple[str, str]]:
    words = shlex.split(rest)
    if len(words) == 2 and "=" not in words[0]:
        return [(words[0], words[1])]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidArgument(f"invalid change: expected KEY=VALUE, got {word!r}")
        pairs.append((key, value))
    return pairs


def apply_changes(config: ContainerConfig, changes: list[str]) -> ContainerConfig:
    for change in changes:
        instruction, _, rest = change.strip().partition(" ")
        keyword, rest = instruction.upper(), rest.strip()
        if keyword not in ALLOWED:
            raise InvalidArgument(f"{instruction} is not a valid change command")
        if keyword == "CMD":
            config.cmd = _command(rest)
        elif keyword == "ENTRYPOINT":
            config.entrypoint = _command(rest)
        elif keyword == "ENV":
            env = dict(e.partition("=")[::2] for e in config.env or [])
            env.update(_pairs(rest))
            config.env = [f"{k}={v}" for k, v in env.items()]
        elif keyword == "LABEL":
            config.labels = {**(config.labels or {}), **dict(_pairs(rest))}
        elif keyword == "EXPOSE":
            ports: dict[str, dict] = {p if "/" in p else f"{p}/tcp": {} for p in rest.split()}
            config.exposed_ports = {**(config.exposed_ports or {}), **ports}
        elif keyword == "VOLUME":
            paths = json.loads(rest) if rest.startswith("[") else rest.split()
            config.volumes = {**(config.volumes or {}), **{p: {} for p in paths}}
        elif keyword == "WORKDIR":
            config.working_dir = rest
        elif keyword == "USER":
            config.user = rest
        elif keyword == "STOPSIGNAL":
            config.stop_signal = rest
    return config
