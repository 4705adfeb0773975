"""Text from Azure, the state or a plan, made inert for GitHub-flavoured Markdown.

One escaper for every Markdown azprov writes (verify's report, the audit, issue and
pull-request bodies): GitHub renders inline HTML, links, images and tables in job
summaries and comments, so a tag value could otherwise run a `<script>` past the sanitizer,
plant a tracking image, disguise a link or break a table with `|`. Control characters are
shown as escapes and secrets redacted before anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from provisioner.model import sanitize_text

# Characters of one value shown in a cell; longer values are cut with an ellipsis.
CELL_WIDTH = 200
# Characters that start inline markup anywhere; block markers matter only at the start.
_INLINE = frozenset("\\`*_[]|~")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_BLOCK_START = re.compile(r"^(?:([#+=!-])|(\d+)([.)]))")


def clip(raw: str, width: int) -> str:
    """`raw` cut to `width` characters with an ellipsis (the HTML and JSON keep it whole)."""
    return raw if len(raw) <= width else raw[: max(width - 1, 1)] + "…"


def text(raw: str, width: int = CELL_WIDTH) -> str:
    """Plain text safe anywhere in Markdown, a table cell included: no markup gets through."""
    out = []
    for char in clip(sanitize_text(raw), width):
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _INLINE:
            out.append("\\" + char)
        else:
            out.append(char)
    return _BLOCK_START.sub(_escape_block, "".join(out))


def _escape_block(found: re.Match[str]) -> str:
    if found[1]:
        return "\\" + found[1]
    return found[2] + "\\" + found[3]


def code(raw: str, width: int = CELL_WIDTH) -> str:
    """A value in monospace (`<code>`, which GitHub never turns into a link)."""
    return f"<code>{text(raw, width)}</code>" if raw else ""


def size(doc: str) -> int:
    return len(doc.encode("utf-8"))


def largest_fitting(make: Callable[[int], str], high: int, limit: int) -> str | None:
    """The document `make(n)` with the largest n in [0, high] that fits, or None if none does."""
    best = make(0)
    if size(best) > limit:
        return None
    low = 0
    while low < high:
        mid = (low + high + 1) // 2
        doc = make(mid)
        if size(doc) <= limit:
            low, best = mid, doc
        else:
            high = mid - 1
    return best
