"""Docker's detach keys (`--detach-keys`, default ctrl-p,ctrl-q): parsed, and found in a terminal's input.

Shared by the daemon, which watches the input of tty attach and exec sessions, and the CLI, which watches its own
terminal, as Docker's daemon and CLI both do.
"""

from __future__ import annotations

from hydock.errors import InvalidArgument

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"

_CONTROL_KEYS = {f"ctrl-{chr(c)}": c - 0x60 for c in range(ord("a"), ord("z") + 1)} | {
    "ctrl-@": 0,
    "ctrl-[": 27,
    "ctrl-\\": 28,
    "ctrl-]": 29,
    "ctrl-^": 30,
    "ctrl-_": 31,
}


def parse_detach_keys(text: str) -> bytes:
    """The byte sequence of a comma-separated key list: single characters and ctrl-<key> names, as Docker's
    term.ToBytes reads them (case matters: ctrl-P is no key)."""
    codes = bytearray()
    for key in text.split(","):
        if len(key) == 1:
            codes += key.encode()
        elif key in _CONTROL_KEYS:
            codes.append(_CONTROL_KEYS[key])
        else:
            raise InvalidArgument(f"Invalid detach keys ({text}) provided")
    return bytes(codes)


class DetachScanner:
    """Passes input through, holding back a partial detach sequence until the next bytes show whether it is one."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self._matched = 0
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """What of `data` (and of bytes held back before) is the process's input; after the whole sequence,
        `detached` is set and the rest is dropped."""
        out = bytearray()
        for byte in data:
            if self._matched and byte != self.keys[self._matched]:
                out += self.keys[: self._matched]
                self._matched = 0
            if byte == self.keys[self._matched]:
                self._matched += 1
                if self._matched == len(self.keys):
                    self.detached = True
                    return bytes(out)
            else:
                out.append(byte)
        return bytes(out)
