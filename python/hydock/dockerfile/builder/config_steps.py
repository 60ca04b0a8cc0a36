"""The instructions that only change the image config (ENV, LABEL, CMD...), and the history line each leaves,
spelled as Docker's classic builder spells it (`/bin/sh -c #(nop)  ENV A=1`)."""

from __future__ import annotations

import posixpath

from hydock.dockerfile import nodes
from hydock.dockerfile.problem import go_quote
from hydock.durations import format_duration
from hydock.store.records import HealthConfig, ImageConfig

DEFAULT_SHELL = ("/bin/sh", "-c")


class StageFlags:
    """What a stage remembers between its instructions beyond the config: whether it set CMD itself (an
    ENTRYPOINT then keeps it; one inherited from the base image is reset)."""

    def __init__(self) -> None:
        self.cmd_set = False


def shell_of(config: ImageConfig) -> list[str]:
    return list(config.config.shell or DEFAULT_SHELL)


def nop_comment(config: ImageConfig, text: str) -> str:
    """A metadata step's history line: Docker joins its shell, "#(nop) " and the text with spaces."""
    return " ".join([*shell_of(config), "#(nop) ", text])


def nop_change(config: ImageConfig, text: str) -> str:
    """The history line of a COPY, ADD or WORKDIR, whose "#(nop) " is glued to the text."""
    return " ".join([*shell_of(config), "#(nop) " + text])


def command_line(config: ImageConfig, command: nodes.CommandLine) -> list[str]:
    """An exec-form command as written; a shell-form one run by the stage's SHELL."""
    return list(command.args) if command.exec_form else [*shell_of(config), *command.args]


def set_env(config: ImageConfig, key: str, value: str) -> None:
    """Replaces KEY's entry in place (Docker keeps the original order), else appends it."""
    env = list(config.config.env or [])
    for index, item in enumerate(env):
        if item.partition("=")[0] == key:
            env[index] = f"{key}={value}"
            break
    else:
        env.append(f"{key}={value}")
    config.config.env = env


def workdir_path(config: ImageConfig, path: str) -> str:
    """WORKDIR's directory: relative ones are taken from the current working directory."""
    return posixpath.normpath(posixpath.join("/", config.config.working_dir or "/", path))


def apply_metadata(instruction: nodes.AnyInstruction, config: ImageConfig, flags: StageFlags) -> str:
    """Applies a config-only instruction to `config`; its history line."""
    match instruction:
        case nodes.Env():
            for pair in instruction.pairs:
                set_env(config, pair.key, pair.value)
            return nop_comment(config, "ENV " + " ".join(f"{p.key}={p.value}" for p in instruction.pairs))
        case nodes.Label():
            config.config.labels = {**(config.config.labels or {}), **{p.key: p.value for p in instruction.pairs}}
            return nop_comment(config, "LABEL " + " ".join(f"{p.key}={p.value}" for p in instruction.pairs))
        case nodes.Expose():
            config.config.exposed_ports = {**(config.config.exposed_ports or {}), **{p: {} for p in instruction.ports}}
            return nop_comment(config, "EXPOSE " + " ".join(instruction.ports))
        case nodes.Volume():
            config.config.volumes = {**(config.config.volumes or {}), **{p: {} for p in instruction.paths}}
            return nop_comment(config, f"VOLUME [{' '.join(instruction.paths)}]")
        case nodes.User():
            config.config.user = instruction.user
            return nop_comment(config, "USER " + instruction.user)
        case nodes.Cmd():
            config.config.cmd = command_line(config, instruction.command)
            flags.cmd_set = True
            return nop_comment(config, "CMD " + _go_strings(config.config.cmd))
        case nodes.Entrypoint():
            config.config.entrypoint = command_line(config, instruction.command)
            if not flags.cmd_set:
                config.config.cmd = None
            return nop_comment(config, "ENTRYPOINT " + _go_strings(config.config.entrypoint))
        case nodes.Shell():
            config.config.shell = list(instruction.args)
            return nop_comment(config, f"SHELL [{' '.join(config.config.shell)}]")
        case nodes.StopSignal():
            config.config.stop_signal = instruction.signal
            return nop_comment(config, "STOPSIGNAL " + instruction.signal)
        case nodes.Healthcheck():
            config.config.healthcheck = _health_config(instruction)
            return nop_comment(config, "HEALTHCHECK " + _go_health(config.config.healthcheck))
        case nodes.Onbuild():
            config.config.on_build = [*(config.config.on_build or []), instruction.expression]
            return nop_comment(config, "ONBUILD " + instruction.expression)
        case nodes.Maintainer():
            config.author = instruction.maintainer
            return nop_comment(config, "MAINTAINER " + instruction.maintainer)
        case nodes.Arg():
            written = " ".join(d.key if d.default is None else f"{d.key}={d.default}" for d in instruction.args)
            return nop_comment(config, "ARG " + written)
    raise AssertionError(f"{instruction.name} changes files, not only the config")


def _health_config(healthcheck: nodes.Healthcheck) -> HealthConfig:
    if healthcheck.test == ("NONE",):
        return HealthConfig(["NONE"])
    return HealthConfig(
        list(healthcheck.test),
        interval=healthcheck.interval,
        timeout=healthcheck.timeout,
        start_period=healthcheck.start_period,
        start_interval=healthcheck.start_interval,
        retries=healthcheck.retries,
    )


def _go_strings(values: list[str]) -> str:
    """Go's %q of a []string: `["sh" "-c" "echo hi"]`."""
    return "[" + " ".join(go_quote(value) for value in values) + "]"


def _go_health(health: HealthConfig) -> str:
    """Go's %q of a *HealthConfig, as Docker's history shows it: `&{["CMD" "true"] "5s" "0s" "0s" "0s" '\\x03'}`."""
    durations = (health.interval, health.timeout, health.start_period, health.start_interval)
    fields = [_go_strings(health.test), *(go_quote(format_duration(d)) for d in durations), _go_rune(health.retries)]
    return "&{" + " ".join(fields) + "}"


def _go_rune(number: int) -> str:
    """Go's %q of an int: the character it codes, quoted."""
    if 0x20 <= number < 0x7F and chr(number) not in "'\\":
        return f"'{chr(number)}'"
    return f"'\\x{number:02x}'" if number < 0x100 else f"'\\u{number:04x}'"
