"""Lint: BuildKit's check names and messages, `# check=` options, per-instruction skips, error=true."""

from __future__ import annotations

import pytest

from hydock.dockerfile import lint, parse
from hydock.dockerfile.report import render_warnings
from hydock.dockerfile.rules import RULES
from hydock.errors import DockerfileError


def warnings(text: str, build_args: dict[str, str] | None = None, **options: str) -> list[tuple[str, str, int]]:
    result = lint(parse(text), build_args, **options)
    return [(finding.rule, finding.message, finding.line) for finding in result.findings]


def rules(text: str, build_args: dict[str, str] | None = None) -> list[str]:
    return [rule for rule, _, _ in warnings(text, build_args)]


def test_a_clean_dockerfile_has_no_warnings() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG GO_VERSION=1.22\n"
        "FROM golang:${GO_VERSION}-alpine AS build\n"
        "WORKDIR /src\n"
        "COPY go.mod go.sum ./\n"
        "RUN --mount=type=cache,target=/go/pkg/mod go mod download\n"
        "COPY . .\n"
        "ARG TARGETOS TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app\n"
        "FROM scratch\n"
        "COPY --from=build /out/app /app\n"
        "USER 65532:65532\n"
        "EXPOSE 8080\n"
        'ENTRYPOINT ["/app"]\n'
    )
    assert warnings(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("FROM alpine as build\n", ("FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 1)),
        ("from alpine AS build\n", ("FromAsCasing", "'AS' and 'from' keywords' casing do not match", 1)),
        ("FROM alpine AS Build\n", ("StageNameCasing", "Stage name 'Build' should be lowercase", 1)),
        (
            "FROM alpine AS scratch\n",
            ("ReservedStageName", 'Stage name should not use the same name as reserved stage "scratch"', 1),
        ),
        (
            "FROM alpine\nMAINTAINER me\n",
            ("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 2),
        ),
        ("FROM alpine\nRUN a \\\n\n  b\n", ("NoEmptyContinuation", "Empty continuation line", 4)),
        (
            "FROM alpine\nRUN a\nrun b\nRUN c\n",
            (
                "ConsistentInstructionCasing",
                "Command 'run' should match the case of the command majority (uppercase)",
                3,
            ),
        ),
        (
            "from alpine\nrun a\nRun b\n",
            (
                "ConsistentInstructionCasing",
                "Command 'Run' should match the case of the command majority (lowercase)",
                3,
            ),
        ),
        (
            "FROM alpine\nCMD echo hi\n",
            (
                "JSONArgsRecommended",
                "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
                2,
            ),
        ),
        (
            "FROM alpine\nENTRYPOINT run.sh\n",
            (
                "JSONArgsRecommended",
                "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
                2,
            ),
        ),
        (
            'FROM alpine\nCMD ["a"]\nCMD ["b"]\n',
            (
                "MultipleInstructionsDisallowed",
                "Multiple CMD instructions should not be used in the same stage because only the last one will be used",
                2,
            ),
        ),
        (
            "FROM alpine\nHEALTHCHECK NONE\nHEALTHCHECK CMD true\n",
            (
                "MultipleInstructionsDisallowed",
                "Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one "
                "will be used",
                2,
            ),
        ),
        (
            "FROM alpine\nWORKDIR app\n",
            ("WorkdirRelativePath", 'Relative workdir "app" can have unexpected results if the base image changes', 2),
        ),
        (
            "FROM alpine\nENV NAME value\n",
            ("LegacyKeyValueFormat", '"ENV key=value" should be used instead of legacy "ENV key value" format', 2),
        ),
        (
            "FROM alpine\nLABEL k v\n",
            ("LegacyKeyValueFormat", '"LABEL key=value" should be used instead of legacy "LABEL key value" format', 2),
        ),
        (
            "FROM alpine\nARG GITHUB_TOKEN\n",
            ("SecretsUsedInArgOrEnv", 'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")', 2),
        ),
        (
            "FROM alpine\nENV db_password=x\n",
            ("SecretsUsedInArgOrEnv", 'Do not use ARG or ENV instructions for sensitive data (ENV "db_password")', 2),
        ),
        ("FROM alpine\nCOPY $foo .\n", ("UndefinedVar", "Usage of undefined variable '$foo'", 2)),
        (
            "FROM alpine\nENV PATH=$PAHT:/app/bin\n",
            ("UndefinedVar", "Usage of undefined variable '$PAHT' (did you mean $PATH?)", 2),
        ),
        ("FROM alpine\nARG VERSION=$foo\n", ("UndefinedVar", "Usage of undefined variable '$foo'", 2)),
        ("FROM alpine$TAG\n", ("UndefinedArgInFrom", "FROM argument 'TAG' is not declared", 1)),
        (
            "ARG VERSION=1\nFROM alpine$VERSON\n",
            ("UndefinedArgInFrom", "FROM argument 'VERSON' is not declared (did you mean VERSION?)", 2),
        ),
        (
            "ARG TAG\nFROM alpine:$TAG\n",
            (
                "InvalidDefaultArgInFrom",
                "Default value for ARG alpine:$TAG results in empty or invalid base image name",
                2,
            ),
        ),
        (
            "FROM --platform=$TARGETPLATFORM alpine\n",
            (
                "RedundantTargetPlatform",
                "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
                1,
            ),
        ),
        (
            "FROM --platform=linux/amd64 alpine\n",
            ("FromPlatformFlagConstDisallowed", 'FROM --platform flag should not use constant value "linux/amd64"', 1),
        ),
        (
            "FROM alpine\nEXPOSE 80/TCP\n",
            ("ExposeProtoCasing", "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase", 2),
        ),
        (
            "FROM alpine\nEXPOSE 127.0.0.1:8080:80\n",
            (
                "ExposeInvalidFormat",
                "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:8080:80'",
                2,
            ),
        ),
    ],
)
def test_each_rule(text: str, expected: tuple[str, str, int]) -> None:
    assert warnings(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "FROM alpine AS build\n",
        "from alpine as build\n",
        'FROM alpine\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n',  # a SHELL makes shell form deliberate
        "FROM alpine\nWORKDIR /app\nWORKDIR sub\n",  # relative after an absolute one is fine
        "FROM alpine\nARG PUBLIC_KEY\nENV SECRET_FILE=/run/s\n",  # allowed words for the secrets check
        "FROM alpine\nARG foo\nCOPY $foo .\n",  # declared, even without a value
        "FROM alpine\nRUN echo $UNDEFINED\n",  # the shell expands RUN's words, not Docker
        "ARG TAG=3.19\nFROM alpine:$TAG\n",
        "FROM --platform=$BUILDPLATFORM alpine\n",
        "FROM --platform=linux/amd64 alpine AS build-amd64\n",  # the stage name says which platform
        'FROM alpine AS base\nCMD a\nFROM base\nCMD ["b"]\n'.replace("CMD a", 'CMD ["a"]'),  # one CMD per stage
    ],
)
def test_no_warning(text: str) -> None:
    assert warnings(text) == []


def test_check_directive_skips_rules() -> None:
    text = "# check=skip=JSONArgsRecommended,FromAsCasing\nFROM alpine as build\nCMD echo\nWORKDIR x\n"
    assert rules(text) == ["WorkdirRelativePath"]
    assert rules("# check=skip=all\nFROM alpine as build\nCMD echo\n") == []


def test_a_check_comment_applies_to_its_instruction_only() -> None:
    text = "FROM alpine\n# check=skip=JSONArgsRecommended\nCMD echo a\nENTRYPOINT echo b\n"
    assert warnings(text) == [
        (
            "JSONArgsRecommended",
            "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals",
            4,
        )
    ]


def test_build_arg_overrides_the_check_directive() -> None:
    text = "# check=skip=all\nFROM alpine as build\n"
    assert rules(text, {"BUILDKIT_DOCKERFILE_CHECK": "skip=StageNameCasing"}) == ["FromAsCasing"]


def test_error_true_turns_warnings_into_a_violation() -> None:
    result = lint(parse("# check=error=true\nFROM alpine as build\nMAINTAINER me\n"))
    assert result.violation() == "lint violation found for rules: FromAsCasing, MaintainerDeprecated"
    assert lint(parse("# check=error=true\nFROM alpine\n")).violation() == ""
    assert lint(parse("FROM alpine as build\n")).violation() == ""


@pytest.mark.parametrize(
    "directive, message",
    [
        ("# check=bogus\n", 'failed to parse check options: invalid check option "bogus"'),
        ("# check=foo=bar\n", 'failed to parse check options: invalid check option "foo"'),
        (
            "# check=error=maybe\n",
            'failed to parse check options: failed to parse check option "error=maybe": '
            'strconv.ParseBool: parsing "maybe": invalid syntax',
        ),
    ],
)
def test_invalid_check_options(directive: str, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        lint(parse(directive + "FROM alpine\n"))
    assert (caught.value.line, caught.value.message) == (1, message)


def test_warnings_only_for_the_stages_the_target_needs() -> None:
    text = "FROM alpine AS a\nCOPY $x .\nFROM alpine AS b\nCOPY $y .\n"
    assert [message for _, message, _ in warnings(text, target="a")] == ["Usage of undefined variable '$x'"]


def test_undefined_var_suggests_a_near_name() -> None:
    assert warnings("FROM alpine\nARG VERSION=1\nENV V=$VERSON\n") == [
        ("UndefinedVar", "Usage of undefined variable '$VERSON' (did you mean $VERSION?)", 3)
    ]


def test_mixed_case_from_is_only_a_casing_warning() -> None:
    assert rules("From alpine as build\n") == ["ConsistentInstructionCasing"]


def test_undefined_arg_in_from_and_the_invalid_name_it_leaves() -> None:
    assert rules("FROM alpine:$TAG\n") == ["InvalidDefaultArgInFrom", "UndefinedArgInFrom"]


def test_every_rule_is_catalogued_with_its_documentation() -> None:
    assert RULES["FromAsCasing"].url == "https://docs.docker.com/go/dockerfile/rule/from-as-casing/"
    assert all(rule.name == name and rule.description for name, rule in RULES.items())


def test_rendered_warnings_as_docker_build_check_prints_them() -> None:
    text = "FROM alpine as build\nRUN a\nRUN b\nRUN c\nRUN d\nMAINTAINER me\n"
    result = lint(parse(text))
    assert render_warnings(result.findings, text, "app/Dockerfile") == (
        "Check complete, 2 warnings have been found!\n"
        "\n"
        "WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n"
        "'as' and 'FROM' keywords' casing do not match\n"
        "app/Dockerfile:1\n"
        "--------------------\n"
        "   1 | >>> FROM alpine as build\n"
        "   2 |     RUN a\n"
        "   3 |     RUN b\n"
        "--------------------\n"
        "\n"
        "WARNING: MaintainerDeprecated - https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/\n"
        "Maintainer instruction is deprecated in favor of using label\n"
        "app/Dockerfile:6\n"
        "--------------------\n"
        "   4 |     RUN c\n"
        "   5 |     RUN d\n"
        "   6 | >>> MAINTAINER me\n"
        "   7 |     \n"
        "--------------------"
    )
    assert render_warnings((), "FROM alpine\n") == "Check complete, no warnings found."
