"""The parse tree of a Go template, and TemplateError, whose messages point into the template as Go's do.

Each node keeps its position (an index into the template text) and prints as Go's parse nodes print,
since execution errors quote the node they happened at: `executing "" at <.State.Foo>: ...`.
"""

from __future__ import annotations

from hydock.cli.gotemplate_fmt import go_quote
from hydock.errors import InvalidArgument


class TemplateError(InvalidArgument):
    """A --format template that does not parse or cannot be executed; the message is Go's."""


def error_location(text: str, pos: int) -> str:
    """Go's ErrorContext location, ":line:column", the column counted in UTF-8 bytes from 0."""
    before = text[:pos]
    line_start = before.rfind("\n") + 1
    return f":{before.count(chr(10)) + 1}:{len(before[line_start:].encode())}"


class Node:
    __slots__ = ("pos",)

    def __init__(self, pos: int) -> None:
        self.pos = pos


class Text(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        super().__init__(pos)
        self.text = text

    def __str__(self) -> str:
        return self.text


class Variable(Node):
    """$x, or $x.Field.Sub: `idents` holds the name then the fields."""

    __slots__ = ("idents",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.idents = name.split(".")

    def __str__(self) -> str:
        return ".".join(self.idents)


class Command(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.args: list[Node] = []

    def __str__(self) -> str:
        return " ".join(f"({arg})" if isinstance(arg, Pipe) else str(arg) for arg in self.args)


class Pipe(Node):
    """Commands joined by `|`, with the variables the pipeline declares (`$x :=`) or assigns (`$x =`)."""

    __slots__ = ("line", "decl", "is_assign", "cmds")

    def __init__(self, pos: int, line: int) -> None:
        super().__init__(pos)
        self.line = line
        self.decl: list[Variable] = []
        self.is_assign = False
        self.cmds: list[Command] = []

    def __str__(self) -> str:
        declared = ", ".join(map(str, self.decl)) + " := " if self.decl else ""
        return declared + " | ".join(map(str, self.cmds))


class Action(Node):
    __slots__ = ("line", "pipe")

    def __init__(self, pos: int, line: int, pipe: Pipe) -> None:
        super().__init__(pos)
        self.line = line
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class Identifier(Node):
    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.name = name

    def __str__(self) -> str:
        return self.name


class Dot(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "."


class Nil(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class Field(Node):
    """.Field.Sub: `idents` holds the names without their dots."""

    __slots__ = ("idents",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.idents = name[1:].split(".")

    def __str__(self) -> str:
        return "".join("." + ident for ident in self.idents)


class Chain(Node):
    """A term followed by fields: (pipeline).Field, or a function's result's fields."""

    __slots__ = ("node", "fields")

    def __init__(self, pos: int, node: Node) -> None:
        super().__init__(pos)
        self.node = node
        self.fields: list[str] = []

    def __str__(self) -> str:
        head = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return head + "".join("." + field for field in self.fields)


class Bool(Node):
    __slots__ = ("value",)

    def __init__(self, pos: int, value: bool) -> None:
        super().__init__(pos)
        self.value = value

    def __str__(self) -> str:
        return "true" if self.value else "false"


class Number(Node):
    """A numeric constant with every Go type its text can stand for, as Go's ideal constants."""

    __slots__ = ("text", "is_int", "is_uint", "is_float", "is_complex", "int_value", "float_value", "complex_value")

    def __init__(self, pos: int, text: str) -> None:
        super().__init__(pos)
        self.text = text
        self.is_int = self.is_uint = self.is_float = self.is_complex = False
        self.int_value = 0
        self.float_value = 0.0
        self.complex_value = 0j

    def __str__(self) -> str:
        return self.text


class String(Node):
    __slots__ = ("quoted", "text")

    def __init__(self, pos: int, quoted: str, text: str) -> None:
        super().__init__(pos)
        self.quoted = quoted
        self.text = text

    def __str__(self) -> str:
        return self.quoted


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.nodes: list[Node] = []

    def __str__(self) -> str:
        return "".join(map(str, self.nodes))


class Branch(Node):
    """if, range or with (`kind`), with its body and optional else branch."""

    __slots__ = ("kind", "line", "pipe", "body", "else_body")

    def __init__(self, kind: str, pipe: Pipe, body: ListNode, else_body: ListNode | None) -> None:
        super().__init__(pipe.pos)
        self.kind = kind
        self.line = pipe.line
        self.pipe = pipe
        self.body = body
        self.else_body = else_body

    def __str__(self) -> str:
        otherwise = "{{else}}" + str(self.else_body) if self.else_body is not None else ""
        return f"{{{{{self.kind} {self.pipe}}}}}{self.body}{otherwise}{{{{end}}}}"


class Break(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{break}}"


class Continue(Node):
    __slots__ = ()

    def __str__(self) -> str:
        return "{{continue}}"


class TemplateCall(Node):
    """{{template "name" pipeline}}: runs a {{define}}d template with the pipeline's value as dot."""

    __slots__ = ("name", "pipe")

    def __init__(self, pos: int, name: str, pipe: Pipe | None) -> None:
        super().__init__(pos)
        self.name = name
        self.pipe = pipe

    def __str__(self) -> str:
        tail = f" {self.pipe}" if self.pipe is not None else ""
        return f"{{{{template {go_quote(self.name)}{tail}}}}}"


class End(Node):
    """{{end}}, which closes a branch; never left in a finished tree."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{end}}"


class Else(Node):
    """{{else}}, which splits a branch; never left in a finished tree."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{{else}}"
