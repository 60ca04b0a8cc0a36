"""The little of RFC 1035 the embedded DNS server needs: read a query's question, write an answer to it."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence

import msgspec

TYPE_A = 1
TYPE_PTR = 12
TYPE_AAAA = 28
CLASS_IN = 1
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
TTL = 600
_HEADER = struct.Struct("!HHHHHH")


class Question(msgspec.Struct, frozen=True):
    id: int
    flags: int
    name: str
    """Lower case, without the trailing dot."""
    qtype: int
    qclass: int
    end: int
    """Offset just past the question in the message."""


def parse_query(message: bytes) -> Question | None:
    """The first question of a standard query; None for anything else (responses, other opcodes, garbage)."""
    if len(message) < _HEADER.size:
        return None
    ident, flags, qdcount, _, _, _ = _HEADER.unpack_from(message)
    if flags & 0x8000 or (flags >> 11) & 0xF or qdcount < 1:
        return None
    labels = []
    offset = _HEADER.size
    while True:
        if offset >= len(message):
            return None
        length = message[offset]
        offset += 1
        if length == 0:
            break
        if length > 63 or offset + length > len(message):
            return None  # compression pointers have no place in a question
        labels.append(message[offset : offset + length].decode("ascii", "replace"))
        offset += length
    if offset + 4 > len(message):
        return None
    qtype, qclass = struct.unpack_from("!HH", message, offset)
    return Question(ident, flags, ".".join(labels).lower(), qtype, qclass, offset + 4)


def _encode_name(name: str) -> bytes:
    encoded = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label)
    return encoded + b"\0"


def response(query: bytes, question: Question, rcode: int, answers: Sequence[bytes] = ()) -> bytes:
    """The answer to `query`: its question echoed, then `answers` (records from a_record/ptr_record)."""
    recursion_desired = question.flags & 0x0100
    flags = 0x8000 | 0x0400 | recursion_desired | 0x0080 | rcode  # response, authoritative, RD echoed, RA
    header = _HEADER.pack(question.id, flags, 1, len(answers), 0, 0)
    return header + query[_HEADER.size : question.end] + b"".join(answers)


def _record(rtype: int, data: bytes) -> bytes:
    # 0xC00C points back at the question's name, at offset 12 of every message.
    return struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, TTL, len(data)) + data


def a_record(address: str) -> bytes:
    return _record(TYPE_A, ipaddress.IPv4Address(address).packed)


def ptr_record(name: str) -> bytes:
    return _record(TYPE_PTR, _encode_name(name))


def reverse_address(name: str) -> str | None:
    """The IPv4 address of a `d.c.b.a.in-addr.arpa` name; None for any other name."""
    if not name.endswith(".in-addr.arpa"):
        return None
    parts = name.removesuffix(".in-addr.arpa").split(".")
    if len(parts) != 4:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(reversed(parts))))
    except ValueError:
        return None
