"""Go's text/tabwriter as Docker's `table` output configures it: minwidth 10, padding 3, padded with spaces.

Cells end with a tab; tab-terminated cells on consecutive lines form a column as wide as its widest
cell plus the padding (at least the minimum width). The text after a line's last tab belongs to no
column and is never padded. Widths count terminal cells, as Docker's fork of tabwriter does (go-runewidth).
"""

from __future__ import annotations

MIN_WIDTH = 10
PADDING = 3


def display_width(text: str) -> int:
    """Terminal cells `text` takes: East Asian wide characters two, combining marks and controls none."""
    if text.isascii() and text.isprintable():
        return len(text)
    import unicodedata

    width = 0
    for char in text:
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0 or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


class _Aligner:
    def __init__(self, lines: list[list[str]], min_width: int) -> None:
        self.lines = lines
        self.min_width = min_width
        self.widths: list[int] = []
        self.out: list[str] = []

    def write_lines(self, first: int, end: int) -> None:
        for number in range(first, end):
            for column, cell in enumerate(self.lines[number]):
                self.out.append(cell)
                if column < len(self.widths):
                    self.out.append(" " * (self.widths[column] - display_width(cell)))
            if number + 1 < len(self.lines):
                self.out.append("\n")

    def format(self, first: int, end: int) -> None:
        """Lay out lines [first, end), whose columns left of len(self.widths) are already sized."""
        column = len(self.widths)
        line = first
        while line < end:
            if column >= len(self.lines[line]) - 1:
                line += 1
                continue
            self.write_lines(first, line)
            first = line
            width = self.min_width
            while line < end and column < len(self.lines[line]) - 1:
                width = max(width, display_width(self.lines[line][column]) + PADDING)
                line += 1
            self.widths.append(width)
            self.format(first, line)
            self.widths.pop()
            first = line
        self.write_lines(first, end)


def align_columns(text: str, min_width: int = MIN_WIDTH) -> str:
    """`text` with its tab-separated columns aligned, as Docker's tabwriter prints a table."""
    lines = [line.split("\t") for line in text.split("\n")]
    aligner = _Aligner(lines, min_width)
    aligner.format(0, len(lines))
    return "".join(aligner.out)
