"""The parser of Go's text/template: tokens into a tree, with Go's checks and error messages.

It follows Go's recursive descent (text/template/parse) step for step, so that a template Go
rejects is rejected here with the same `template: :LINE: ...` message.
"""

from __future__ import annotations

from collections.abc import Container
from typing import NoReturn

from hydock.cli import gotemplate_lex as lex
from hydock.cli.gotemplate_fmt import go_quote
from hydock.cli.gotemplate_literals import new_number, unquote
from hydock.cli.gotemplate_nodes import (
    Action,
    Bool,
    Branch,
    Break,
    Chain,
    Command,
    Continue,
    Dot,
    Else,
    End,
    Field,
    Identifier,
    ListNode,
    Nil,
    Node,
    Number,
    Pipe,
    String,
    TemplateCall,
    TemplateError,
    Text,
    Variable,
)

_OPERAND_STARTS = frozenset(
    (lex.BOOL, lex.CHAR_CONSTANT, lex.COMPLEX, ".", lex.FIELD, lex.IDENTIFIER, lex.NUMBER, "nil")
    + (lex.RAW_STRING, lex.STRING, lex.VARIABLE, lex.LEFT_PAREN)
)
_MAX_PAREN_DEPTH = 100  # Python's stack, not Go's 10000, bounds the nesting.


def _is_empty(tree: ListNode | None) -> bool:
    return tree is None or all(isinstance(node, Text) and not node.text.strip() for node in tree.nodes)


class Parser:
    def __init__(self, text: str, functions: Container[str]) -> None:
        self.tokens = lex.lex(text)
        self.functions = functions
        self.index = 0
        self.highest = 0  # the last token lexed, whose line Go's parse errors name
        self.vars = ["$"]
        self.range_depth = 0
        self.paren_depth = 0
        self.action_line = 0
        self.templates: dict[str, ListNode] = {}

    # --- token stream ---------------------------------------------------------------------

    def next(self) -> lex.Token:
        token = self.tokens[min(self.index, len(self.tokens) - 1)]
        self.highest = max(self.highest, self.index)
        self.index += 1
        return token

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> lex.Token:
        token = self.next()
        self.backup()
        return token

    def next_non_space(self) -> lex.Token:
        token = self.next()
        while token.typ == lex.SPACE:
            token = self.next()
        return token

    def peek_non_space(self) -> lex.Token:
        token = self.next_non_space()
        self.backup()
        return token

    def errorf(self, message: str) -> NoReturn:
        line = self.tokens[min(self.highest, len(self.tokens) - 1)].line
        raise TemplateError(f"template: :{line}: {message}")

    def expect(self, typ: str, context: str) -> lex.Token:
        token = self.next_non_space()
        if token.typ != typ:
            self.unexpected(token, context)
        return token

    def unexpected(self, token: lex.Token, context: str) -> NoReturn:
        if token.typ == lex.ERROR:
            extra = ""
            if self.action_line and self.action_line != token.line:
                extra = f" in action started at :{self.action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(f"{token}{extra}")
        self.errorf(f"unexpected {token} in {context}")

    # --- structure ------------------------------------------------------------------------

    def parse(self) -> dict[str, ListNode]:
        """The templates the text defines, the main one under the name ""."""
        root = ListNode(self.peek().pos)
        while self.peek().typ != lex.EOF:
            if self.peek().typ == lex.LEFT_DELIM:
                start = self.index
                self.next()
                if self.next_non_space().typ == "define":
                    self.parse_definition()
                    continue
                self.index = start
            node = self.text_or_action()
            if isinstance(node, End | Else):
                self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        self.add("", root)
        return self.templates

    def add(self, name: str, tree: ListNode) -> None:
        if not _is_empty(self.templates.get(name)) and not _is_empty(tree):
            self.errorf(f"template: multiple definition of template {go_quote(name)}")
        if _is_empty(self.templates.get(name)):
            self.templates[name] = tree

    def in_new_tree(self) -> tuple[list[str], int]:
        saved = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        return saved

    def parse_definition(self) -> None:
        token = self.next_non_space()
        if token.typ not in (lex.STRING, lex.RAW_STRING):
            self.unexpected(token, "define clause")
        name = self.unquote(token)
        self.expect(lex.RIGHT_DELIM, "define clause")
        saved = self.in_new_tree()
        body, end = self.item_list()
        if not isinstance(end, End):
            self.errorf(f"unexpected {end} in define clause")
        self.vars, self.range_depth = saved
        self.add(name, body)

    def item_list(self) -> tuple[ListNode, Node]:
        """Nodes up to an {{end}} or {{else}}, returned separately."""
        body = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != lex.EOF:
            node = self.text_or_action()
            if isinstance(node, End | Else):
                return body, node
            body.nodes.append(node)
        self.errorf("unexpected EOF")

    def text_or_action(self) -> Node:
        token = self.next_non_space()
        if token.typ == lex.TEXT:
            return Text(token.pos, token.val)
        if token.typ != lex.LEFT_DELIM:
            self.unexpected(token, "input")
        self.action_line = token.line
        try:
            return self.action()
        finally:
            self.action_line = 0

    def action(self) -> Node:
        token = self.next_non_space()
        if token.typ in ("if", "range", "with"):
            return self.control(token.typ)
        if token.typ in ("break", "continue"):
            return self.loop_control(token)
        if token.typ == "else":
            return self.else_control()
        if token.typ == "end":
            return End(self.expect(lex.RIGHT_DELIM, "end").pos)
        if token.typ in ("template", "block"):
            return self.template_control(token.typ)
        self.backup()
        token = self.peek()
        return Action(token.pos, token.line, self.pipeline("command", lex.RIGHT_DELIM))

    def loop_control(self, keyword: lex.Token) -> Node:
        token = self.next_non_space()
        if token.typ != lex.RIGHT_DELIM:
            self.unexpected(token, f"{{{{{keyword.val}}}}}")
        if not self.range_depth:
            self.errorf(f"{{{{{keyword.val}}}}} outside {{{{range}}}}")
        return Break(keyword.pos) if keyword.typ == "break" else Continue(keyword.pos)

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in ("if", "with"):
            # {{else if ...}} reads as {{else}}{{if ...}}; the "if" is left for control().
            return Else(peek.pos)
        return Else(self.expect(lex.RIGHT_DELIM, "else").pos)

    def control(self, kind: str) -> Branch:
        """{{if|range|with pipeline}} body [{{else}} body] {{end}}; `else if`/`else with` chain."""
        nvars = len(self.vars)
        try:
            pipe = self.pipeline(kind, lex.RIGHT_DELIM)
            self.range_depth += kind == "range"
            body, next_node = self.item_list()
            self.range_depth -= kind == "range"
            else_body = None
            if isinstance(next_node, Else):
                if kind in ("if", "with") and self.peek().typ == kind:
                    self.next()
                    else_body = ListNode(next_node.pos)
                    else_body.nodes.append(self.control(kind))
                else:
                    else_body, next_node = self.item_list()
                    if not isinstance(next_node, End):
                        self.errorf(f"expected end; found {next_node}")
            return Branch(kind, pipe, body, else_body)
        finally:
            del self.vars[nvars:]

    def template_control(self, keyword: str) -> Node:
        context = f"{keyword} clause"
        token = self.next_non_space()
        if token.typ not in (lex.STRING, lex.RAW_STRING):
            self.unexpected(token, context)
        name = self.unquote(token)
        pipe = None
        if keyword == "block":
            pipe = self.pipeline(context, lex.RIGHT_DELIM)
            saved = self.in_new_tree()
            body, end = self.item_list()
            if not isinstance(end, End):
                self.errorf(f"unexpected {end} in {context}")
            self.vars, self.range_depth = saved
            self.add(name, body)
        elif self.next_non_space().typ != lex.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, lex.RIGHT_DELIM)
        return TemplateCall(token.pos, name, pipe)

    # --- pipelines ------------------------------------------------------------------------

    def pipeline(self, context: str, end: str) -> Pipe:
        token = self.peek_non_space()
        pipe = Pipe(token.pos, token.line)
        self.declarations(pipe, context)
        while True:
            token = self.next_non_space()
            if token.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.typ not in _OPERAND_STARTS:
                self.unexpected(token, context)
            self.backup()
            pipe.cmds.append(self.command())

    def declarations(self, pipe: Pipe, context: str) -> None:
        """`$x :=`, `$x =` or, in range, `$i, $v :=` at the head of a pipeline."""
        while self.peek_non_space().typ == lex.VARIABLE:
            start = self.index
            variable = self.next_non_space()
            following = self.peek_non_space()
            if following.typ in (lex.ASSIGN, lex.DECLARE):
                pipe.is_assign = following.typ == lex.ASSIGN
                self.next_non_space()
            elif following.typ == lex.CHAR and following.val == ",":
                self.next_non_space()
                if context != "range" or pipe.decl:
                    self.errorf(f"too many declarations in {context}")
                if self.peek_non_space().typ not in (lex.VARIABLE, lex.RIGHT_DELIM, lex.RIGHT_PAREN):
                    self.errorf("range can only initialize variables")
            else:
                self.index = start
                return
            pipe.decl.append(Variable(variable.pos, variable.val))
            self.vars.append(variable.val)
            if following.typ != lex.CHAR:
                return

    def check_pipeline(self, pipe: Pipe, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for stage, command in enumerate(pipe.cmds[1:], start=2):
            if isinstance(command.args[0], Bool | Dot | Nil | Number | String):
                self.errorf(f"non executable command in pipeline stage {stage}")

    def command(self) -> Command:
        command = Command(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                command.args.append(operand)
            token = self.next()
            if token.typ == lex.SPACE:
                continue
            if token.typ in (lex.RIGHT_DELIM, lex.RIGHT_PAREN):
                self.backup()
            elif token.typ != lex.PIPE:
                self.unexpected(token, "operand")
            break
        if not command.args:
            self.errorf("empty command")
        return command

    def operand(self) -> Node | None:
        node = self.term()
        if node is None or self.peek().typ != lex.FIELD:
            return node
        chain = Chain(self.peek().pos, node)
        while self.peek().typ == lex.FIELD:
            chain.fields.append(self.next().val[1:])
        if isinstance(node, Field):
            return Field(chain.pos, str(chain))
        if isinstance(node, Variable):
            return Variable(chain.pos, str(chain))
        if isinstance(node, Bool | String | Number | Nil | Dot):
            self.errorf(f"unexpected . after term {go_quote(str(node))}")
        return chain

    def term(self) -> Node | None:
        token = self.next_non_space()
        typ = token.typ
        if typ == lex.IDENTIFIER:
            if token.val not in self.functions:
                self.errorf(f"function {go_quote(token.val)} not defined")
            return Identifier(token.pos, token.val)
        if typ == ".":
            return Dot(token.pos)
        if typ == "nil":
            return Nil(token.pos)
        if typ == lex.VARIABLE:
            return self.use_var(token)
        if typ == lex.FIELD:
            return Field(token.pos, token.val)
        if typ == lex.BOOL:
            return Bool(token.pos, token.val == "true")
        if typ in (lex.CHAR_CONSTANT, lex.COMPLEX, lex.NUMBER):
            try:
                return new_number(token.pos, token.val, typ)
            except ValueError as exc:
                message = str(exc)
            self.errorf(message)
        if typ == lex.LEFT_PAREN:
            if self.paren_depth >= _MAX_PAREN_DEPTH:
                self.errorf("max expression depth exceeded")
            self.paren_depth += 1
            try:
                return self.pipeline("parenthesized pipeline", lex.RIGHT_PAREN)
            finally:
                self.paren_depth -= 1
        if typ in (lex.STRING, lex.RAW_STRING):
            return String(token.pos, token.val, self.unquote(token))
        self.backup()
        return None

    def unquote(self, token: lex.Token) -> str:
        try:
            return unquote(token.val)
        except ValueError as exc:
            message = str(exc)
        self.errorf(message)

    def use_var(self, token: lex.Token) -> Variable:
        variable = Variable(token.pos, token.val)
        if variable.idents[0] not in self.vars:
            self.errorf(f"undefined variable {go_quote(variable.idents[0])}")
        return variable


def parse_templates(text: str, functions: Container[str]) -> dict[str, ListNode]:
    """Parse a template; TemplateError names the line for syntax errors, as Go's parser does."""
    return Parser(text, functions).parse()
