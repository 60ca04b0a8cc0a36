"""Every malformed Dockerfile is an error with Docker's message and its line, never a silent skip."""

from __future__ import annotations

import pytest

from hydock.dockerfile import evaluate, parse
from hydock.dockerfile.report import render_error
from hydock.errors import DockerfileError, InvalidArgument

PARSE_ERRORS = [
    # Unknown instructions, with Docker's suggestion in the case the keyword was typed.
    ("FROM scratch\nRUNN x\n", 2, "unknown instruction: RUNN (did you mean RUN?)"),
    ("FROM scratch\ncopyy a b\n", 2, "unknown instruction: copyy (did you mean copy?)"),
    ("FROM scratch\nFOOBAR x\n", 2, "unknown instruction: FOOBAR"),
    ("FROM scratch\nLABEL a=b\n\\\n", 3, "the file ends with a line continuation that nothing follows"),
    # Only ARG may come before the first FROM.
    ("RUN echo hi\nFROM scratch\n", 1, "no build stage in current context"),
    ("# comment\nARG A=1\nLABEL a=b\nFROM scratch\n", 3, "no build stage in current context"),
    ("ARG A=1\n", 1, "dockerfile contains no stages to build"),
    ("", 0, "file with no instructions"),
    ("# only\n\n# comments\n", 3, "file with no instructions"),
    # Flags.
    ("FROM scratch\nCOPY --bogus=1 a /b\n", 2, "unknown flag: --bogus"),
    ("FROM scratch\nCOPY --chwn=1 a /b\n", 2, "unknown flag: --chwn (did you mean chown?)"),
    ("FROM scratch\nCOPY --from=a --from=b x y\n", 2, "duplicate flag specified: --from"),
    ("FROM scratch\nCOPY --chown a b\n", 2, "missing a value on flag: --chown"),
    ("FROM scratch\nCOPY --link=maybe a b\n", 2, "expecting boolean value for flag --link, not: maybe"),
    ("FROM scratch\nCOPY --link= a b\n", 2, "missing a value on flag: --link"),
    ("FROM scratch\nADD --from=x a b\n", 2, "unknown flag: --from"),
    ("FROM scratch\nENV --foo=bar a=b\n", 2, "unknown flag: --foo"),
    ("FROM scratch\nARG --foo=bar a\n", 2, "unknown flag: --foo"),
    ("FROM scratch\nWORKDIR --x=1 /a\n", 2, "unknown flag: --x"),
    ("FROM --plaform=linux/amd64 scratch\n", 1, "unknown flag: --plaform (did you mean platform?)"),
    ("FROM scratch\nRUN --mnt=type=cache true\n", 2, "unknown flag: --mnt (did you mean mount?)"),
    ("FROM scratch\nRUN --network=bridge true\n", 2, 'invalid network mode "bridge"'),
    ("FROM scratch\nRUN --security=privileged true\n", 2, 'security "privileged" is not valid'),
    ("FROM scratch\nRUN --mount=type=cach,target=/x true\n", 2, 'unsupported mount type "cach" (did you mean cache?)'),
    ("FROM scratch\nRUN --mount=type=secret true\n", 2, "invalid secret mount. one of source, target required"),
    ("FROM scratch\nRUN --mount=target=/x,mode=0755 true\n", 2, 'mode not allowed for "bind" type mounts'),
    (
        "FROM scratch\nRUN --mount=type=cache,target=/x,size=1m true\n",
        2,
        "unexpected key 'size' for mount type 'cache'",
    ),
    (
        "FROM scratch\nRUN --mount=type=cache,trget=/x true\n",
        2,
        "unexpected key 'trget' in 'trget=/x' (did you mean target?)",
    ),
    ("FROM scratch\nRUN --mount=type=cache,bogus true\n", 2, "invalid field 'bogus' must be a key=value pair"),
    (
        "FROM scratch\nRUN --mount=from=$STAGE,target=/x true\n",
        2,
        "'from' doesn't support variable expansion, define alias stage instead",
    ),
    # Here-documents and continuations.
    ("FROM scratch\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc: no line EOF ends it"),
    ("FROM scratch\nCOPY <<A <<B /x\na\nA\nb\n", 2, "unterminated heredoc: no line B ends it"),
    ("FROM scratch\nCOPY a <<EOF\nx\nEOF\n", 2, "COPY cannot accept a heredoc as a destination"),
    # JSON and argument counts.
    ("FROM scratch\nSHELL /bin/sh -c\n", 2, "SHELL requires the arguments to be in JSON form"),
    ("FROM scratch\nSHELL []\n", 2, "SHELL requires at least one argument"),
    ('FROM scratch\nCMD ["a", 1]\n', 2, "when using JSON array syntax, arrays must be comprised of strings only"),
    ('FROM scratch\nRUN ["a", ["b"]]\n', 2, "when using JSON array syntax, arrays must be comprised of strings only"),
    ("FROM scratch\nRUN\n", 2, "RUN requires at least one argument"),
    ("FROM scratch\nRUN []\n", 2, "RUN requires at least one argument"),
    ("FROM scratch\nENV A\n", 2, "ENV must have two arguments"),
    ("FROM scratch\nLABEL a\n", 2, "LABEL must have two arguments"),
    ("FROM scratch\nENV A=1 B\n", 2, 'Syntax error - can\'t find = in "B". Must be of the form: name=value'),
    ("FROM scratch\nENV =x\n", 2, "ENV names can not be blank"),
    ("FROM scratch\nARG =x\n", 2, "ARG names can not be blank"),
    ("FROM scratch\nENV\n", 2, "ENV requires at least one argument"),
    ("FROM scratch\nARG\n", 2, "ARG requires at least one argument"),
    ("FROM\n", 1, "FROM requires either one or three arguments"),
    ("FROM scratch AS\n", 1, "FROM requires either one or three arguments"),
    ("FROM scratch AS a b\n", 1, "FROM requires either one or three arguments"),
    (
        "FROM scratch AS 1a\n",
        1,
        'invalid name for build stage: "1a", name can\'t start with a number or contain symbols',
    ),
    ("FROM scratch AS a\nFROM scratch AS A\n", 2, 'Duplicate stage name "a", stage names should be unique'),
    (
        "FROM scratch\nCOPY a\n",
        2,
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
    ),
    (
        "FROM scratch\nADD\n",
        2,
        "ADD requires at least two arguments, but only one was provided. Destination could not be determined",
    ),
    ("FROM scratch\nUSER\n", 2, "USER requires exactly one argument"),
    ("FROM scratch\nWORKDIR\n", 2, "WORKDIR requires exactly one argument"),
    ("FROM scratch\nSTOPSIGNAL\n", 2, "STOPSIGNAL requires exactly one argument"),
    ("FROM scratch\nMAINTAINER\n", 2, "MAINTAINER requires exactly one argument"),
    ("FROM scratch\nEXPOSE\n", 2, "EXPOSE requires at least one argument"),
    ("FROM scratch\nVOLUME\n", 2, "VOLUME requires at least one argument"),
    ("FROM scratch\nVOLUME []\n", 2, "VOLUME requires at least one argument"),
    ('FROM scratch\nVOLUME ["/a", " "]\n', 2, "VOLUME specified can not be an empty string"),
    # ONBUILD.
    ("FROM scratch\nONBUILD\n", 2, "ONBUILD requires at least one argument"),
    ("FROM scratch\nONBUILD ONBUILD RUN x\n", 2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ("FROM scratch\nONBUILD FROM alpine\n", 2, "FROM isn't allowed as an ONBUILD trigger"),
    ("FROM scratch\nONBUILD maintainer me\n", 2, "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("FROM scratch\nONBUILD FOO bar\n", 2, "unknown instruction: FOO (did you mean FROM?)"),
    ("FROM scratch\nONBUILD COPY --bogus a b\n", 2, "unknown flag: --bogus"),
    # HEALTHCHECK.
    ("FROM scratch\nHEALTHCHECK\n", 2, "HEALTHCHECK requires at least one argument"),
    ("FROM scratch\nHEALTHCHECK NONE x\n", 2, "HEALTHCHECK NONE takes no arguments"),
    ("FROM scratch\nHEALTHCHECK RUN x\n", 2, 'Unknown type "RUN" in HEALTHCHECK (try CMD)'),
    ("FROM scratch\nHEALTHCHECK CMD\n", 2, "Missing command after HEALTHCHECK CMD"),
    ("FROM scratch\nHEALTHCHECK --interval=1x CMD true\n", 2, 'time: unknown unit "x" in duration "1x"'),
    ("FROM scratch\nHEALTHCHECK --timeout=10 CMD true\n", 2, 'time: missing unit in duration "10"'),
    ("FROM scratch\nHEALTHCHECK --interval=abc CMD true\n", 2, 'time: invalid duration "abc"'),
    ("FROM scratch\nHEALTHCHECK --interval=500us CMD true\n", 2, 'Interval "interval" cannot be less than 1ms'),
    ("FROM scratch\nHEALTHCHECK --start-period=-1s CMD true\n", 2, 'Interval "start-period" cannot be less than 1ms'),
    ("FROM scratch\nHEALTHCHECK --retries=x CMD true\n", 2, 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("FROM scratch\nHEALTHCHECK --retries=-1 CMD true\n", 2, "--retries cannot be negative (-1)"),
    (
        "FROM scratch\nHEALTHCHECK --retries=9999999999 CMD true\n",
        2,
        'strconv.ParseInt: parsing "9999999999": value out of range',
    ),
    # Directives.
    ("# escape=x\nFROM scratch\n", 1, "invalid escape token 'x' does not match ` or \\"),
    ("# escape=`\n# ESCAPE=\\\nFROM scratch\n", 2, "only one escape parser directive can be used"),
    ("# syntax=a\n# syntax=b\nFROM scratch\n", 2, "only one syntax parser directive can be used"),
]


@pytest.mark.parametrize("text, line, message", PARSE_ERRORS)
def test_parse_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_a_dockerfile_error_is_an_invalid_argument_that_exits_1() -> None:
    error = DockerfileError("unknown instruction: X", file="Dockerfile.dev", line=3, column=1)
    assert isinstance(error, InvalidArgument)
    assert error.exit_code == 1
    assert str(error) == "Dockerfile.dev:3: unknown instruction: X"


def test_errors_name_the_file() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse("FROM scratch\nFOOBAR x\n", "build/Dockerfile.prod")
    assert str(caught.value) == "build/Dockerfile.prod:2: unknown instruction: FOOBAR"


def test_errors_inside_a_continuation_point_at_the_line_of_the_fault() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse("FROM scratch\nCOPY --chown=1 \\\n     --bogus=2 \\\n     a b\n")
    assert (caught.value.line, caught.value.column) == (3, 6)


def test_error_spans_the_instruction_when_no_token_is_known() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse("FROM scratch\nSHELL sh \\\n    -c\n")
    assert (caught.value.line, caught.value.end_line, caught.value.column) == (2, 3, 0)


def test_rendered_error_shows_the_line_and_a_caret() -> None:
    text = "FROM scratch\n\tCOPY --chwn=1 a b\n"
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    assert render_error(caught.value, text) == (
        "Dockerfile:2: unknown flag: --chwn (did you mean chown?)\n    2 | \tCOPY --chwn=1 a b\n      | \t     ^"
    )


def test_rendered_error_points_at_the_instruction_when_the_column_is_unknown() -> None:
    text = "FROM scratch\n   SHELL sh -c\n"
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    assert render_error(caught.value, text).splitlines()[1:] == ["    2 |    SHELL sh -c", "      |    ^"]


def test_rendered_error_without_a_line() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse("")
    assert render_error(caught.value, "") == "Dockerfile: file with no instructions"


EVALUATION_ERRORS = [
    ('FROM scratch\nENV A="${NOPE:?must be set}"\n', {}, 2, "NOPE: must be set"),
    ("FROM scratch\nENV A=${NOPE:?}\n", {}, 2, 'failed to process "${NOPE:?}": NOPE: is not allowed to be unset'),
    (
        "FROM scratch\nARG DIR\nWORKDIR ${DIR:?}\n",
        {"DIR": ""},
        3,
        'failed to process "${DIR:?}": DIR: is not allowed to be empty',
    ),
    ('FROM scratch\nLABEL a="x\n', {}, 2, "unexpected end of statement while looking for matching double-quote"),
    ("ARG IMAGE\nFROM $IMAGE\n", {}, 2, "base name ($IMAGE) should not be blank"),
    ("ARG P\nFROM --platform=$P scratch\n", {}, 2, "empty platform value from expression $P"),
    ("FROM scratch\nCOPY --from=$STAGE /a /b\n", {}, 2, "variable expansion is not supported for --from"),
    ("FROM scratch\nCOPY --from=5 /a /b\n", {}, 2, "invalid stage index 5"),
    ("FROM scratch\nARG V\nVOLUME $V\n", {}, 3, "VOLUME specified can not be an empty string"),
    ("FROM scratch\nSTOPSIGNAL SIGBOGUS\n", {}, 2, "invalid signal: SIGBOGUS"),
    ("FROM scratch\nSTOPSIGNAL 0\n", {}, 2, "invalid signal: 0"),
    ("FROM scratch\nEXPOSE 80-70\n", {}, 2, "invalid containerPort: 80-70"),
    ("FROM scratch\nEXPOSE 80/xyz\n", {}, 2, 'invalid port: "80/xyz": invalid proto: xyz'),
    ("FROM scratch\nEXPOSE 70000\n", {}, 2, "invalid containerPort: 70000"),
    ("FROM scratch\nARG T=cach\nRUN --mount=type=$T,target=/x true\n", {}, 3, "unsupported mount type"),
    ("FROM scratch AS a\nCOPY --from=b /x /x\nFROM a AS b\n", {}, 2, "circular dependency detected on stage: b"),
]


@pytest.mark.parametrize("text, build_args, line, message", EVALUATION_ERRORS)
def test_evaluation_errors(text: str, build_args: dict[str, str], line: int, message: str) -> None:
    dockerfile = parse(text)
    with pytest.raises(DockerfileError) as caught:
        evaluate(dockerfile, build_args)
    assert caught.value.line == line
    assert message in caught.value.message


def test_unknown_target() -> None:
    dockerfile = parse("FROM scratch AS builder\nFROM scratch AS final\n")
    with pytest.raises(DockerfileError, match=r'target stage "buildr" could not be found \(did you mean builder\?\)'):
        evaluate(dockerfile, target="buildr")
