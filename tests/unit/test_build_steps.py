"""The builder's pure parts: config changes and the history lines Docker's classic builder writes, RUN's command
and history line, step keys, and output in file order while stages run in parallel."""

from __future__ import annotations

import pytest

from hydock.api_types import BUILD_STEP_AUX, JSONMessage
from hydock.dockerfile import evaluate, nodes, parse
from hydock.dockerfile.builder.cache import StepInput, step_key
from hydock.dockerfile.builder.config_steps import StageFlags, apply_metadata
from hydock.dockerfile.builder.progress import BuildProgress
from hydock.dockerfile.builder.run_step import run_command, run_history
from hydock.durations import format_duration
from hydock.store.records import ContainerConfig, ImageConfig, RootFS


def _steps(text: str) -> list:
    return list(evaluate(parse("FROM scratch\n" + text), image_env=lambda name, platform: {}).stages[0].steps)


def _config(**fields: object) -> ImageConfig:
    return ImageConfig("amd64", "linux", RootFS("layers", []), config=ContainerConfig(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("instruction", "created_by"),
    [
        ("ENV A=1 B='two words'", "/bin/sh -c #(nop)  ENV A=1 B=two words"),
        ("LABEL version=1.0 maintainer=me", "/bin/sh -c #(nop)  LABEL version=1.0 maintainer=me"),
        ("EXPOSE 80 53/udp", "/bin/sh -c #(nop)  EXPOSE 80/tcp 53/udp"),
        ("VOLUME /data /logs", "/bin/sh -c #(nop)  VOLUME [/data /logs]"),
        ("USER app:staff", "/bin/sh -c #(nop)  USER app:staff"),
        ('CMD ["sh", "-c", "echo \\"hi\\""]', '/bin/sh -c #(nop)  CMD ["sh" "-c" "echo \\"hi\\""]'),
        ("CMD echo $HOME", '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo $HOME"]'),
        ("STOPSIGNAL SIGTERM", "/bin/sh -c #(nop)  STOPSIGNAL SIGTERM"),
        ("HEALTHCHECK NONE", '/bin/sh -c #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" \'\\x00\'}'),
        ("HEALTHCHECK --interval=1m30s --start-period=250ms CMD true",
         '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "1m30s" "0s" "250ms" "0s" \'\\x00\'}'),
        ("ONBUILD RUN make", "/bin/sh -c #(nop)  ONBUILD RUN make"),
        ("MAINTAINER someone", "/bin/sh -c #(nop)  MAINTAINER someone"),
        ("ARG A=1 B", "/bin/sh -c #(nop)  ARG A=1 B"),
    ],
)  # fmt: skip
def test_history_lines(instruction: str, created_by: str) -> None:
    step = _steps(instruction)[0]
    assert apply_metadata(step.instruction, _config(), StageFlags()) == created_by


def test_shell_changes_later_history_and_config() -> None:
    config = _config()
    flags = StageFlags()
    shell, cmd, env, entrypoint = _steps(
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD make\nENV A=1\nENTRYPOINT ["x"]'
    )
    # Docker commits SHELL with the new shell already in place.
    assert (
        apply_metadata(shell.instruction, config, flags)
        == "/bin/bash -o pipefail -c #(nop)  SHELL [/bin/bash -o pipefail -c]"
    )
    assert apply_metadata(cmd.instruction, config, flags).startswith("/bin/bash -o pipefail -c #(nop)  CMD")
    assert config.config.cmd == ["/bin/bash", "-o", "pipefail", "-c", "make"]
    apply_metadata(env.instruction, config, flags)
    apply_metadata(entrypoint.instruction, config, flags)
    assert config.config.cmd is not None, "a CMD of this stage survives ENTRYPOINT"
    inherited = _config(cmd=["from-base"])
    apply_metadata(entrypoint.instruction, inherited, StageFlags())
    assert inherited.config.cmd is None, "an inherited one does not"


def test_env_keeps_order_and_replaces_in_place() -> None:
    config = _config(env=["PATH=/bin", "A=old", "B=1"])
    apply_metadata(_steps("ENV A=new C=3")[0].instruction, config, StageFlags())
    assert config.config.env == ["PATH=/bin", "A=new", "B=1", "C=3"]


def test_run_commands_and_history() -> None:
    text = (
        "ARG FLAVOR=plain\nENV HOME_DIR=/root\nARG HOME_DIR\n"
        'RUN ["echo", "exec"]\n'
        "RUN echo shell\n"
        "RUN <<EOF\necho one\necho two\nEOF\n"
        "RUN <<EOF\n#!/bin/sh\necho script\nEOF\n"
        "RUN cat <<A >/a && cat <<'B' > /b\nfirst $X\nA\nsecond $X\nB\n"
    )
    steps = _steps(text)[3:]
    config = _config(env=["HOME_DIR=/root"])
    commands = [run_command(config, step.instruction) for step in steps]
    assert commands[0].argv == ["echo", "exec"]
    assert commands[1].argv == ["/bin/sh", "-c", "echo shell"]
    assert commands[2].argv == ["/bin/sh", "-c", "echo one\necho two\n"]
    assert commands[3].argv == ["/bin/sh", "-c", "/dev/pipes/EOF"] and commands[3].script == (
        "EOF",
        "#!/bin/sh\necho script\n",
    )
    assert commands[4].argv[2] == "cat <<A >/a && cat <<'B' > /b\nfirst $X\nA\nsecond $X\nB"
    # ARGs shadowed by an ENV are not listed; the others are, sorted, after their count.
    assert run_history(config, commands[1], steps[1]) == "|1 FLAVOR=plain /bin/sh -c echo shell"


def test_step_keys_ignore_position_but_not_content() -> None:
    first = _steps("RUN make")[0]
    moved = _steps("\n\n# comment\nRUN make")[0]
    other = _steps("RUN make all")[0]
    assert first.instruction.line != moved.instruction.line
    key = step_key("parent", StepInput(first.instruction, first.env))
    assert key == step_key("parent", StepInput(moved.instruction, moved.env))
    assert key != step_key("parent", StepInput(other.instruction, other.env))
    assert key != step_key("other-parent", StepInput(first.instruction, first.env))
    assert key != step_key("parent", StepInput(first.instruction, (*first.env, "X=1")))
    assert isinstance(first.instruction, nodes.Run)


def test_stage_output_comes_in_file_order() -> None:
    messages: list[JSONMessage] = []
    progress = BuildProgress(messages.append, [0, 2, 3], 6, quiet=False, step_events=True)
    first, second, third = progress.stage(0), progress.stage(2), progress.stage(3)
    third.step(5, "RUN c")
    second.step(3, "RUN b")
    first.step(1, "FROM a")
    assert [m.stream for m in messages if m.stream] == ["Step 1/6 : FROM a\n"]
    assert len([m for m in messages if m.aux and BUILD_STEP_AUX in m.aux]) == 3, "step events are not held back"
    second.finish()
    third.finish()
    assert [m.stream for m in messages if m.stream] == ["Step 1/6 : FROM a\n"]
    first.finish()
    assert [m.stream for m in messages if m.stream] == [
        "Step 1/6 : FROM a\n",
        "Step 3/6 : RUN b\n",
        "Step 5/6 : RUN c\n",
    ]


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [(0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (250_000_000, "250ms"), (1_500_000_000, "1.5s"),
     (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"), (-2_000_000_000, "-2s")],
)  # fmt: skip
def test_go_durations(nanoseconds: int, text: str) -> None:
    assert format_duration(nanoseconds) == text
