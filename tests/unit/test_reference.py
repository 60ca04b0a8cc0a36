"""Image references parse and normalise as Docker's reference package does."""

from __future__ import annotations

import pytest

from hydock.errors import InvalidReference
from hydock.store.reference import parse_reference, validate_repository_path, validate_tag

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "text, full, familiar",
    [
        ("busybox", "docker.io/library/busybox", "busybox"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("user/app", "docker.io/user/app", "user/app"),
        ("index.docker.io/user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        ("localhost/app", "localhost/app", "localhost/app"),
        ("localhost:5000/a/b/c:tag", "localhost:5000/a/b/c:tag", "localhost:5000/a/b/c:tag"),
        ("quay.io/org/img@" + DIGEST, "quay.io/org/img@" + DIGEST, "quay.io/org/img@" + DIGEST),
        (
            "registry.example.com:443/x:1.0-rc_2",
            "registry.example.com:443/x:1.0-rc_2",
            "registry.example.com:443/x:1.0-rc_2",
        ),
        ("a__b-c_d/e.f", "docker.io/a__b-c_d/e.f", "a__b-c_d/e.f"),
        ("[::1]:5000/img", "[::1]:5000/img", "[::1]:5000/img"),
    ],
)
def test_valid_references(text: str, full: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


def test_default_tag_only_without_digest() -> None:
    assert parse_reference("busybox").with_default_tag().tag == "latest"
    assert parse_reference("busybox@" + DIGEST).with_default_tag().tag is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one component"),
        ("Busybox", "must be lowercase"),
        ("library/Upper:tag", "must be lowercase"),
        ("a//b", "invalid reference format"),
        ("img:", "invalid reference format"),
        ("img:bad tag", "invalid reference format"),
        ("img@sha256:short", "invalid reference format"),
        ("-leading", "invalid reference format"),
        ("ab" * 32, "64-byte hexadecimal"),
        ("x/" + "a" * 260, "255 characters"),
    ],
)
def test_invalid_references(text: str, message: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert message in str(info.value)


@pytest.mark.parametrize("path", ["busybox", "library/busybox", "a__b/c-d.e/f_g", "x" * 255])
def test_repository_paths_a_registry_accepts(path: str) -> None:
    assert validate_repository_path(path) == path


@pytest.mark.parametrize("path", ["Upper", "a//b", "-x", "x/", "a..b", "../etc", "caf\u00e9", "x" * 256])
def test_repository_paths_a_registry_refuses(path: str) -> None:
    with pytest.raises(InvalidReference):
        validate_repository_path(path)


def test_tags_are_ascii_as_in_dockers_grammar() -> None:
    assert validate_tag("v1.0_rc-2") == "v1.0_rc-2"
    for tag in ("caf\u00e9", ".hidden", "-x", "a" * 129):
        with pytest.raises(InvalidReference):
            validate_tag(tag)
