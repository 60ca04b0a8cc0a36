"""The daemon's filter matching and event wire shape, as docker-compose relies on them."""

from __future__ import annotations

import msgspec
import pytest

from hydock.daemon.events import Actor, Event
from hydock.errors import InvalidArgument
from hydock.filters import matches_filters

LABELS = {"com.docker.compose.project": "demo", "com.docker.compose.service": "web", "flag": ""}


def test_every_label_must_match_but_any_value_of_another_key() -> None:
    checks = {"name": lambda v: v == "demo_web_1"}
    project = "com.docker.compose.project=demo"
    assert matches_filters({"label": [project, "com.docker.compose.service=web"]}, checks, LABELS)
    assert not matches_filters({"label": [project, "com.docker.compose.service=client"]}, checks, LABELS)
    assert matches_filters({"label": ["flag", project], "name": ["other", "demo_web_1"]}, checks, LABELS)
    assert not matches_filters({"label": ["missing"]}, checks, LABELS)
    assert not matches_filters({"name": ["other"]}, checks, LABELS)
    with pytest.raises(InvalidArgument, match="invalid filter 'colour'"):
        matches_filters({"colour": ["red"]}, checks, LABELS)


def test_container_events_carry_the_legacy_fields_in_lower_case() -> None:
    event = Event("container", "start", Actor("abc", {}), "local", 1, 1_000_000_000, status="start", id="abc")
    wire = msgspec.json.decode(msgspec.json.encode(event))
    assert wire["status"] == "start" and wire["id"] == "abc" and wire["Action"] == "start"
