"""Image references parsed and normalised by Docker's grammar: [registry/]name[:tag][@digest]."""

from __future__ import annotations

import re

import msgspec

from hydock.errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE_RE = re.compile(rf"^((?:{_DOMAIN}/)?{_PATH})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_ANCHORED_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_DOMAIN_RE = re.compile(rf"^{_DOMAIN}$")
_TAG_RE = re.compile(rf"^{_TAG}$")
_PATH_RE = re.compile(rf"^{_PATH}$")


class Reference(msgspec.Struct, frozen=True):
    """A normalised reference: `domain` is never empty, Docker Hub names carry `library/`."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def familiar_repository(self) -> str:
        """The short form Docker prints: `busybox` for docker.io/library/busybox."""
        if self.domain == DEFAULT_DOMAIN:
            path = self.path
            return path[len(OFFICIAL_PREFIX) :] if path.startswith(OFFICIAL_PREFIX) else path
        return self.repository

    def with_default_tag(self) -> Reference:
        if self.tag is None and self.digest is None:
            return Reference(self.domain, self.path, DEFAULT_TAG, None)
        return self

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def familiar(self) -> str:
        text = self.familiar_repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse_reference(text: str) -> Reference:
    """Parse like Docker's ParseNormalizedNamed; every failure is an InvalidReference naming the input."""
    if not text:
        raise InvalidReference("invalid reference format: repository name must have at least one component")
    if _ANCHORED_HEX64.match(text):
        raise InvalidReference(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    match = _REFERENCE_RE.match(text)
    if match is None:
        if text != text.lower() and _REFERENCE_RE.match(text.lower()):
            raise InvalidReference(f"invalid reference format: repository name ({text}) must be lowercase")
        raise InvalidReference(f"invalid reference format: {text!r}")
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    domain, path = _split_domain(name)
    if path != path.lower():
        raise InvalidReference(f"invalid reference format: repository name ({path}) must be lowercase")
    if not _DOMAIN_RE.match(domain):
        raise InvalidReference(f"invalid reference format: bad registry domain {domain!r}")
    if len(f"{domain}/{path}") > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"invalid reference format: repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
        )
    return Reference(domain, path, tag, digest)


def validate_tag(tag: str) -> str:
    if not _TAG_RE.match(tag):
        raise InvalidReference(f"invalid reference format: invalid tag {tag!r}")
    return tag


def validate_repository_path(path: str) -> str:
    """A repository name without its registry domain, as a registry's `/v2/<name>/` receives it."""
    if not _PATH_RE.match(path):
        raise InvalidReference(f"invalid repository name {path!r}")
    if len(path) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters")
    return path


def join_tag(repository: str, tag: str | None) -> str:
    """`repository` with the API's separate `tag` parameter, which may also hold a digest (`sha256:...`)."""
    if not tag:
        return repository
    return f"{repository}@{tag}" if ":" in tag else f"{repository}:{tag}"
