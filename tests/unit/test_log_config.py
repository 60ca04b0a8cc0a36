"""Docker's rules for `--log-driver`/`--log-opt` (checked against dockerd 20.10's messages) and its decimal sizes."""

from __future__ import annotations

import pytest

from hydock.api_types import LogConfig
from hydock.engine.log_config import LogRotation, checked_log_config, log_rotation
from hydock.errors import InvalidArgument, NotImplementedYet
from hydock.units import from_human_size


@pytest.mark.parametrize(
    "text, size",
    [("10", 10), ("10k", 10_000), ("10K", 10_000), ("10kb", 10_000), ("10KiB", 10_000), ("1.5m", 1_500_000)]
    + [("10 k", 10_000), ("2g", 2 * 10**9), ("1b", 1), ("10i", 10), ("0.5", 0)],
)
def test_from_human_size_is_decimal_like_go_units(text: str, size: int) -> None:
    assert from_human_size(text) == size


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "invalid size: 'abc'"),
        (" 10", "invalid size: ' 10'"),
        ("+5", "invalid size: '+5'"),
        ("1e3", "invalid size: '1e3'"),
        ("10kk", "invalid size: '10kk'"),
        ("", "invalid size: ''"),
        ("1.2.3", 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'),
    ],
)
def test_from_human_size_rejects_like_go_units(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        from_human_size(text)
    assert str(raised.value) == message


def test_defaults_and_rotation() -> None:
    assert checked_log_config(None) == LogConfig("json-file", {})
    assert checked_log_config(LogConfig("", None)) == LogConfig("json-file", {})
    config = checked_log_config(LogConfig("json-file", {"max-size": "10k", "max-file": "3"}))
    assert log_rotation(config) == LogRotation(10_000, 3)
    assert log_rotation(LogConfig("json-file", {})) == LogRotation(None, 1)
    # dockerd 20.10 takes max-file without max-size (and then never rotates).
    assert log_rotation(checked_log_config(LogConfig("json-file", {"max-file": "+3"}))) == LogRotation(None, 3)
    # Through the API, options for the none driver are kept, as dockerd does; only its CLI refuses them.
    assert checked_log_config(LogConfig("none", {"max-size": "1k"})) == LogConfig("none", {"max-size": "1k"})


@pytest.mark.parametrize(
    "options, message",
    [
        ({"max-size": "abc"}, "failed to initialize logging driver: invalid size: 'abc'"),
        ({"max-size": "-1"}, "failed to initialize logging driver: invalid size: '-1'"),
        ({"max-size": "0.5"}, "failed to initialize logging driver: max-size must be a positive number"),
        (
            {"max-size": "99999999999999999999"},
            "failed to initialize logging driver: max-size must be a positive number",
        ),
        ({"max-file": "0"}, "failed to initialize logging driver: max-file cannot be less than 1"),
        ({"max-file": " 3"}, 'failed to initialize logging driver: strconv.Atoi: parsing " 3": invalid syntax'),
        (
            {"max-file": "99999999999999999999"},
            'failed to initialize logging driver: strconv.Atoi: parsing "99999999999999999999": value out of range',
        ),
        ({"foo": "bar"}, "unknown log opt 'foo' for json-file log driver"),
    ],
)
def test_invalid_options_get_dockers_messages(options: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        checked_log_config(LogConfig("json-file", options))
    assert str(raised.value) == message


def test_drivers() -> None:
    with pytest.raises(InvalidArgument, match='error looking up logging plugin bogus: plugin "bogus" not found'):
        checked_log_config(LogConfig("bogus", {}))
    with pytest.raises(NotImplementedYet, match="logging driver 'journald' is not supported by hydock yet"):
        checked_log_config(LogConfig("journald", {}))
    with pytest.raises(NotImplementedYet, match="log opt 'tag' for json-file log driver is not supported"):
        checked_log_config(LogConfig("json-file", {"tag": "x"}))
