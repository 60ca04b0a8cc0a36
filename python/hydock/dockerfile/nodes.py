"""The Dockerfile syntax tree the builder consumes: what each instruction says, where, with which flags.

Words are kept as written (quotes and $VARs included) wherever Docker expands them later; `evaluate`
gives the same structs back with those words expanded. Every struct is frozen.
"""

from __future__ import annotations

import re
from typing import ClassVar

import msgspec

_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)


class Heredoc(msgspec.Struct, frozen=True, kw_only=True):
    """A here-document attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`)."""

    name: str
    """The delimiter with its quotes removed; COPY uses it as the file name."""
    content: str
    """The body exactly as written, each line ending with its newline."""
    expand: bool
    """False when the delimiter was quoted: variables in the body are left alone."""
    chomp: bool = False
    """`<<-`: leading tabs are stripped from every body line (see `text`)."""
    fd: int = 0
    """`3<<EOF` feeds file descriptor 3 of a shell command; 0 when no number was given."""

    def text(self) -> str:
        """The body as the command or file receives it (tabs stripped for `<<-`)."""
        return _LEADING_TABS.sub("", self.content) if self.chomp else self.content


class CommandLine(msgspec.Struct, frozen=True):
    """RUN, CMD, ENTRYPOINT and HEALTHCHECK commands: exec form (JSON array) or one shell string."""

    args: tuple[str, ...]
    exec_form: bool


class KeyValue(msgspec.Struct, frozen=True):
    key: str
    value: str
    legacy: bool = False
    """Written in the legacy `ENV key value` form rather than `key=value`."""


class ArgDefinition(msgspec.Struct, frozen=True):
    key: str
    default: str | None = None
    """None when the ARG gives no default (`ARG name`), "" for `ARG name=`."""


class Mount(msgspec.Struct, frozen=True, kw_only=True):
    """One `RUN --mount=...`; `spec` is the flag value as written, the fields its parsed form."""

    spec: str
    type: str = "bind"
    from_: str = msgspec.field(default="", name="from")
    source: str = ""
    target: str = ""
    readonly: bool = True
    size: int | None = None
    id: str = ""
    sharing: str = ""
    required: bool = False
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    env: str | None = None


class InlineSource(msgspec.Struct, frozen=True):
    """A COPY/ADD source given as a here-document: the file `path` with `data` as content."""

    path: str
    data: str
    expand: bool


class Instruction(msgspec.Struct, frozen=True, kw_only=True, tag_field="instruction", tag=str.upper):
    """Fields every instruction has; the subclasses add their arguments."""

    keyword: str
    """As written, case kept (the casing checks need it)."""
    line: int
    end_line: int
    source: str
    """The logical line, continuations joined (what Docker shows for a step)."""
    flags: tuple[str, ...] = ()
    """The `--name=value` words as written, in order."""
    comments: tuple[str, ...] = ()
    """The comment lines right above the instruction, `#` removed."""
    heredocs: tuple[Heredoc, ...] = ()
    empty_continuation: bool = False
    """Blank lines were skipped inside its line continuation (Docker warns: they will become errors)."""

    name: ClassVar[str] = ""


class From(Instruction, frozen=True):
    base: str
    stage_name: str = ""
    """Lower-cased, as Docker compares stage names; "" for an unnamed stage."""
    as_keyword: str = ""
    """The `AS` word as written, for the casing check."""
    platform: str = ""
    name: ClassVar[str] = "FROM"


class Run(Instruction, frozen=True):
    command: CommandLine
    mounts: tuple[Mount, ...] = ()
    network: str = "default"
    security: str = "sandbox"
    name: ClassVar[str] = "RUN"


class Cmd(Instruction, frozen=True):
    command: CommandLine
    name: ClassVar[str] = "CMD"


class Entrypoint(Instruction, frozen=True):
    command: CommandLine
    name: ClassVar[str] = "ENTRYPOINT"


class Shell(Instruction, frozen=True):
    args: tuple[str, ...]
    name: ClassVar[str] = "SHELL"


class Label(Instruction, frozen=True):
    pairs: tuple[KeyValue, ...]
    name: ClassVar[str] = "LABEL"


class Env(Instruction, frozen=True):
    pairs: tuple[KeyValue, ...]
    name: ClassVar[str] = "ENV"


class Expose(Instruction, frozen=True):
    ports: tuple[str, ...]
    """As written; once evaluated, one `port/proto` per exposed port (ranges spread out)."""
    name: ClassVar[str] = "EXPOSE"


class Add(Instruction, frozen=True):
    sources: tuple[str, ...]
    dest: str
    inline_sources: tuple[InlineSource, ...] = ()
    chown: str = ""
    chmod: str = ""
    checksum: str = ""
    keep_git_dir: bool | None = None
    unpack: bool | None = None
    link: bool = False
    excludes: tuple[str, ...] = ()
    name: ClassVar[str] = "ADD"


class Copy(Instruction, frozen=True):
    sources: tuple[str, ...]
    dest: str
    inline_sources: tuple[InlineSource, ...] = ()
    from_: str = msgspec.field(default="", name="from")
    chown: str = ""
    chmod: str = ""
    link: bool = False
    parents: bool = False
    excludes: tuple[str, ...] = ()
    name: ClassVar[str] = "COPY"


class Volume(Instruction, frozen=True):
    paths: tuple[str, ...]
    name: ClassVar[str] = "VOLUME"


class User(Instruction, frozen=True):
    user: str
    name: ClassVar[str] = "USER"


class Workdir(Instruction, frozen=True):
    path: str
    name: ClassVar[str] = "WORKDIR"


class Arg(Instruction, frozen=True):
    args: tuple[ArgDefinition, ...]
    name: ClassVar[str] = "ARG"


class StopSignal(Instruction, frozen=True):
    signal: str
    name: ClassVar[str] = "STOPSIGNAL"


class Healthcheck(Instruction, frozen=True):
    """`test` is Docker's form: ("NONE",), ("CMD", arg, ...) or ("CMD-SHELL", command); durations in ns."""

    test: tuple[str, ...]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0
    name: ClassVar[str] = "HEALTHCHECK"


class Maintainer(Instruction, frozen=True):
    maintainer: str
    name: ClassVar[str] = "MAINTAINER"


class Onbuild(Instruction, frozen=True):
    expression: str
    """The trigger as stored in the image config (ONBUILD removed, here-documents appended)."""
    trigger: AnyInstruction
    name: ClassVar[str] = "ONBUILD"


AnyInstruction = (
    From
    | Run
    | Cmd
    | Entrypoint
    | Shell
    | Label
    | Env
    | Expose
    | Add
    | Copy
    | Volume
    | User
    | Workdir
    | Arg
    | StopSignal
    | Healthcheck
    | Maintainer
    | Onbuild
)


class Stage(msgspec.Struct, frozen=True, kw_only=True):
    """A FROM and the instructions up to the next FROM."""

    index: int
    header: From
    instructions: tuple[AnyInstruction, ...]

    @property
    def name(self) -> str:
        return self.header.stage_name


class Directives(msgspec.Struct, frozen=True, kw_only=True):
    """The parser directives at the top of the file (`# syntax=`, `# escape=`, `# check=`), as written."""

    syntax: str = ""
    escape: str = "\\"
    check: str = ""
    check_line: int = 0


class Dockerfile(msgspec.Struct, frozen=True, kw_only=True):
    filename: str
    directives: Directives
    meta_args: tuple[Arg, ...]
    """The ARGs before the first FROM: usable in FROM lines, and inside a stage once redeclared."""
    stages: tuple[Stage, ...]

    @property
    def escape(self) -> str:
        return self.directives.escape

    def instructions(self) -> list[AnyInstruction]:
        """Every instruction in file order, FROMs included."""
        out: list[AnyInstruction] = list(self.meta_args)
        for stage in self.stages:
            out.append(stage.header)
            out.extend(stage.instructions)
        return out
