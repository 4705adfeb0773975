"""What the terminal views share: the terminal's width and colour, and tables that fit it.

A Terraform address or attribute path in a narrow column is folded only where a reader
would break it: after `.`, `_`, `-`, `/`, `:`, `,` or a space, or before `[`. A piece
with no such place that is still wider than its column keeps its head and tail around an
ellipsis (`stdeb…ort01`), so no line ever holds half a word of an address. Values and
prose fold at the same places; only a piece wider than the whole column is cut.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from provisioner.model import clean_text

ELLIPSIS = "…"
DEFAULT_WIDTH = 80
# The narrowest a value column asks to be (values fold anywhere; identifiers do not).
VALUE_MIN = 8
# No column is squeezed below this, however narrow the terminal.
MIN_COLUMN = 4
# A fold may go after one of these characters, or before `[`.
BREAK_AFTER = frozenset("._-/:, ")


@dataclass(frozen=True)
class Terminal:
    """Where a terminal view is drawn: its width, and whether it gets styles and colour.

    `styled` is a terminal (or FORCE_COLOR); `no_color` is NO_COLOR: bold and dim stay,
    colours go. The CLI reads both from the real stream through Rich, which honours the
    variables itself; a file gets neither.
    """

    width: int = DEFAULT_WIDTH
    styled: bool = False
    no_color: bool = False

    def console(self, out: io.StringIO) -> Console:
        """A Rich console drawing into `out` as this terminal would show it."""
        return Console(
            file=out,
            width=max(self.width, 20),
            force_terminal=self.styled,
            no_color=self.no_color if self.styled else True,
            color_system="standard" if self.styled else None,
            highlight=False,
            emoji=False,
            markup=False,
        )


def pieces(text: str) -> list[str]:
    """`azurerm_x.y["k"]` -> `azurerm_`, `x.`, `y`, `["k"]`: the places a fold may go."""
    out: list[str] = []
    current = ""
    for char in text:
        if char == "[" and current:
            out.append(current)
            current = ""
        current += char
        if char in BREAK_AFTER:
            out.append(current)
            current = ""
    return [*out, current] if current else out


def shorten(piece: str, width: int) -> str:
    """`piece` in at most `width` cells: its head and tail around an ellipsis."""
    if cell_len(piece) <= width:
        return piece
    if width <= 1:
        return ELLIPSIS[:width]
    keep = width - 1
    head, tail = piece[: (keep + 1) // 2], piece[len(piece) - keep // 2 :] if keep // 2 else ""
    while cell_len(head) + cell_len(tail) > keep:  # wide characters take two cells
        head, tail = (head[:-1], tail) if len(head) >= len(tail) else (head, tail[1:])
    return head + ELLIPSIS + tail


def fold(text: str, width: int, keep_whole: bool = False) -> list[str]:
    """`text` as lines of at most `width` cells, broken only between pieces.

    A piece wider than `width` keeps its head and tail around an ellipsis, or with
    `keep_whole` (values, which must not lose characters) is cut into `width`-cell runs.
    """
    lines: list[str] = []
    line = ""
    for piece in pieces(text):
        if line and cell_len(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        if not line and lines and not piece.strip():
            continue  # spaces at a break are dropped, not carried to the next line
        if line or cell_len(piece.rstrip()) <= width:
            line += piece
        elif keep_whole:
            runs = _runs(piece, width)
            lines += runs[:-1]
            line = runs[-1]
        else:
            line = shorten(piece, width)
    if line or not lines:
        lines.append(line.rstrip())
    return lines if keep_whole else [shorten(one, width) for one in lines]


def _runs(piece: str, width: int) -> list[str]:
    """`piece` cut into runs of at most `width` cells (wide characters never split)."""
    runs, run = [], ""
    for char in piece:
        if run and cell_len(run + char) > width:
            runs.append(run)
            run = ""
        run += char
    return [*runs, run]


class Folded:
    """A table cell folded at piece boundaries (see `fold`): an identifier, whose over-long
    piece is shortened, or a value, whose over-long piece is cut (nothing is lost)."""

    def __init__(self, raw: str, style: str = "", keep_whole: bool = False) -> None:
        self.text = clean_text(raw)
        self.style = style
        self.keep_whole = keep_whole

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest_piece = max((cell_len(p.rstrip()) for p in pieces(self.text)), default=0)
        whole = cell_len(self.text)
        least = min(VALUE_MIN, whole) if self.keep_whole else min(widest_piece, whole)
        return Measurement(least, whole).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = fold(self.text, max(options.max_width, 1), self.keep_whole)
        yield Text("\n".join(lines), style=self.style, no_wrap=True, overflow="ellipsis")


class Kind(Enum):
    """How a column's cells may be broken, which decides how narrow it may get."""

    WORD = "word"  # short words (severity, kind): never narrower than the longest
    IDENTIFIER = "identifier"  # addresses, paths: no narrower than their widest piece
    VALUE = "value"  # values and prose: a long piece may be cut, so they give way first


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.VALUE


Cell = str | Text


def table(terminal: Terminal, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> Table:
    """A table as wide as its cells need, and never wider than the terminal.

    Rich shares out a too-narrow width evenly; here every column first gets the least it
    can live with (its longest word, an identifier's widest piece, a few cells of a
    value), then the rest is shared out fairly (`allot`).
    """
    grid_rows = [list(row) for row in rows]
    ranges = [_range(column, [row[i] for row in grid_rows]) for i, column in enumerate(columns)]
    # Borders: a line before each column and after the last; one cell of padding each side.
    available = terminal.width - (len(columns) + 1) - 2 * len(columns)
    grid = Table(header_style="bold")
    yielding = [column.kind is Kind.VALUE for column in columns]
    for column, width in zip(columns, allot(available, ranges, yielding), strict=True):
        grid.add_column(column.header, width=width, overflow="fold")
    for row in grid_rows:
        grid.add_row(*(_cell(value, column) for value, column in zip(row, columns, strict=True)))
    return grid


def _cell(value: Cell, column: Column) -> Text | Folded:
    if isinstance(value, Text):
        return value
    return Folded(value, keep_whole=column.kind is not Kind.IDENTIFIER)


def _range(column: Column, cells: Sequence[Cell]) -> tuple[int, int]:
    """The least and the most width a column's header and cells want."""
    texts = [c.plain if isinstance(c, Text) else clean_text(c) for c in cells]
    whole = max(cell_len(t) for t in [column.header, *texts])
    header_word = max((cell_len(w) for w in column.header.split()), default=1)
    if column.kind is Kind.WORD:
        least = whole
    elif column.kind is Kind.IDENTIFIER:
        least = max([header_word, *(cell_len(p.rstrip()) for t in texts for p in pieces(t))])
    else:
        least = max(header_word, min(VALUE_MIN, whole))
    return min(least, whole), max(whole, 1)


def allot(
    available: int, ranges: Sequence[tuple[int, int]], yielding: Sequence[bool] = ()
) -> list[int]:
    """Widths within `available`, fairest first: one level caps every column (none below
    its least, none above its most), as high as fits; what is left goes one cell at a
    time, left to right. Narrow columns thus get all they want and wide ones share the
    rest evenly.

    When even the least do not fit, the `yielding` columns (values, which fold anywhere)
    give up a cell at a time, widest first, then all the others (an identifier then keeps
    its head and tail around an ellipsis).
    """
    widths = [least for least, _ in ranges]
    if sum(widths) >= available:
        for group in ([i for i, y in enumerate(yielding) if y], list(range(len(widths)))):
            while group and sum(widths) > available:
                widest = max(group, key=lambda i: widths[i])
                if widths[widest] <= MIN_COLUMN:
                    break
                widths[widest] -= 1
        return widths

    def at(level: int) -> list[int]:
        return [max(least, min(most, level)) for least, most in ranges]

    low, high = 0, max(most for _, most in ranges)
    while low < high:  # the highest level whose widths fit
        middle = (low + high + 1) // 2
        low, high = (middle, high) if sum(at(middle)) <= available else (low, middle - 1)
    widths = at(low)
    spare = available - sum(widths)
    for i, (_, most) in enumerate(ranges):
        given = min(spare, most - widths[i])
        widths[i] += given
        spare -= given
    return widths


def plain(raw: str, style: str = "") -> Text:
    """Text from Azure or a file for the terminal: no markup, no control characters."""
    return Text(clean_text(raw), style=style)


def draw(terminal: Terminal, *renderables: object) -> str:
    """The renderables drawn one after the other, as text for this terminal."""
    out = io.StringIO()
    console = terminal.console(out)
    for renderable in renderables:
        console.print(renderable)
    return out.getvalue()
