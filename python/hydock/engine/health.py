"""Docker's healthchecks, the pure part: a container's check merged over its image's, the timing its probes keep,
and the state machine their results drive (moby's daemon/health.go). The daemon runs the probes
(daemon/health_monitor.py)."""

from __future__ import annotations

import msgspec

from hydock.engine.records import ContainerState, Health, HealthcheckResult
from hydock.errors import InvalidArgument
from hydock.store.records import HealthConfig

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_PERIOD = 0
DEFAULT_START_INTERVAL = 5 * SECOND
DEFAULT_RETRIES = 3
MINIMUM_DURATION, MINIMUM_DURATION_TEXT = SECOND // 1000, "1ms"
MAX_LOG_ENTRIES = 5
MAX_OUTPUT = 4096
DEFAULT_SHELL = ["/bin/sh", "-c"]

STARTING, HEALTHY, UNHEALTHY, NO_HEALTHCHECK = "starting", "healthy", "unhealthy", "none"
HEALTH_STATUSES = (STARTING, HEALTHY, UNHEALTHY, NO_HEALTHCHECK)


def merge_healthcheck(container: HealthConfig | None, image: HealthConfig | None) -> HealthConfig | None:
    """The container's check over its image's, as dockerd merges them at create: an empty Test and zero settings
    are the image's. Defaults are not filled in here (inspect shows what was asked), but by `probe_timing`."""
    if image is None or container is None:
        return container or image
    return HealthConfig(
        test=container.test or image.test,
        interval=container.interval or image.interval,
        timeout=container.timeout or image.timeout,
        start_period=container.start_period or image.start_period,
        start_interval=container.start_interval or image.start_interval,
        retries=container.retries or image.retries,
    )


def check_healthcheck(config: HealthConfig) -> None:
    """dockerd's checks of a create body's Healthcheck, with its messages."""
    durations = {
        "Interval": config.interval,
        "Timeout": config.timeout,
        "StartPeriod": config.start_period,
        "StartInterval": config.start_interval,
    }
    for name, value in durations.items():
        if value != 0 and value < MINIMUM_DURATION:
            raise InvalidArgument(f"{name} in Healthcheck cannot be less than {MINIMUM_DURATION_TEXT}")
    if config.retries < 0:
        raise InvalidArgument("Retries in Healthcheck cannot be negative")


class ProbeTiming(msgspec.Struct, frozen=True):
    """A check's settings with Docker's defaults for the zero ones; durations in nanoseconds."""

    interval: int
    timeout: int
    start_period: int
    start_interval: int
    retries: int


def probe_timing(config: HealthConfig) -> ProbeTiming:
    return ProbeTiming(
        interval=config.interval or DEFAULT_INTERVAL,
        timeout=config.timeout or DEFAULT_TIMEOUT,
        start_period=config.start_period or DEFAULT_START_PERIOD,
        start_interval=config.start_interval or DEFAULT_START_INTERVAL,
        retries=config.retries if config.retries > 0 else DEFAULT_RETRIES,
    )


def probe_command(config: HealthConfig | None | msgspec.UnsetType, shell: list[str] | None) -> list[str] | None:
    """The command a probe execs: CMD's arguments, or CMD-SHELL's string through the container's shell (/bin/sh -c
    by default). None when nothing is to be probed: no check, NONE, an unknown type (which dockerd only warns of) or
    nothing to run."""
    if not isinstance(config, HealthConfig) or not config.test:
        return None
    kind, arguments = config.test[0], config.test[1:]
    if kind == "CMD-SHELL":
        arguments = [*(shell or DEFAULT_SHELL), *arguments]
    elif kind != "CMD":
        return None
    return arguments or None


def next_probe_delay(timing: ProbeTiming, since_start: int, status: str) -> int:
    """Nanoseconds until the next probe, `since_start` after the container started: the start interval while it is
    starting within its start period, else the interval, but never past the end of the start period."""
    if since_start >= timing.start_period:
        return timing.interval
    remaining = timing.start_period - since_start
    if remaining < timing.interval:
        return remaining
    return timing.start_interval if status == STARTING else timing.interval


def starting_health(previous: Health | None) -> Health:
    """A (re)started container's health: starting, no failures, the earlier results kept."""
    return Health(STARTING, 0, list(previous.log) if previous is not None else [])


def stopped_health(health: Health) -> Health:
    """What a check whose monitoring stops (the container exited or paused) reports: unhealthy, as Docker does."""
    return msgspec.structs.replace(health, status=UNHEALTHY)


def record_result(health: Health, result: HealthcheckResult, timing: ProbeTiming, since_start: int) -> Health:
    """The health after one probe's `result`, which started `since_start` nanoseconds after the container.

    A success makes it healthy; a failure adds to the streak, which makes it unhealthy once it reaches the retries,
    except that failures before the first success within the start period do not count."""
    log = [*health.log, result][-MAX_LOG_ENTRIES:]
    if result.exit_code == 0:
        return Health(HEALTHY, 0, log)
    if health.status == STARTING and since_start < timing.start_period:
        return Health(health.status, health.failing_streak, log)
    streak = health.failing_streak + 1
    return Health(UNHEALTHY if streak >= timing.retries else health.status, streak, log)


def probe_output(data: bytes) -> str:
    """The output a result keeps: the first 4096 bytes, "..." marking that there was more."""
    text = data[:MAX_OUTPUT].decode(errors="replace")
    return text + "..." if len(data) > MAX_OUTPUT else text


def health_status(state: ContainerState) -> str:
    """The status `ps --filter health=` matches: "none" for a container without a check."""
    return state.health.status if isinstance(state.health, Health) else NO_HEALTHCHECK


def health_label(health: Health) -> str:
    """How `ps` words it after "Up 5 seconds": "(health: starting)", "(healthy)", "(unhealthy)"."""
    return "health: starting" if health.status == STARTING else health.status
