"""The executor of Go's text/template: walks a parsed template over data with Go's semantics and errors.

It follows Go's exec.go step for step, including which node it is "at" when something fails, so an
execution error reads as Go's does: `template: :1:2: executing "" at <.Foo>: map has no entry ...`.
Dicts are looked up by key (a missing key is MISSING, printed `<no value>`); other objects by
attribute (a missing one is an error), with methods called with the action's arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import MethodType
from typing import Any, NoReturn

from hydock.cli.gotemplate_fmt import MISSING, format_value, go_quote, go_type, sorted_keys
from hydock.cli.gotemplate_funcs import ANY, INT, STRING, STRINGS, VALUE, FuncError, GoFunc, is_true
from hydock.cli.gotemplate_nodes import (
    Action,
    Bool,
    Branch,
    Break,
    Chain,
    Command,
    Continue,
    Dot,
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
    error_location,
)

_NO_FINAL: Any = object()  # no value piped in from a previous command (Go's missingVal)
_ABSENT: Any = object()
_MAX_TEMPLATE_DEPTH = 100  # Python's stack, not Go's 100000, bounds {{template}} recursion
_BASIC = (str, int, float, complex, list, tuple)  # Go kinds without fields or methods
_encoded_names: dict[type, dict[str, str]] = {}


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _attribute(obj: Any, name: str) -> Any:
    """obj's attribute for a template field: msgspec Structs answer to their encoded (renamed) names."""
    cls = type(obj)
    fields = getattr(cls, "__struct_fields__", None)
    if fields is not None:
        names = _encoded_names.get(cls)
        if names is None:
            encoded = getattr(cls, "__struct_encode_fields__", fields)
            names = _encoded_names[cls] = dict(zip(encoded, fields, strict=True))
        name = names.get(name, name)
    return getattr(obj, name, _ABSENT)


def _is_hex_int(text: str) -> bool:
    return len(text) > 2 and text[0] == "0" and text[1] in "xX" and not any(char in text for char in "pP")


class Executor:
    def __init__(self, text: str, templates: dict[str, ListNode], functions: dict[str, GoFunc], out: list[str]) -> None:
        self.text = text
        self.templates = templates
        self.functions = functions
        self.out = out
        self.name = ""
        self.node: Node | None = None
        self.vars: list[list[Any]] = []
        self.depth = 0

    def run(self, data: Any) -> None:
        dot = MISSING if data is None else data  # Go's reflect.ValueOf(nil) is the invalid value
        self.vars = [["$", dot]]
        self.walk(dot, self.templates[""])

    def errorf(self, message: str) -> NoReturn:
        if self.node is None:
            raise TemplateError(f"template: {self.name}: {message}")
        location = error_location(self.text, self.node.pos)
        raise TemplateError(f"template: {location}: executing {go_quote(self.name)} at <{self.node}>: {message}")

    # --- variables ---

    def var_value(self, name: str) -> Any:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        self.errorf(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = value
                return
        self.errorf(f"undefined variable: {name}")

    # --- walking ---

    def walk(self, dot: Any, node: Node) -> None:
        self.node = node
        if isinstance(node, Text):
            self.out.append(node.text)
        elif isinstance(node, Action):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.node = node
                self.out.append("<no value>" if value is MISSING else format_value(value))
        elif isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, Branch) and node.kind == "range":
            self.walk_range(dot, node)
        elif isinstance(node, Branch):
            mark = len(self.vars)
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value):
                self.walk(value if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
            del self.vars[mark:]
        elif isinstance(node, TemplateCall):
            self.walk_template(dot, node)
        elif isinstance(node, Break):
            raise _Break
        elif isinstance(node, Continue):
            raise _Continue

    def _iterate(self, value: Any, declared: int) -> Any:
        """(key, element) pairs a range visits: lists in order, maps by sorted key, 0..n-1 for an int n."""
        if isinstance(value, list | tuple):
            return enumerate(value)
        if isinstance(value, dict):
            return ((key, value[key]) for key in sorted_keys(value))
        if isinstance(value, int) and not isinstance(value, bool):
            if declared > 1:
                self.errorf(f"can't use {value} to iterate over more than one variable")
            return ((MISSING, number) for number in range(value))
        if value is None or value is MISSING:
            return ()
        self.errorf(f"range can't iterate over {format_value(value)}")

    def walk_range(self, dot: Any, node: Branch) -> None:
        self.node = node
        outer_mark = len(self.vars)
        pipe = node.pipe
        value = self.eval_pipeline(dot, pipe)
        mark = len(self.vars)
        iterated = False
        try:
            for key, element in self._iterate(value, len(pipe.decl)):
                iterated = True
                if pipe.decl:
                    if pipe.is_assign:
                        self.set_var(pipe.decl[0].idents[0], key if len(pipe.decl) > 1 else element)
                    else:
                        self.vars[-1][1] = element
                if len(pipe.decl) > 1:
                    if pipe.is_assign:
                        self.set_var(pipe.decl[1].idents[0], element)
                    else:
                        self.vars[-2][1] = key
                try:
                    self.walk(element, node.body)
                except _Continue:
                    pass
                del self.vars[mark:]
        except _Break:
            pass
        if not iterated and node.else_body is not None:
            self.walk(dot, node.else_body)
        del self.vars[outer_mark:]

    def walk_template(self, dot: Any, node: TemplateCall) -> None:
        self.node = node
        body = self.templates.get(node.name)
        if body is None:
            self.errorf(f"template {go_quote(node.name)} not defined")
        if self.depth >= _MAX_TEMPLATE_DEPTH:
            self.errorf(f"exceeded maximum template depth ({_MAX_TEMPLATE_DEPTH})")
        value = self.eval_pipeline(dot, node.pipe)
        saved = self.name, self.vars, self.depth
        self.name, self.vars, self.depth = node.name, [["$", value]], self.depth + 1
        try:
            self.walk(value, body)
        finally:
            self.name, self.vars, self.depth = saved

    # --- evaluation ---

    def eval_pipeline(self, dot: Any, pipe: Pipe | None) -> Any:
        if pipe is None:
            return MISSING
        self.node = pipe
        value = _NO_FINAL
        for command in pipe.cmds:
            value = self.eval_command(dot, command, value)
        for variable in pipe.decl:
            if pipe.is_assign:
                self.set_var(variable.idents[0], value)
            else:
                self.vars.append([variable.idents[0], value])
        return value

    def not_a_function(self, args: list[Node] | None, final: Any) -> None:
        if args is not None and (len(args) > 1 or final is not _NO_FINAL):
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, command: Command, final: Any) -> Any:
        first = command.args[0]
        if isinstance(first, Field):
            return self.eval_field_node(dot, first, command.args, final)
        if isinstance(first, Chain):
            return self.eval_chain_node(dot, first, command.args, final)
        if isinstance(first, Identifier):
            return self.eval_function(dot, first, command, command.args, final)
        if isinstance(first, Pipe):
            self.not_a_function(command.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, Variable):
            return self.eval_variable_node(dot, first, command.args, final)
        self.node = first
        self.not_a_function(command.args, final)
        if isinstance(first, Nil):
            self.errorf("nil is not a command")
        return self.constant(dot, first)

    def constant(self, dot: Any, node: Node) -> Any:
        """The value of a literal or dot, as an argument of type interface{} receives it."""
        if isinstance(node, Dot):
            return dot
        if isinstance(node, Bool):
            return node.value
        if isinstance(node, Number):
            return self.ideal_constant(node)
        if isinstance(node, String):
            return node.text
        self.errorf(f"can't handle assignment of {node} to empty interface argument")

    def ideal_constant(self, number: Number) -> Any:
        """A number in a context without a type: its syntax decides, as for Go's untyped constants."""
        self.node = number
        if number.is_complex:
            return number.complex_value
        text = number.text
        looks_float = not _is_hex_int(text) and text[:1] != "'" and any(char in text for char in ".eEpP")
        if number.is_float and (looks_float or not (number.is_int or number.is_uint)):
            return number.float_value
        if not number.is_int:
            self.errorf(f"{text} overflows int")
        return number.int_value

    def eval_field_node(self, dot: Any, field: Field, args: list[Node] | None, final: Any) -> Any:
        self.node = field
        return self.eval_field_chain(dot, dot, field, field.idents, args, final)

    def eval_chain_node(self, dot: Any, chain: Chain, args: list[Node] | None, final: Any) -> Any:
        self.node = chain
        if isinstance(chain.node, Nil):
            self.errorf(f"indirection through explicit nil in {chain}")
        value = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, value, chain, chain.fields, args, final)

    def eval_variable_node(self, dot: Any, variable: Variable, args: list[Node] | None, final: Any) -> Any:
        self.node = variable
        value = self.var_value(variable.idents[0])
        if len(variable.idents) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, variable, variable.idents[1:], args, final)

    def eval_field_chain(
        self, dot: Any, receiver: Any, node: Node, idents: list[str], args: list[Node] | None, final: Any
    ) -> Any:
        for name in idents[:-1]:
            receiver = self.eval_field(dot, name, node, None, _NO_FINAL, receiver)
        return self.eval_field(dot, idents[-1], node, args, final, receiver)

    def eval_field(self, dot: Any, name: str, node: Node, args: list[Node] | None, final: Any, receiver: Any) -> Any:
        if receiver is MISSING:
            return MISSING
        if receiver is None:
            self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        has_args = (args is not None and len(args) > 1) or final is not _NO_FINAL
        if isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            return receiver.get(name, MISSING)
        if not isinstance(receiver, _BASIC) and not name.startswith("_"):
            value = _attribute(receiver, name)
            if isinstance(value, MethodType):
                return self.eval_call(dot, GoFunc(value, (), ANY), node, name, args, final)
            if value is not _ABSENT:
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return value
        self.errorf(f"can't evaluate field {name} in type {go_type(receiver)}")

    def eval_function(self, dot: Any, identifier: Identifier, node: Node, args: list[Node] | None, final: Any) -> Any:
        self.node = identifier
        return self.eval_call(dot, self.functions[identifier.name], node, identifier.name, args, final)

    def eval_call(self, dot: Any, function: GoFunc, node: Node, name: str, args: list[Node] | None, final: Any) -> Any:
        """Call with the command's arguments (args[0] is the function itself) and the piped-in value."""
        operands = args[1:] if args is not None else []
        count = len(operands) + (final is not _NO_FINAL)
        fixed = len(function.params)
        if function.variadic is not None and count < fixed:
            self.errorf(f"wrong number of args for {name}: want at least {fixed} got {len(operands)}")
        if function.variadic is None and count != fixed:
            self.errorf(f"wrong number of args for {name}: want {fixed} got {count}")

        def param(index: int) -> str:
            return function.params[index] if index < fixed else str(function.variadic)

        thunks: list[Callable[[], Any]] = [
            partial(self.eval_arg, dot, param(index), operand) for index, operand in enumerate(operands)
        ]
        if final is not _NO_FINAL:
            thunks.append(partial(self.validate_type, final, param(count - 1)))
        try:
            return function.call(*thunks) if function.lazy else function.call(*[thunk() for thunk in thunks])
        except FuncError as exc:
            self.node = node
            self.errorf(f"error calling {name}: {exc}")

    def eval_arg(self, dot: Any, typ: str | None, node: Node) -> Any:
        """An argument's value for a parameter of Go type `typ` (None: untyped, a chain's head)."""
        self.node = node
        if isinstance(node, Dot):
            return self.validate_type(dot, typ)
        if isinstance(node, Nil):
            if typ in (ANY, VALUE, STRINGS):
                return {ANY: None, VALUE: MISSING, STRINGS: []}[typ]
            self.errorf(f"cannot assign nil to {typ}")
        if isinstance(node, Field):
            return self.validate_type(self.eval_field_node(dot, node, [node], _NO_FINAL), typ)
        if isinstance(node, Variable):
            return self.validate_type(self.eval_variable_node(dot, node, None, _NO_FINAL), typ)
        if isinstance(node, Pipe):
            return self.validate_type(self.eval_pipeline(dot, node), typ)
        if isinstance(node, Identifier):
            return self.validate_type(self.eval_function(dot, node, node, None, _NO_FINAL), typ)
        if isinstance(node, Chain):
            return self.validate_type(self.eval_chain_node(dot, node, None, _NO_FINAL), typ)
        if typ == INT:
            if isinstance(node, Number) and node.is_int:
                return node.int_value
            self.errorf(f"expected integer; found {node}")
        if typ == STRING:
            if isinstance(node, String):
                return node.text
            self.errorf(f"expected string; found {node}")
        if typ == STRINGS:
            self.errorf(f"can't handle {node} for arg of type {typ}")
        return self.constant(dot, node)

    def validate_type(self, value: Any, typ: str | None) -> Any:
        """Go's check that a value fits a parameter; a missing value becomes the type's nil."""
        if typ == STRINGS and (value is None or value is MISSING):
            return []
        if value is MISSING:
            if typ == ANY:
                return None
            if typ is not None and typ != VALUE:
                self.errorf(f"invalid value; expected {typ}")
            return MISSING
        if typ == STRING:
            fits = isinstance(value, str)
        elif typ == INT:
            fits = isinstance(value, int) and not isinstance(value, bool)
        elif typ == STRINGS:
            fits = isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
        else:
            return value
        if not fits:
            self.errorf(f"wrong type for value; expected {typ}; got {go_type(value)}")
        return list(value) if typ == STRINGS else value
