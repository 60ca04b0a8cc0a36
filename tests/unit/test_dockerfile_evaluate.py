"""Evaluation: --build-arg values, ARG/ENV scoping, which words each instruction expands, which stages run."""

from __future__ import annotations

from collections.abc import Mapping

from hydock.dockerfile import Evaluation, evaluate, nodes, parse, platform_args


def run(text: str, build_args: Mapping[str, str] | None = None, **options: object) -> Evaluation:
    return evaluate(parse(text), build_args, **options)  # type: ignore[arg-type]


def env_of(evaluation: Evaluation) -> dict[str, str]:
    """The ENV values the last stage ends with (what the image config will hold)."""
    env: dict[str, str] = {}
    for stage in evaluation.stages:
        for step in stage.steps:
            if isinstance(step.instruction, nodes.Env):
                env.update((pair.key, pair.value) for pair in step.instruction.pairs)
    return env


def last(evaluation: Evaluation) -> nodes.AnyInstruction:
    return evaluation.stages[-1].steps[-1].instruction


def test_global_args_are_used_in_from_but_not_inside_a_stage() -> None:
    evaluation = run("ARG TAG=3.19\nFROM alpine:${TAG}\nENV SEEN=[$TAG]\n")
    assert evaluation.stages[0].header.base == "alpine:3.19"
    assert env_of(evaluation) == {"SEEN": "[]"}


def test_redeclared_global_arg_takes_the_global_value() -> None:
    evaluation = run("ARG TAG=3.19\nFROM alpine:${TAG}\nARG TAG\nENV SEEN=$TAG\n")
    assert env_of(evaluation) == {"SEEN": "3.19"}


def test_build_args_override_defaults_everywhere() -> None:
    text = "ARG TAG=3.19\nFROM alpine:${TAG}\nARG TAG\nARG MODE=debug\nENV TAG=$TAG MODE=$MODE\n"
    evaluation = run(text, {"TAG": "3.20", "MODE": "release", "UNDECLARED": "x"})
    assert evaluation.stages[0].header.base == "alpine:3.20"
    assert env_of(evaluation) == {"TAG": "3.20", "MODE": "release"}


def test_meta_args_see_earlier_meta_args() -> None:
    evaluation = run("ARG REGISTRY=docker.io\nARG IMAGE=${REGISTRY}/library/alpine\nFROM $IMAGE\n")
    assert evaluation.stages[0].header.base == "docker.io/library/alpine"


def test_arg_applies_from_its_line_on() -> None:
    # The example of Docker's reference: USER on line 2 uses the fallback, line 4 the build arg.
    text = "FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n"
    steps = run(text, {"username": "what_user"}).stages[0].steps
    assert [step.instruction.user for step in steps if isinstance(step.instruction, nodes.User)] == [
        "some_user",
        "what_user",
    ]


def test_env_declared_after_arg_overrides_it() -> None:
    text = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER\n"
    run_step = run(text, {"CONT_IMG_VER": "v2.0.1"}).stages[0].steps[-1]
    assert "CONT_IMG_VER=v1.0.0" in run_step.env


def test_env_can_default_from_an_arg() -> None:
    text = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\n"
    assert env_of(run(text))["CONT_IMG_VER"] == "v1.0.0"
    assert env_of(run(text, {"CONT_IMG_VER": "v2.0.1"}))["CONT_IMG_VER"] == "v2.0.1"


def test_arg_declared_after_env_overrides_it_for_the_build_as_buildkit_does() -> None:
    # The legacy builder let ENV win here; BuildKit (Docker's builder since 23.0) applies them in order.
    text = "FROM scratch\nENV MODE=env\nARG MODE=arg\nRUN echo $MODE\n"
    evaluation = run(text)
    assert "MODE=arg" in evaluation.stages[0].steps[-1].env
    assert env_of(evaluation) == {"MODE": "env"}


def test_one_env_instruction_expands_against_the_values_before_it() -> None:
    assert env_of(run("FROM scratch\nENV A=1\nENV A=2 B=$A\n")) == {"A": "2", "B": "1"}


def test_steps_record_the_variables_in_scope() -> None:
    steps = run("FROM scratch\nARG V=1\nENV E=2\nARG NOVALUE\nRUN true\n").stages[0].steps
    assert (steps[0].env, steps[0].args) == ((), ())
    assert steps[-1].env == ("V=1", "E=2")
    assert steps[-1].args == ("V=1",)


def test_stage_built_from_another_inherits_its_variables() -> None:
    text = "FROM scratch AS base\nARG V=1\nENV E=2\nFROM base AS child\nENV SEEN=$V-$E\nFROM scratch AS other\nENV SEEN=$V-$E\n"
    child = run(text, target="child")
    assert child.stages[-1].parent == 0
    assert env_of(child)["SEEN"] == "1-2"
    other = run(text)
    assert [stage.stage.name for stage in other.stages] == ["other"]
    assert env_of(other) == {"SEEN": "-"}


def test_automatic_platform_args() -> None:
    text = (
        "FROM --platform=$BUILDPLATFORM golang AS build\nARG TARGETOS TARGETARCH\n"
        "ENV OUT=$TARGETOS/$TARGETARCH UNSEEN=$BUILDARCH\n"
    )
    evaluation = run(text, build_platform="linux/amd64", target_platform="linux/arm64")
    assert evaluation.stages[0].header.platform == "linux/amd64"
    assert env_of(evaluation) == {"OUT": "linux/arm64", "UNSEEN": ""}
    assert platform_args("linux/arm/v7", "linux/arm/v7", "")["TARGETVARIANT"] == "v7"
    assert platform_args("linux/amd64", "linux/amd64", "")["TARGETSTAGE"] == "default"


def test_words_each_instruction_expands() -> None:
    text = (
        "FROM scratch\n"
        "ARG D=/data U=app P=8080 S=SIGTERM\n"
        "WORKDIR $D\nUSER ${U}:${U}\nVOLUME $D /logs\nSTOPSIGNAL $S\nEXPOSE $P ${P}/udp\nLABEL dir=$D\n"
        "COPY --chown=$U --chmod=0644 src/$U $D/\nADD --checksum=$S http://x/$U.tgz $D\n"
        'RUN echo $D\nCMD echo $D\nENTRYPOINT ["$D"]\nONBUILD RUN echo $D\nHEALTHCHECK CMD echo $D\n'
    )
    got = [step.instruction for step in run(text).stages[0].steps]
    workdir, user, volume, signal, expose, label, copy, add, run_, cmd, entrypoint, onbuild, health = got[1:]
    assert isinstance(workdir, nodes.Workdir) and workdir.path == "/data"
    assert isinstance(user, nodes.User) and user.user == "app:app"
    assert isinstance(volume, nodes.Volume) and volume.paths == ("/data", "/logs")
    assert isinstance(signal, nodes.StopSignal) and signal.signal == "SIGTERM"
    assert isinstance(expose, nodes.Expose) and expose.ports == ("8080/tcp", "8080/udp")
    assert isinstance(label, nodes.Label) and label.pairs[0].value == "/data"
    assert isinstance(copy, nodes.Copy) and (copy.chown, copy.sources, copy.dest) == ("app", ("src/app",), "/data/")
    assert isinstance(add, nodes.Add) and (add.checksum, add.sources, add.dest) == (
        "SIGTERM",
        ("http://x/app.tgz",),
        "/data",
    )
    # The shell expands these when the command runs; a later build expands the ONBUILD trigger.
    assert isinstance(run_, nodes.Run) and run_.command.args == ("echo $D",)
    assert isinstance(cmd, nodes.Cmd) and cmd.command.args == ("echo $D",)
    assert isinstance(entrypoint, nodes.Entrypoint) and entrypoint.command.args == ("$D",)
    assert isinstance(onbuild, nodes.Onbuild) and onbuild.expression == "RUN echo $D"
    assert isinstance(health, nodes.Healthcheck) and health.test == ("CMD-SHELL", "echo $D")


def test_arg_definitions_resolve_to_their_values() -> None:
    arg = last(run("FROM scratch\nARG A B=$A-b C\n", {"A": "a"}))
    assert isinstance(arg, nodes.Arg)
    assert arg.args == (nodes.ArgDefinition("A", "a"), nodes.ArgDefinition("B", "a-b"), nodes.ArgDefinition("C", None))


def test_expose_splits_a_variable_into_ports_and_spreads_ranges() -> None:
    expose = last(run("FROM scratch\nENV PORTS='80 443'\nEXPOSE $PORTS 7000-7002/UDP\n".replace("'", '"')))
    assert isinstance(expose, nodes.Expose)
    assert expose.ports == ("80/tcp", "443/tcp", "7000/udp", "7001/udp", "7002/udp")


def test_run_mount_values_are_expanded() -> None:
    run_ = last(run("FROM scratch\nARG CACHE=/root/.cache ID=pip\nRUN --mount=type=cache,target=$CACHE,id=$ID pip\n"))
    assert isinstance(run_, nodes.Run)
    assert (run_.mounts[0].target, run_.mounts[0].id) == ("/root/.cache", "pip")


def test_copy_heredoc_bodies_expand_unless_the_delimiter_is_quoted() -> None:
    text = (
        "FROM scratch\nARG NAME=world\n"
        "COPY <<EOF /greeting\nhello $NAME, 'quoted' \\$NAME\nEOF\n"
        "COPY <<'EOF' /raw\nhello $NAME\nEOF\n"
    )
    steps = run(text).stages[0].steps
    expanded, raw = (step.instruction for step in steps[1:])
    assert isinstance(expanded, nodes.Copy) and expanded.inline_sources[0].data == "hello world, 'quoted' $NAME\n"
    assert isinstance(raw, nodes.Copy) and raw.inline_sources[0].data == "hello $NAME\n"


def test_base_image_environment_comes_from_the_image_env_callback() -> None:
    seen: list[tuple[str, str]] = []

    def image_env(name: str, platform: str) -> dict[str, str]:
        seen.append((name, platform))
        return {"PATH": "/go/bin:/usr/bin", "GOPATH": "/go"}

    text = "FROM --platform=linux/arm64 golang:1.22\nENV PATH=$GOPATH/tools:$PATH\n"
    evaluation = run(text, image_env=image_env)
    assert seen == [("golang:1.22", "linux/arm64")]
    assert env_of(evaluation) == {"PATH": "/go/tools:/go/bin:/usr/bin"}
    assert evaluation.stages[0].steps[0].env == ("PATH=/go/bin:/usr/bin", "GOPATH=/go")


def test_without_image_env_an_image_is_assumed_to_set_path_and_scratch_nothing() -> None:
    assert run("FROM alpine\nRUN x\n").stages[0].steps[0].env[0].startswith("PATH=/usr/local/sbin:")
    assert run("FROM scratch\nRUN x\n").stages[0].steps[0].env == ()


def test_only_the_stages_the_target_needs_are_evaluated() -> None:
    text = (
        "FROM scratch AS deps\nENV A=1\n"
        'FROM scratch AS unused\nENV X="${FAIL:?this stage is never built}"\n'
        "FROM scratch AS assets\nENV B=2\n"
        "FROM deps AS build\nCOPY --from=assets /a /a\nRUN --mount=type=bind,from=tools,target=/t true\n"
        "FROM scratch AS tools\n"
        "FROM scratch AS final\nCOPY --from=3 /out /out\n"
    )
    evaluation = run(text)
    assert [stage.stage.name for stage in evaluation.stages] == ["deps", "assets", "build", "tools", "final"]
    assert [stage.parent for stage in evaluation.stages] == [None, None, 0, None, None]
    assert [stage.stage.name for stage in run(text, target="assets").stages] == ["assets"]


def test_target_names_are_case_insensitive_and_set_targetstage() -> None:
    text = "FROM scratch AS Builder\nARG TARGETSTAGE\nENV T=$TARGETSTAGE\nFROM scratch\n"
    evaluation = run(text, target="BUILDER")
    assert [stage.stage.name for stage in evaluation.stages] == ["builder"]
    assert env_of(evaluation) == {"T": "BUILDER"}


def test_escape_directive_applies_to_expansion() -> None:
    text = "# escape=`\nFROM scratch\nENV P=C:\\tools Q=`$HOME R=a` b\n"
    assert env_of(run(text)) == {"P": "C:\\tools", "Q": "$HOME", "R": "a b"}
