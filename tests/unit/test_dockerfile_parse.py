"""Parsing: directives, comments, continuations, here-documents, exec vs shell form, every instruction."""

from __future__ import annotations

import pytest

from hydock.dockerfile import nodes, parse
from hydock.errors import DockerfileError


def body(text: str) -> list[nodes.AnyInstruction]:
    """The instructions after `FROM scratch`."""
    return list(parse("FROM scratch\n" + text).stages[-1].instructions)


def only(text: str) -> nodes.AnyInstruction:
    (instruction,) = body(text)
    return instruction


def test_stages_and_meta_args() -> None:
    dockerfile = parse(
        "ARG GO=1.22\nARG BASE\nFROM golang:${GO} AS Build\nRUN go build\nFROM scratch\nCOPY --from=build /app /app\n"
    )
    assert [arg.args for arg in dockerfile.meta_args] == [
        (nodes.ArgDefinition("GO", "1.22"),),
        (nodes.ArgDefinition("BASE", None),),
    ]
    build, final = dockerfile.stages
    assert (build.index, build.name, build.header.base, build.header.as_keyword) == (0, "build", "golang:${GO}", "AS")
    assert (final.index, final.name, final.header.base) == (1, "", "scratch")
    assert [type(ins) for ins in build.instructions] == [nodes.Run]
    assert final.instructions[0].line == 6


def test_from_platform_flag() -> None:
    header = parse("FROM --platform=$BUILDPLATFORM golang AS build\n").stages[0].header
    assert (header.platform, header.flags, header.base, header.stage_name) == (
        "$BUILDPLATFORM",
        ("--platform=$BUILDPLATFORM",),
        "golang",
        "build",
    )


def test_keywords_are_case_insensitive_and_kept_as_written() -> None:
    dockerfile = parse("from alpine as base\nrun echo hi\nCoPy a b\n")
    assert [ins.keyword for ins in dockerfile.instructions()] == ["from", "run", "CoPy"]
    assert isinstance(dockerfile.stages[0].instructions[1], nodes.Copy)


def test_lines_comments_and_blank_lines() -> None:
    text = "\n# a comment\n\n  # indented\nFROM scratch\n\n\nLABEL a=b\n"
    dockerfile = parse(text)
    header = dockerfile.stages[0].header
    assert (header.line, header.end_line) == (5, 5)
    # Docker drops the first character then trims, so an indented comment keeps its "#".
    assert header.comments == ("a comment", "# indented")
    assert dockerfile.stages[0].instructions[0].line == 8


def test_empty_comment_line_ends_a_comment_block() -> None:
    header = parse("# first\n#\n# second\nFROM scratch\n").stages[0].header
    assert header.comments == ("second",)


def test_line_continuation_joins_lines_and_skips_comments() -> None:
    run = only("RUN apt-get update \\\n    # a comment in the middle\n    && apt-get install -y \\\n\tcurl\n")
    assert isinstance(run, nodes.Run)
    assert run.command.args == ("apt-get update     && apt-get install -y \tcurl",)
    assert (run.line, run.end_line) == (2, 5)
    assert not run.empty_continuation


def test_empty_continuation_lines_are_skipped_and_noted() -> None:
    run = only("RUN a \\\n\n    b\n")
    assert isinstance(run, nodes.Run)
    assert run.command.args == ("a     b",)
    assert run.empty_continuation


def test_escaped_escape_at_end_of_line_is_not_a_continuation() -> None:
    first, second = body("ENV C trailing\\\\\nENV D next\n")
    assert isinstance(first, nodes.Env) and first.pairs[0].value == "trailing\\\\"
    assert isinstance(second, nodes.Env) and second.pairs[0].key == "D"


def test_continuation_lines_keep_their_leading_spaces() -> None:
    env = only("ENV F hello\\\n \\\nworld\n")
    assert isinstance(env, nodes.Env)
    assert env.pairs[0].value == "hello world"


def test_continuation_at_end_of_file_is_accepted() -> None:
    run = only("RUN something \\")
    assert isinstance(run, nodes.Run) and run.command.args == ("something",)


def test_backtick_escape_directive() -> None:
    dockerfile = parse("# escape=`\nFROM scratch\nRUN dir `\n    c:\\\nCOPY a\\b c:\\dest\\\n")
    assert dockerfile.escape == "`"
    run, copy = dockerfile.stages[0].instructions
    assert isinstance(run, nodes.Run) and run.command.args == ("dir     c:\\",)
    assert isinstance(copy, nodes.Copy) and (copy.sources, copy.dest) == (("a\\b",), "c:\\dest\\")


@pytest.mark.parametrize(
    "text, escape",
    [
        ("# ESCAPE = `\nFROM scratch\n", "`"),
        ("  #escape=`\nFROM scratch\n", "`"),
        ("# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\n", "`"),
        # Directives must come first: after a comment, a blank line or an instruction they are comments.
        ("# a comment\n# escape=`\nFROM scratch\n", "\\"),
        ("\n# escape=`\nFROM scratch\n", "\\"),
        ("# unknown=x\n# escape=`\nFROM scratch\n", "\\"),
        ("FROM scratch\n# escape=`\n", "\\"),
    ],
)
def test_directives_only_at_the_top(text: str, escape: str) -> None:
    assert parse(text).escape == escape


def test_directive_values() -> None:
    dockerfile = parse("# syntax = docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended;error=true\nFROM scratch\n")
    directives = dockerfile.directives
    assert (directives.syntax, directives.check, directives.check_line) == (
        "docker/dockerfile:1.7",
        "skip=JSONArgsRecommended;error=true",
        2,
    )
    # A directive is not a comment of the first instruction.
    assert dockerfile.stages[0].header.comments == ()


def test_byte_order_mark_is_ignored() -> None:
    assert parse("\ufeff# escape=`\nFROM scratch\n").escape == "`"


def test_windows_line_endings() -> None:
    run = only("RUN a \\\r\n  b\r\nCMD x\r\n".split("CMD")[0])
    assert isinstance(run, nodes.Run) and run.command.args == ("a   b",)


@pytest.mark.parametrize(
    "line, args, exec_form",
    [
        ('RUN ["echo", "hi"]', ("echo", "hi"), True),
        ('RUN [ "echo" , "a b" ]  ', ("echo", "a b"), True),
        ("RUN echo [hi]", ("echo [hi]",), False),
        # Not valid JSON, so Docker runs it with the shell, as written.
        ("RUN ['single', 'quotes']", ("['single', 'quotes']",), False),
        ('RUN ["unterminated"', ('["unterminated"',), False),
        ('RUN ["a"] && b', ('["a"] && b',), False),
        ('RUN ["a", NaN]', ('["a", NaN]',), False),
        ('RUN ["\\u0041\\n"]', ("A\n",), True),
    ],
)
def test_exec_and_shell_form(line: str, args: tuple[str, ...], exec_form: bool) -> None:
    run = only(line)
    assert isinstance(run, nodes.Run)
    assert run.command == nodes.CommandLine(args, exec_form)


def test_run_flags() -> None:
    run = only(
        "RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked --mount=type=secret,id=npmrc,target=/root/.npmrc"
        " --network=none --security=insecure pip install -r requirements.txt\n"
    )
    assert isinstance(run, nodes.Run)
    cache, secret = run.mounts
    assert (cache.type, cache.target, cache.sharing, cache.readonly) == ("cache", "/root/.cache/pip", "locked", False)
    assert (secret.type, secret.id, secret.target, secret.readonly) == ("secret", "npmrc", "/root/.npmrc", True)
    assert (run.network, run.security) == ("none", "insecure")
    assert run.command == nodes.CommandLine(("pip install -r requirements.txt",), False)


@pytest.mark.parametrize(
    "spec, fields",
    [
        ("type=bind,source=.,target=/src", {"type": "bind", "source": ".", "target": "/src", "readonly": True}),
        ("type=bind,from=builder,src=/out,dst=/in,rw", {"from_": "builder", "source": "/out", "readonly": False}),
        ("type=cache,target=/c,id=pip,uid=1000,gid=1000,mode=0700", {"id": "pip", "uid": 1000, "mode": 0o700}),
        ("type=tmpfs,target=/tmp,size=64m", {"type": "tmpfs", "size": 64 << 20, "readonly": False}),
        ("type=ssh,required", {"type": "ssh", "required": True}),
        ("type=secret,id=token,env=TOKEN", {"env": "TOKEN", "target": ""}),
        ("type=cache,target=/c,readonly=true", {"readonly": True}),
        ("type=$KIND,target=$DIR", {"type": "$KIND", "target": "$DIR"}),
    ],
)
def test_run_mounts(spec: str, fields: dict[str, object]) -> None:
    run = only(f"RUN --mount={spec} true")
    assert isinstance(run, nodes.Run)
    (mount,) = run.mounts
    assert mount.spec == spec
    for name, value in fields.items():
        assert getattr(mount, name) == value, name


def test_cmd_entrypoint_shell() -> None:
    cmd, entrypoint, shell, empty = body(
        'CMD ["nginx", "-g", "daemon off;"]\nENTRYPOINT /entry.sh run\nSHELL ["pwsh", "-c"]\nCMD\n'
    )
    assert isinstance(cmd, nodes.Cmd) and cmd.command == nodes.CommandLine(("nginx", "-g", "daemon off;"), True)
    assert isinstance(entrypoint, nodes.Entrypoint)
    assert entrypoint.command == nodes.CommandLine(("/entry.sh run",), False)
    assert isinstance(shell, nodes.Shell) and shell.args == ("pwsh", "-c")
    assert isinstance(empty, nodes.Cmd) and empty.command == nodes.CommandLine((), False)


def test_label_pairs_and_quotes() -> None:
    label = only(
        'LABEL "com.example.vendor"="ACME Incorporated" version=1.0 description="a \\"quoted\\" text" empty= '
        "'single'=\"$X\"\n"
    )
    assert isinstance(label, nodes.Label)
    assert [(p.key, p.value) for p in label.pairs] == [
        ('"com.example.vendor"', '"ACME Incorporated"'),
        ("version", "1.0"),
        ("description", '"a \\"quoted\\" text"'),
        ("empty", ""),
        ("'single'", '"$X"'),
    ]


def test_env_forms() -> None:
    modern, legacy = body('ENV A=1 B="two words" C=\nENV PATH /usr/local/bin:$PATH and more\n')
    assert isinstance(modern, nodes.Env) and isinstance(legacy, nodes.Env)
    assert [(p.key, p.value, p.legacy) for p in modern.pairs] == [
        ("A", "1", False),
        ("B", '"two words"', False),
        ("C", "", False),
    ]
    assert [(p.key, p.value, p.legacy) for p in legacy.pairs] == [("PATH", "/usr/local/bin:$PATH and more", True)]


def test_expose_volume_user_workdir_stopsignal_maintainer() -> None:
    expose, volume_json, volume_words, user, workdir, signal, maintainer = body(
        "EXPOSE 80 443/tcp 8000-8010/udp\n"
        'VOLUME ["/data", "/var/log"]\n'
        "VOLUME /a /b\n"
        "USER app:app\n"
        "WORKDIR /path with spaces\n"
        "STOPSIGNAL SIGQUIT\n"
        "MAINTAINER Jane <jane@example.com>\n"
    )
    assert isinstance(expose, nodes.Expose) and expose.ports == ("80", "443/tcp", "8000-8010/udp")
    assert isinstance(volume_json, nodes.Volume) and volume_json.paths == ("/data", "/var/log")
    assert isinstance(volume_words, nodes.Volume) and volume_words.paths == ("/a", "/b")
    assert isinstance(user, nodes.User) and user.user == "app:app"
    assert isinstance(workdir, nodes.Workdir) and workdir.path == "/path with spaces"
    assert isinstance(signal, nodes.StopSignal) and signal.signal == "SIGQUIT"
    assert isinstance(maintainer, nodes.Maintainer) and maintainer.maintainer == "Jane <jane@example.com>"


def test_arg_forms() -> None:
    arg = only('ARG A B=2 C= D="x y"\n')
    assert isinstance(arg, nodes.Arg)
    assert arg.args == (
        nodes.ArgDefinition("A"),
        nodes.ArgDefinition("B", "2"),
        nodes.ArgDefinition("C", ""),
        nodes.ArgDefinition("D", '"x y"'),
    )


def test_copy_and_add_flags() -> None:
    copy, add = body(
        "COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp/ a b /dst/\n"
        "ADD --checksum=sha256:abc --keep-git-dir=true --unpack=false --chown=1 https://x/y.tar.gz /opt/\n"
    )
    assert isinstance(copy, nodes.Copy)
    assert (copy.from_, copy.chown, copy.chmod, copy.link, copy.parents) == ("build", "app:app", "0755", True, True)
    assert (copy.excludes, copy.sources, copy.dest) == (("*.md", "tmp/"), ("a", "b"), "/dst/")
    assert isinstance(add, nodes.Add)
    assert (add.checksum, add.keep_git_dir, add.unpack, add.chown) == ("sha256:abc", True, False, "1")
    assert (add.sources, add.dest, add.link) == (("https://x/y.tar.gz",), "/opt/", False)


def test_copy_json_form_keeps_spaces() -> None:
    copy = only('COPY ["my file.txt", "other", "/dest dir/"]\n')
    assert isinstance(copy, nodes.Copy) and (copy.sources, copy.dest) == (("my file.txt", "other"), "/dest dir/")


def test_flag_values_may_be_quoted() -> None:
    copy = only('COPY --chown="app user" a b\n')
    assert isinstance(copy, nodes.Copy) and copy.chown == "app user"


def test_healthcheck() -> None:
    shell, exec_form, none = body(
        "HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 "
        "CMD curl -f http://localhost/ || exit 1\n"
        'HEALTHCHECK cmd ["/bin/check", "--quick"]\n'
        "HEALTHCHECK NONE\n"
    )
    assert isinstance(shell, nodes.Healthcheck)
    assert shell.test == ("CMD-SHELL", "curl -f http://localhost/ || exit 1")
    assert (shell.interval, shell.timeout, shell.start_period, shell.start_interval, shell.retries) == (
        300_000_000_000,
        3_000_000_000,
        90_000_000_000,
        500_000_000,
        3,
    )
    assert isinstance(exec_form, nodes.Healthcheck) and exec_form.test == ("CMD", "/bin/check", "--quick")
    assert isinstance(none, nodes.Healthcheck) and none.test == ("NONE",)


def test_onbuild() -> None:
    onbuild = only("ONBUILD COPY --chown=app . /app/src\n")
    assert isinstance(onbuild, nodes.Onbuild)
    assert onbuild.expression == "COPY --chown=app . /app/src"
    assert isinstance(onbuild.trigger, nodes.Copy) and onbuild.trigger.chown == "app"
    assert onbuild.trigger.line == onbuild.line == 2


def test_heredoc_run() -> None:
    run, cmd = body("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCMD x\n")
    assert isinstance(run, nodes.Run)
    assert run.command.args == ("<<EOF",)
    (heredoc,) = run.heredocs
    assert heredoc == nodes.Heredoc(name="EOF", content="apt-get update\napt-get install -y curl\n", expand=True)
    assert (run.line, run.end_line, cmd.line) == (2, 5, 6)


def test_heredoc_strip_tabs_and_quoted_delimiters() -> None:
    chomped, quoted, partly, spaced = body(
        "RUN <<-EOT\n\tindented $HOME\n\t\tmore\n\tEOT\n"
        "RUN <<'EOT'\n$HOME stays\nEOT\n"
        "RUN <<eo'f'\nx\neof\n"
        "RUN <<  EOF  > /file\nbody\nEOF\n"
    )
    heredoc = chomped.heredocs[0]
    assert (heredoc.chomp, heredoc.content, heredoc.text()) == (
        True,
        "\tindented $HOME\n\t\tmore\n",
        "indented $HOME\nmore\n",
    )
    assert (quoted.heredocs[0].name, quoted.heredocs[0].expand) == ("EOT", False)
    assert (partly.heredocs[0].name, partly.heredocs[0].expand) == ("eof", False)
    assert (spaced.heredocs[0].name, spaced.heredocs[0].content) == ("EOF", "body\n")


def test_several_heredocs_in_one_instruction() -> None:
    run = only("RUN 3<<A cat /dev/fd/3 && cat <<B\nfirst\nA\nsecond\nB\n")
    assert isinstance(run, nodes.Run)
    assert [(h.name, h.content, h.fd) for h in run.heredocs] == [("A", "first\n", 3), ("B", "second\n", 0)]
    assert run.command.args == ("3<<A cat /dev/fd/3 && cat <<B",)


def test_copy_heredocs_become_inline_sources() -> None:
    copy = only(
        'COPY <<index.html <<-"conf" /usr/share/nginx/html/\n<h1>$TITLE</h1>\nindex.html\n\tkey=value\n\tconf\n'
    )
    assert isinstance(copy, nodes.Copy)
    assert copy.sources == ()
    assert copy.inline_sources == (
        nodes.InlineSource("index.html", "<h1>$TITLE</h1>\n", True),
        nodes.InlineSource("conf", "key=value\n", False),
    )
    assert copy.dest == "/usr/share/nginx/html/"


def test_heredoc_only_where_docker_allows_it() -> None:
    json_run, quoted = body('RUN ["<<EOF"]\nRUN "<<NOTHEREDOC"\n')
    assert json_run.heredocs == quoted.heredocs == ()
    # USER takes no here-document, so the next line is an instruction of its own (an unknown one here).
    with pytest.raises(DockerfileError, match="unknown instruction: EOF") as caught:
        body("USER <<EOF\nEOF\n")
    assert caught.value.line == 3


def test_heredoc_in_onbuild() -> None:
    onbuild = only("ONBUILD RUN <<EOF\necho hi\nEOF\n")
    assert isinstance(onbuild, nodes.Onbuild)
    assert onbuild.expression == "RUN <<EOF\necho hi\nEOF"
    assert onbuild.trigger.heredocs[0].content == "echo hi\n"


def test_instructions_in_file_order() -> None:
    dockerfile = parse("ARG A\nFROM scratch AS one\nRUN x\nFROM one\nCMD y\n")
    assert [ins.name for ins in dockerfile.instructions()] == ["ARG", "FROM", "RUN", "FROM", "CMD"]
