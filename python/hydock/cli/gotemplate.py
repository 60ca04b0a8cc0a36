"""Docker's --format: Go's text/template with docker/cli's functions, and the `table`/`json` directives.

    parse(text).render(data)            one value, as `docker inspect -f` renders it
    format_objects(fmt, rows, headers=) a list, as `docker ps/images --format` prints it

Data is what the Go side would hold: dicts for JSON objects (`.State.Running` looks up keys; a
missing key prints `<no value>`), or objects whose attributes and methods are the fields
(msgspec Structs also answer to their encoded names; a missing attribute is an error).
Messages of TemplateError are Go's: `template: :1: function "foo" not defined`.

Known differences from Go, where Python values cannot say what Go types would:
- None prints `<nil>` (a nil pointer), also where Go's nil slice would print `[]` or nil map `map[]`;
  ranging over it or taking its `len` treats it as empty.
- A dict prints as a map (`map[k:v]`, sorted), never as a struct (`{v1 v2}`); `json` keeps dict order.
- `index` on a missing key gives "" for a dict of strings (as for Docker's Labels), else nil.
- Not supported: printf's explicit argument indexes (%[1]d), %x of floats, and the `call` builtin.
"""

from __future__ import annotations

from typing import Any

from hydock.cli.gotemplate_exec import Executor
from hydock.cli.gotemplate_funcs import FUNCTIONS, HEADER_FUNCTIONS, GoFunc
from hydock.cli.gotemplate_nodes import ListNode, TemplateError
from hydock.cli.gotemplate_parse import parse_templates
from hydock.cli.gotemplate_tabwriter import align_columns

__all__ = ["Template", "TemplateError", "format_objects", "parse"]


class Template:
    """A parsed template; render it against as many values as needed."""

    __slots__ = ("text", "_templates")

    def __init__(self, text: str, templates: dict[str, ListNode]) -> None:
        self.text = text
        self._templates = templates

    def render(self, data: Any) -> str:
        """The template executed over `data`; TemplateError (Go's message) if execution fails."""
        out: list[str] = []
        Executor(self.text, self._templates, FUNCTIONS, out).run(data)
        return "".join(out)

    def _render_with(self, data: Any, functions: dict[str, GoFunc]) -> str:
        """Like render, but keeping what was written before an error, as Docker does for table headers."""
        out: list[str] = []
        try:
            Executor(self.text, self._templates, functions, out).run(data)
        except TemplateError:
            pass
        return "".join(out)


def parse(text: str) -> Template:
    """Parse a Go template with Docker's functions; TemplateError (naming the line) if it is malformed."""
    return Template(text, parse_templates(text, FUNCTIONS))


def format_objects(fmt: str, objects: list[Any], *, headers: dict[str, str] | None = None) -> str:
    """Render each object on its own line, as `docker ps --format FMT` prints them.

    `table ROW` aligns tab-separated columns under a header line: ROW rendered over `headers`
    (field name to column title, e.g. {"ID": "CONTAINER ID"}) with Docker's header functions,
    which leave titles unchanged; without `headers` there is no header line. `json` prints each
    object as JSON. A bare `table` (or an empty format) means the command's default table: the
    caller substitutes it before calling. Like Docker, the literal two characters `\\t` and `\\n`
    in FMT stand for a tab and a newline. Each line ends with a newline.
    """
    table = fmt.startswith("table")
    body = fmt[len("table") :] if table else "{{json .}}" if fmt == "json" else fmt
    body = body.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    try:
        template = parse(body)
        rows = "".join(template.render(obj) + "\n" for obj in objects)
    except TemplateError as exc:
        raise TemplateError(f"template parsing error: {exc}") from None
    if not table:
        return rows
    header = template._render_with(headers, HEADER_FUNCTIONS) + "\n" if headers is not None else ""
    return align_columns(header + rows)
