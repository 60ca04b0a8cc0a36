"""htpasswd files of bcrypt entries (what `htpasswd -B` writes), the one kind Docker's registry accepts, and the
basic-auth credentials checked against them."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import bcrypt

from hydock.errors import InvalidArgument

_BCRYPT_PREFIXES = (b"$2a$", b"$2b$", b"$2y$")
# Checked for unknown users too, so that the time of an answer does not tell which users exist.
_ABSENT_USER_HASH = bcrypt.hashpw(b"absent", bcrypt.gensalt(5))


class Htpasswd:
    def __init__(self, entries: dict[str, bytes]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> Htpasswd:
        entries = {}
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, hashed = line.partition(":")
            if not sep or not hashed.encode().startswith(_BCRYPT_PREFIXES):
                raise InvalidArgument(f"{path}:{number}: only bcrypt entries are supported (htpasswd -B)")
            entries[user] = hashed.encode()
        return cls(entries)

    def verify(self, user: str, password: str) -> bool:
        """Checks a password (bcrypt is slow by design: call it off the event loop)."""
        hashed = self._entries.get(user)
        matches = bcrypt.checkpw(password.encode(), hashed or _ABSENT_USER_HASH)
        return hashed is not None and matches


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header; None for any other or a malformed one."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None
