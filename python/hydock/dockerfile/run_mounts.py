"""`RUN --mount=type=cache,target=/root/.cache,...`: the CSV spec parsed and checked as BuildKit does."""

from __future__ import annotations

import csv
from collections.abc import Callable

import msgspec

from hydock.dockerfile.nodes import Mount
from hydock.dockerfile.problem import Problem, go_quote
from hydock.dockerfile.suggest import did_you_mean
from hydock.errors import InvalidArgument
from hydock.units import parse_bytes

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid",
    "src", "dst", "destination", "ro", "rw", "readwrite", "env",
)  # fmt: skip
_FILE_INFO_TYPES = frozenset({"secret", "ssh", "cache"})
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_mount(spec: str, expand: Callable[[str], str] | None = None) -> Mount:
    """The mount `spec` describes. Without `expand` (at parse time) values stay as written and any
    check a `$VAR` could change is left to evaluation, where `expand` is given."""
    try:
        fields = next(csv.reader([spec], strict=True), [])
    except csv.Error as exc:
        raise Problem(f"failed to parse csv mounts: {exc}", spec) from None
    state = _MountState(spec, expand)
    for field in fields:
        state.apply(field)
    return state.finish()


class _MountState:
    def __init__(self, spec: str, expand: Callable[[str], str] | None) -> None:
        self.spec = spec
        self.expand = expand
        self.values: dict[str, object] = {"type": "bind"}
        self.readonly_given = False
        self.deferred = False

    def _static(self, value: str) -> bool:
        """Whether `value` can be checked now (it is final, or holds no variable)."""
        if self.expand is None and "$" in value:
            self.deferred = True
            return False
        return True

    def apply(self, field: str) -> None:
        key, has_value, value = field.partition("=")
        key = key.lower()
        if not has_value:
            self._flag_only(key, field)
            return
        if self.expand is not None:
            value = self.expand(value)
        elif key == "from" and "$" in value[:-1]:
            raise Problem(f"'{key}' doesn't support variable expansion, define alias stage instead", field)
        self._keyed(key, value, field)

    def _flag_only(self, key: str, field: str) -> None:
        if key in ("readonly", "ro", "readwrite", "rw"):
            self.values["readonly"] = key in ("readonly", "ro")
            self.readonly_given = True
        elif key == "required":
            self._require_type(key, ("secret", "ssh"))
            self.values["required"] = True
        else:
            raise Problem(f"invalid field '{field}' must be a key=value pair", field)

    def _keyed(self, key: str, value: str, field: str) -> None:
        if key == "type":
            if self._static(value):
                if value.lower() not in MOUNT_TYPES:
                    raise Problem(did_you_mean(f"unsupported mount type {go_quote(value)}", value, MOUNT_TYPES), field)
                value = value.lower()
            self.values["type"] = value
        elif key in ("from", "id", "env"):
            self.values[key] = value
        elif key in ("source", "src"):
            self.values["source"] = value
        elif key in ("target", "dst", "destination"):
            self.values["target"] = value
        elif key in ("readonly", "ro", "readwrite", "rw"):
            if self._static(value):
                flag = _go_bool(value, key)
                self.values["readonly"] = flag if key in ("readonly", "ro") else not flag
            self.readonly_given = True
        elif key == "required":
            self._require_type(key, ("secret", "ssh"))
            if self._static(value):
                self.values["required"] = _go_bool(value, key)
        elif key == "size":
            self._require_type(key, ("tmpfs",))
            if self._static(value):
                self.values["size"] = _size(value)
        elif key == "sharing":
            if self._static(value):
                if value.lower() not in SHARING_MODES:
                    message = f"unsupported sharing value {go_quote(value)}"
                    raise Problem(did_you_mean(message, value, SHARING_MODES), field)
                value = value.lower()
            self.values["sharing"] = value
        elif key in ("mode", "uid", "gid"):
            if self._static(value):
                self.values[key] = _unsigned(value, key, 8 if key == "mode" else 10)
        else:
            raise Problem(did_you_mean(f"unexpected key '{key}' in '{field}'", key, _KEYS), field)

    def _require_type(self, key: str, types: tuple[str, ...]) -> None:
        kind = str(self.values["type"])
        if kind not in types and (self.expand is not None or "$" not in kind):
            raise Problem(f"unexpected key '{key}' for mount type '{kind}'")

    def finish(self) -> Mount:
        kind = str(self.values["type"])
        if not self.readonly_given:
            self.values["readonly"] = kind not in ("cache", "tmpfs")
        if not self.deferred:
            self._check(kind)
        return msgspec.convert({**self.values, "spec": self.spec}, Mount)

    def _check(self, kind: str) -> None:
        if kind not in _FILE_INFO_TYPES:
            for key in ("mode", "uid", "gid"):
                if key in self.values:
                    raise Problem(f"{key} not allowed for {go_quote(kind)} type mounts")
        sharing = self.values.get("sharing", "")
        if kind == "secret":
            if self.values.get("from"):
                raise Problem("secret mount should not have a from")
            if sharing:
                raise Problem("secret mount should not define sharing")
            source, target, ident = (self.values.get(k, "") for k in ("source", "target", "id"))
            if not (source or target or ident):
                raise Problem("invalid secret mount. one of source, target required")
            if source and ident:
                raise Problem("both source and id can't be set")
        if sharing and kind != "cache":
            raise Problem(f"invalid cache sharing set for {kind} mount")


def _go_bool(value: str, key: str) -> bool:
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    raise Problem(f"invalid value for {key}: {value}")


def _size(value: str) -> int:
    try:
        return parse_bytes(value)
    except InvalidArgument:
        raise Problem(f"invalid value for size: {value}") from None


def _unsigned(value: str, key: str, base: int) -> int:
    digits = "01234567" if base == 8 else "0123456789"
    number = int(value, base) if value and all(ch in digits for ch in value) else -1
    if not 0 <= number < 1 << 32:
        raise Problem(f"invalid value {value} for {key}")
    return number
