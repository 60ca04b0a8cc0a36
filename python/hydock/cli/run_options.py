"""The flags `run` and `create` share, turned into the body of POST /containers/create."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from hydock.api_types import CreateBody, CreateHostConfig, HealthcheckBody, LogConfig, restart_policy_from_text
from hydock.durations import DurationError, parse_duration
from hydock.errors import FlagError, InvalidArgument

if TYPE_CHECKING:
    from hydock.api_storage import MountSpec

RUN_CONTEXT = {"help_option_names": ["--help"], "allow_interspersed_args": False}


def container_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates `run` and `create` with Docker's container flags."""
    from hydock.cli.network_flags import network_options

    command = network_options(command)
    options = [
        click.option("--name", help="Assign a name to the container"),
        click.option("-i", "--interactive", is_flag=True, help="Keep STDIN open even if not attached"),
        click.option("-t", "--tty", is_flag=True, help="Allocate a pseudo-TTY"),
        click.option("-e", "--env", multiple=True, help="Set environment variables"),
        click.option("--env-file", multiple=True, help="Read in a file of environment variables"),
        click.option("-w", "--workdir", help="Working directory inside the container"),
        click.option("-u", "--user", help="Username or UID (format: <name|uid>[:<group|gid>])"),
        click.option("-h", "--hostname", help="Container host name"),
        click.option("--entrypoint", help="Overwrite the default ENTRYPOINT of the image"),
        click.option("-l", "--label", multiple=True, help="Set meta data on a container"),
        click.option("-m", "--memory", help="Memory limit"),
        click.option("--cpus", help="Number of CPUs"),
        click.option("-c", "--cpu-shares", type=int, default=0, help="CPU shares (relative weight)"),
        click.option("--pids-limit", type=int, default=None, help="Tune container pids limit (set -1 for unlimited)"),
        click.option("--read-only", is_flag=True, help="Mount the container's root filesystem as read only"),
        click.option("--network", "--net", default="bridge", help="Connect a container to a network"),
        click.option(
            "--init", is_flag=True, help="Run an init inside the container that forwards signals and reaps processes"
        ),
        click.option("--privileged", is_flag=True, help="Give extended privileges to this container"),
        click.option("--cap-add", multiple=True, help="Add Linux capabilities"),
        click.option("--cap-drop", multiple=True, help="Drop Linux capabilities"),
        click.option("--security-opt", multiple=True, help="Security Options (no-new-privileges[:true|false])"),
        click.option("--rm", "remove", is_flag=True, help="Automatically remove the container when it exits"),
        click.option("--restart", default="no", help="Restart policy: no, always, unless-stopped, on-failure[:N]"),
        click.option("--log-driver", default="", help="Logging driver for the container (json-file or none)"),
        click.option("--log-opt", multiple=True, help="Log driver options (max-size=10m, max-file=3)"),
        click.option("-v", "--volume", multiple=True, help="Bind mount a volume"),
        click.option("--mount", multiple=True, help="Attach a filesystem mount to the container"),
        click.option("--tmpfs", multiple=True, help="Mount a tmpfs directory"),
        click.option("--volumes-from", multiple=True, help="Mount volumes from the specified container(s)"),
        click.option("--health-cmd", default="", help="Command to run to check health"),
        click.option("--health-interval", default="0s", help="Time between running the check (ms|s|m|h)"),
        click.option("--health-timeout", default="0s", help="Maximum time to allow one check to run (ms|s|m|h)"),
        click.option(
            "--health-start-period",
            default="0s",
            help="Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)",
        ),
        click.option(
            "--health-start-interval",
            default="0s",
            help="Time between running the check during the start period (ms|s|m|h)",
        ),
        click.option("--health-retries", type=int, default=0, help="Consecutive failures needed to report unhealthy"),
        click.option("--no-healthcheck", is_flag=True, help="Disable any container-specified HEALTHCHECK"),
        click.argument("image"),
        click.argument("command", nargs=-1, type=click.UNPROCESSED),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _read_env_file(path: str) -> list[str]:
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise InvalidArgument(f"open {path}: {exc.strerror.lower() if exc.strerror else exc}") from None
    env = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key = line.partition("=")[0]
        if not key or any(c.isspace() for c in key):
            raise InvalidArgument(f"{path}:{number}: variable '{key}' contains whitespaces")
        env.append(line)
    return env


def nano_cpus(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidArgument(
            f'invalid argument "{text}" for "--cpus" flag: failed to parse {text} as a rational number'
        ) from None
    nano = value * 1_000_000_000
    if nano != nano.to_integral_value() or nano < 0:
        raise InvalidArgument(f'invalid argument "{text}" for "--cpus" flag: value is too precise')
    return int(nano)


def _no_new_privileges(options: tuple[str, ...]) -> bool:
    enabled = False
    for option in options:
        key, sep, value = option.replace("=", ":", 1).partition(":")
        if key != "no-new-privileges":
            raise InvalidArgument(f"invalid --security-opt: {option!r} (supported: no-new-privileges[:true|false])")
        if sep and value not in ("true", "false"):
            raise InvalidArgument(f"invalid --security-opt 2: {option!r}")
        enabled = value != "false"
    return enabled


def _log_config(driver: str, options: tuple[str, ...]) -> LogConfig | None:
    """Docker's --log-driver/--log-opt: an empty driver is the daemon's default; `key` alone means an empty value."""
    if driver == "none" and options:
        raise InvalidArgument(f"invalid logging opts for driver {driver}")
    if not driver and not options:
        return None
    return LogConfig(driver, dict(option.partition("=")[::2] for option in options))


_HEALTH_DURATIONS = ("health_interval", "health_timeout", "health_start_period", "health_start_interval")


def _healthcheck(params: dict[str, Any]) -> HealthcheckBody | None:
    """The docker CLI's health flags: only what is given (the rest the image's); --no-healthcheck alone."""
    durations = {}
    for name in _HEALTH_DURATIONS:
        flag = "--" + name.replace("_", "-")
        try:
            durations[name] = parse_duration(params[name])
        except DurationError as error:
            raise InvalidArgument(f'invalid argument "{params[name]}" for "{flag}" flag: {error}') from None
    given = bool(params["health_cmd"]) or params["health_retries"] != 0 or any(durations.values())
    if params["no_healthcheck"]:
        if given:
            raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
        return HealthcheckBody(test=["NONE"])
    if not given:
        return None
    for name, value in [*durations.items(), ("health_retries", params["health_retries"])]:
        if value < 0:
            raise InvalidArgument(f"--{name.replace('_', '-')} cannot be negative")
    return HealthcheckBody(
        test=["CMD-SHELL", params["health_cmd"]] if params["health_cmd"] else None,
        interval=durations["health_interval"],
        timeout=durations["health_timeout"],
        start_period=durations["health_start_period"],
        start_interval=durations["health_start_interval"],
        retries=params["health_retries"],
    )


def create_body(image: str, command: tuple[str, ...], params: dict[str, Any]) -> CreateBody:
    """The create request the flags ask for; a flag's bad value is the CLI's own error, as the docker CLI's is."""
    try:
        return _create_body(image, command, params)
    except InvalidArgument as exc:
        raise FlagError(str(exc)) from None


def _memory(text: str) -> int:
    from hydock.units import parse_bytes

    try:
        return parse_bytes(text)
    except InvalidArgument as exc:
        raise FlagError(f'invalid argument "{text}" for "-m, --memory" flag: {exc}') from None


def _storage_flags(params: dict[str, Any]) -> tuple[list[str], list[str], list[MountSpec], dict[str, str]]:
    """-v (binds, anonymous volumes), --mount and --tmpfs. Their parsers (with csv and the size units, ~1 ms) are
    loaded only when one of them is given."""
    if not (params["volume"] or params["mount"] or params["tmpfs"]):
        return [], [], [], {}
    from hydock.cli.mount_flags import parse_mount_flag, split_volume_flags, tmpfs_flags

    binds, anonymous = split_volume_flags(params["volume"])
    return binds, anonymous, [parse_mount_flag(value) for value in params["mount"]], tmpfs_flags(params["tmpfs"])


def _create_body(image: str, command: tuple[str, ...], params: dict[str, Any]) -> CreateBody:
    from hydock.cli.network_flags import network_flags

    env = [e for path in params["env_file"] for e in _read_env_file(path)] + list(params["env"])
    labels = dict(label.partition("=")[::2] for label in params["label"])
    binds, anonymous_volumes, mounts, tmpfs = _storage_flags(params)
    network = network_flags(params)
    host = CreateHostConfig(
        network_mode=params["network"],
        port_bindings=network.port_bindings or None,
        publish_all_ports=params["publish_all"],
        dns=list(params["dns"]) or None,
        dns_options=list(params["dns_option"]) or None,
        dns_search=list(params["dns_search"]) or None,
        extra_hosts=network.extra_hosts or None,
        links=network.links or None,
        auto_remove=params["remove"],
        restart_policy=restart_policy_from_text(params["restart"]),
        log_config=_log_config(params["log_driver"], params["log_opt"]),
        privileged=params["privileged"],
        readonly_rootfs=params["read_only"],
        init=params["init"] or None,
        cap_add=list(params["cap_add"]) or None,
        cap_drop=list(params["cap_drop"]) or None,
        security_opt=["no-new-privileges"] if _no_new_privileges(params["security_opt"]) else None,
        memory=_memory(params["memory"]) if params["memory"] else 0,
        nano_cpus=nano_cpus(params["cpus"]) if params["cpus"] else 0,
        cpu_shares=params["cpu_shares"],
        pids_limit=params["pids_limit"],
        binds=binds or None,
        mounts=mounts or None,
        tmpfs=tmpfs or None,
        volumes_from=list(params["volumes_from"]) or None,
    )
    return CreateBody(
        image=image,
        cmd=list(command) or None,
        healthcheck=_healthcheck(params),
        env=env or None,
        working_dir=params["workdir"] or "",
        user=params["user"] or "",
        hostname=params["hostname"] or "",
        entrypoint=[params["entrypoint"]] if params["entrypoint"] is not None else None,
        labels=labels or None,
        volumes={destination: {} for destination in anonymous_volumes} or None,
        attach_stdin=params["interactive"],
        attach_stdout=True,
        attach_stderr=True,
        tty=params["tty"],
        open_stdin=params["interactive"],
        stdin_once=params["interactive"],
        host_config=host,
        exposed_ports=network.exposed_ports or None,
        mac_address=params["mac_address"],
        networking_config=network.networking_config,
    )
