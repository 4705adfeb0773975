"""Files a user hands azprov (state, plan JSON, snapshots): read, decoded and bounded.

Every failure is one typed `AzprovError` line naming the file. JSON is refused past
`MAX_DEPTH` levels of nesting: `json.loads` itself recurses (a document nested 100,000
levels deep raises `RecursionError`), and so do the walks that read a document later
(sensitive paths, plan values, ARM bodies), so a depth every one of them can take is
checked once, here, where the document comes in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from provisioner.errors import AzprovError

T = TypeVar("T")

# Terraform states, plans and ARM bodies nest a few dozen levels at most; the readers'
# recursive walks stay far inside Python's default recursion limit (1,000) below this.
MAX_DEPTH = 100
# JSON's names for the Python types a check asks for, for messages.
_NAMES: dict[type, str] = {
    str: "a string",
    list: "an array",
    dict: "an object",
    int: "a whole number",
    bool: "true or false",
}


def read_text(path: Path, what: str, error: type[AzprovError]) -> str:
    """The UTF-8 text of `path` (`what` names it for the user: "state file", "snapshot")."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def parse_json(text: str, source: str, error: type[AzprovError]) -> Any:
    """Decode `text`; invalid JSON, or JSON nested deeper than `MAX_DEPTH`, is one `error`."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise error(_too_deep(source)) from None
    except json.JSONDecodeError as exc:
        raise error(f"{source} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError as exc:  # a number past Python's 4,300-digit integer limit
        raise error(f"{source} is not valid JSON ({str(exc).split(':')[0]})") from None
    if nesting_depth(doc) > MAX_DEPTH:
        raise error(_too_deep(source))
    return doc


def kind_of(value: Any) -> str:
    """A decoded JSON or TOML value's type in words, for messages: "an array", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _NAMES.get(type(value), f"a {type(value).__name__}")


def _too_deep(source: str) -> str:
    return f"{source} nests deeper than {MAX_DEPTH} levels of JSON objects and arrays"


def nesting_depth(doc: Any) -> int:
    """How many objects and arrays deep `doc` goes (a scalar is 0), without recursing.

    Level by level, each level's containers gathered in one comprehension: a 50 MB state
    takes a fraction of what decoding it did. Decoded JSON and TOML hold plain `dict` and
    `list`, so exact types are checked.
    """
    level = [doc] if type(doc) in _CONTAINERS else []
    depth = 0
    while level and depth <= MAX_DEPTH:  # past the limit, the exact depth does not matter
        depth += 1
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) in _CONTAINERS
        ]
    return depth


_CONTAINERS = (dict, list)


@dataclass(frozen=True)
class Where:
    """A place in an input document, and the error its mistakes raise.

    `Where("prod.tfstate", StateError) / "resources" / 3` reads `prod.tfstate:
    resources[3]`; its checks name that place: `... resources[3].type is missing`.
    """

    source: str
    error: type[AzprovError]
    path: str = ""

    def __truediv__(self, step: str | int) -> Where:
        if isinstance(step, int):
            return Where(self.source, self.error, f"{self.path}[{step}]")
        return Where(self.source, self.error, f"{self.path}.{step}" if self.path else step)

    def __str__(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source

    def problem(self, text: str) -> AzprovError:
        """This place's error, to raise: `<source>: <path> <text>`."""
        return self.error(f"{self} {text}")

    def optional(self, record: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
        """`record[key]` when it is a `kind`; None when absent or null; else the error."""
        value = record.get(key)
        if value is None or (isinstance(value, kind) and isinstance(value, bool) == (kind is bool)):
            return value
        wanted = _NAMES.get(kind, kind.__name__)
        raise (self / key).problem(f"must be {wanted}, not {kind_of(value)}")

    def required(self, record: Mapping[str, Any], key: str) -> str:
        """`record[key]`, a non-empty string."""
        value = self.optional(record, key, str)
        if not value:
            raise (self / key).problem("is missing")
        return value

    def objects(self, items: list[Any]) -> Iterator[tuple[dict[str, Any], Where]]:
        """Every item of a JSON array of objects (this place), each with its own place."""
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise (self / i).problem(f"must be an object, not {kind_of(item)}")
            yield item, self / i
