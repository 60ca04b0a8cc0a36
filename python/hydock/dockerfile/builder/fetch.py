"""ADD's remote sources: a URL downloaded to a file, checked against --checksum, named as Docker names it."""

from __future__ import annotations

import hashlib
import posixpath
import urllib.error
import urllib.parse
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple

from hydock.errors import BuildError

_TIMEOUT = 60


class Download(NamedTuple):
    path: Path
    name: str
    """The file name ADD gives it in a destination directory: the last segment of the URL's path."""
    digest: str
    mtime: int | None
    """From Last-Modified, as Docker sets it."""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def is_git(source: str) -> bool:
    return source.startswith("git@") or source.endswith(".git")


def download(url: str, into: Path, checksum: str = "") -> Download:
    """Fetches `url` into the directory `into`; raises BuildError when it fails or its digest is not `checksum`."""
    name = posixpath.basename(urllib.parse.urlsplit(url).path)
    if not name:
        raise BuildError(f"cannot determine filename from url: {url}")
    target = into / hashlib.sha256(url.encode()).hexdigest()
    hasher = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response, open(target, "wb") as out:
            while chunk := response.read(1 << 20):
                hasher.update(chunk)
                out.write(chunk)
            modified = response.headers.get("Last-Modified")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise BuildError(f"failed to download {url}: {exc}") from None
    digest = "sha256:" + hasher.hexdigest()
    if checksum and checksum != digest:
        target.unlink(missing_ok=True)
        raise BuildError(f"digest mismatch for {url}: {checksum} expected, {digest} downloaded")
    mtime = None
    if modified:
        try:
            mtime = int(parsedate_to_datetime(modified).timestamp())
        except (TypeError, ValueError):
            pass
    return Download(target, name, digest, mtime)
