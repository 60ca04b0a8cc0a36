"""Healthchecks' pure part: merging over the image's, defaults, probe commands and timing, the state machine, ps
wording, and the CLI's health flags."""

from __future__ import annotations

import pytest

from hydock.api_types import HealthcheckBody
from hydock.cli.run_options import _healthcheck as cli_healthcheck
from hydock.engine.health import (
    HEALTHY,
    STARTING,
    UNHEALTHY,
    check_healthcheck,
    merge_healthcheck,
    next_probe_delay,
    probe_command,
    probe_output,
    probe_timing,
    record_result,
    starting_health,
    stopped_health,
)
from hydock.engine.records import ContainerState, Health, HealthcheckResult
from hydock.engine.status import status_text
from hydock.errors import InvalidArgument
from hydock.store.records import HealthConfig
from hydock.timeutil import parse_rfc3339

S = 1_000_000_000
MS = S // 1000


def test_merge_takes_the_image_s_for_what_the_container_leaves_empty() -> None:
    image = HealthConfig(["CMD", "check"], interval=10 * S, timeout=2 * S, start_period=5 * S, retries=4)
    asked = HealthConfig([], interval=200 * MS, start_interval=MS)
    assert merge_healthcheck(asked, image) == HealthConfig(
        ["CMD", "check"], interval=200 * MS, timeout=2 * S, start_period=5 * S, start_interval=MS, retries=4
    )
    assert merge_healthcheck(None, image) is image
    assert merge_healthcheck(asked, None) is asked
    assert merge_healthcheck(None, None) is None
    disabled = HealthConfig(["NONE"])
    assert merge_healthcheck(disabled, image) == HealthConfig(
        ["NONE"], interval=10 * S, timeout=2 * S, start_period=5 * S, retries=4
    )


def test_defaults_fill_zero_settings() -> None:
    timing = probe_timing(HealthConfig(["CMD", "true"]))
    assert (timing.interval, timing.timeout, timing.start_period, timing.start_interval, timing.retries) == (
        30 * S,
        30 * S,
        0,
        5 * S,
        3,
    )
    assert probe_timing(HealthConfig(["CMD", "true"], retries=-1)).retries == 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (HealthConfig([], interval=MS - 1), "Interval in Healthcheck cannot be less than 1ms"),
        (HealthConfig([], timeout=-S), "Timeout in Healthcheck cannot be less than 1ms"),
        (HealthConfig([], start_period=1), "StartPeriod in Healthcheck cannot be less than 1ms"),
        (HealthConfig([], start_interval=1), "StartInterval in Healthcheck cannot be less than 1ms"),
        (HealthConfig([], retries=-1), "Retries in Healthcheck cannot be negative"),
    ],
)
def test_daemon_checks(config: HealthConfig, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        check_healthcheck(config)
    check_healthcheck(HealthConfig([], interval=MS))


def test_probe_commands() -> None:
    assert probe_command(HealthConfig(["CMD", "test", "-f", "/ok"]), None) == ["test", "-f", "/ok"]
    assert probe_command(HealthConfig(["CMD-SHELL", "test -f /ok"]), None) == ["/bin/sh", "-c", "test -f /ok"]
    assert probe_command(HealthConfig(["CMD-SHELL", "x"]), ["/bin/ash", "-ec"]) == ["/bin/ash", "-ec", "x"]
    for nothing in (HealthConfig(["NONE"]), HealthConfig([]), HealthConfig(["CMD"]), HealthConfig(["BOGUS", "x"])):
        assert probe_command(nothing, None) is None
    assert probe_command(None, None) is None


def test_delays_between_probes() -> None:
    plain = probe_timing(HealthConfig(["CMD", "true"], interval=2 * S))
    assert next_probe_delay(plain, 0, STARTING) == 2 * S
    started_slowly = probe_timing(HealthConfig(["CMD", "true"], interval=10 * S, start_period=60 * S, start_interval=S))
    assert next_probe_delay(started_slowly, 0, STARTING) == S
    assert next_probe_delay(started_slowly, 0, HEALTHY) == 10 * S
    # Never past the end of the start period, and the interval after it.
    assert next_probe_delay(started_slowly, 55 * S, STARTING) == 5 * S
    assert next_probe_delay(started_slowly, 60 * S, STARTING) == 10 * S


def _result(exit_code: int) -> HealthcheckResult:
    return HealthcheckResult("2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", exit_code, f"exit {exit_code}")


def test_failures_count_up_to_the_retries_then_success_resets() -> None:
    timing = probe_timing(HealthConfig(["CMD", "x"], retries=2))
    health = starting_health(None)
    health = record_result(health, _result(1), timing, S)
    assert (health.status, health.failing_streak) == (STARTING, 1)
    health = record_result(health, _result(1), timing, 2 * S)
    assert (health.status, health.failing_streak) == (UNHEALTHY, 2)
    health = record_result(health, _result(0), timing, 3 * S)
    assert (health.status, health.failing_streak) == (HEALTHY, 0)
    health = record_result(health, _result(-1), timing, 4 * S)
    assert (health.status, health.failing_streak) == (HEALTHY, 1)
    health = record_result(health, _result(2), timing, 5 * S)
    assert (health.status, health.failing_streak) == (UNHEALTHY, 2)
    assert [entry.exit_code for entry in health.log] == [1, 1, 0, -1, 2]


def test_start_period_failures_do_not_count_until_a_success() -> None:
    timing = probe_timing(HealthConfig(["CMD", "x"], retries=1, start_period=10 * S))
    health = record_result(starting_health(None), _result(1), timing, 9 * S)
    assert (health.status, health.failing_streak) == (STARTING, 0)
    assert len(health.log) == 1
    health = record_result(health, _result(1), timing, 10 * S)
    assert (health.status, health.failing_streak) == (UNHEALTHY, 1)
    # Once it has been healthy, failures within the start period count.
    healthy = record_result(starting_health(None), _result(0), timing, S)
    assert record_result(healthy, _result(1), timing, 2 * S).status == UNHEALTHY


def test_log_keeps_the_last_five_and_restart_keeps_it() -> None:
    timing = probe_timing(HealthConfig(["CMD", "x"]))
    health = starting_health(None)
    for code in range(7):
        health = record_result(health, _result(code), timing, S)
    assert [entry.exit_code for entry in health.log] == [2, 3, 4, 5, 6]
    again = starting_health(health)
    assert (again.status, again.failing_streak, again.log) == (STARTING, 0, health.log)
    assert stopped_health(again).status == UNHEALTHY


def test_output_is_capped_at_4096_bytes() -> None:
    assert probe_output(b"ok\n") == "ok\n"
    assert probe_output(b"x" * 4096) == "x" * 4096
    assert probe_output(b"x" * 4097) == "x" * 4096 + "..."
    assert probe_output(b"\xff") == "\ufffd"


def test_ps_status_words_health_as_docker() -> None:
    started = "2024-01-01T00:00:00Z"
    now = parse_rfc3339(started) + 5
    running = ContainerState(status="running", running=True, started_at=started)
    assert status_text(running, now) == "Up 5 seconds"
    for health, words in ((STARTING, "(health: starting)"), (HEALTHY, "(healthy)"), (UNHEALTHY, "(unhealthy)")):
        running.health = Health(health)
        assert status_text(running, now) == f"Up 5 seconds {words}"
    running.paused = True
    assert status_text(running, now) == "Up 5 seconds (Paused)"


def _flags(**given: object) -> dict[str, object]:
    params: dict[str, object] = {
        "health_cmd": "",
        "health_interval": "0s",
        "health_timeout": "0s",
        "health_start_period": "0s",
        "health_start_interval": "0s",
        "health_retries": 0,
        "no_healthcheck": False,
    }
    return {**params, **given}


def _healthcheck(**given: object) -> HealthcheckBody | None:
    return cli_healthcheck(_flags(**given))


def test_cli_health_flags() -> None:
    assert _healthcheck() is None
    check = _healthcheck(health_cmd="test -f /tmp/ok", health_interval="200ms", health_retries=2)
    assert check.test == ["CMD-SHELL", "test -f /tmp/ok"]
    assert (check.interval, check.retries, check.timeout) == (200 * MS, 2, 0)
    # Settings without a command keep the image's command.
    assert _healthcheck(health_timeout="1m30s").test is None
    assert _healthcheck(health_start_interval="1s").start_interval == S
    assert _healthcheck(no_healthcheck=True).test == ["NONE"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"no_healthcheck": True, "health_cmd": "true"}, "--no-healthcheck conflicts with --health-* options"),
        ({"health_interval": "-1s"}, "--health-interval cannot be negative"),
        ({"health_retries": -1}, "--health-retries cannot be negative"),
        ({"health_timeout": "soon"}, 'invalid argument "soon" for "--health-timeout" flag: time: invalid duration'),
    ],
)
def test_cli_health_flag_errors(given: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        _healthcheck(**given)
    assert str(info.value).startswith(message)
