"""Docker's detach keys: how --detach-keys is read, and how a terminal's input is watched for them."""

from __future__ import annotations

import pytest

from hydock.detach_keys import DEFAULT_DETACH_KEYS, DetachScanner, parse_detach_keys
from hydock.errors import InvalidArgument


def test_keys_read_as_docker_reads_them() -> None:
    assert parse_detach_keys(DEFAULT_DETACH_KEYS) == b"\x10\x11"
    assert parse_detach_keys("ctrl-a,x,ctrl-@,ctrl-\\,ctrl-_") == b"\x01x\x00\x1c\x1f"
    for bad in ("ctrl-P,q", "bad", "", "ctrl-p,,ctrl-q"):
        with pytest.raises(InvalidArgument, match=r"Invalid detach keys \(.*\) provided"):
            parse_detach_keys(bad)


def test_the_sequence_detaches_and_anything_else_passes_through() -> None:
    scanner = DetachScanner(b"\x10\x11")
    assert scanner.feed(b"ls\r") == b"ls\r"
    # A partial sequence is held back until the next bytes decide, even across reads.
    assert scanner.feed(b"a\x10") == b"a"
    assert scanner.feed(b"b") == b"\x10b"
    assert not scanner.detached
    # After a false start, the byte that broke it may begin the sequence itself.
    assert scanner.feed(b"\x10\x10\x11rest") == b"\x10"
    assert scanner.detached


def test_a_sequence_split_over_reads_detaches() -> None:
    scanner = DetachScanner(b"\x18y")
    assert scanner.feed(b"echo hi\x18") == b"echo hi"
    assert scanner.feed(b"y") == b"" and scanner.detached
