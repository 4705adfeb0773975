"""Walk a registry table over either side's document: the normalized attributes.

`flatten` returns the attributes both sides are compared on, e.g.::

    {"sku_name": "GP_Standard_D2ds_v5",
     "template.container": ("api",),
     "template.container[api].image": "acr.azurecr.io/api:1.4.2",
     "tags[environment]": "prod"}

A value that is there but cannot be read as its declared kind (`"many"` for a replica
count, a list where an object belongs) is `UNREADABLE`: never compared, never drift.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.model import UNREADABLE, Sensitive, redact_text
from provisioner.registry.spec import Attr, Each, Entry, Lookups, MapOf, exact, same


def get_path(doc: Any, path: str | tuple[str, ...]) -> Any:
    """Follow a dotted path (`template.0.container`, `properties.sku.name`); None if absent.

    A tuple of steps serves keys that hold dots themselves (`tags.kubernetes.io/name`).
    """
    if not path:
        return doc
    for step in path.split(".") if isinstance(path, str) else path:
        if isinstance(doc, Mapping):
            doc = doc.get(step)
        elif isinstance(doc, list) and step.isdigit() and int(step) < len(doc):
            doc = doc[int(step)]
        else:
            return None
        if doc is None:
            return None
    return doc


# Dotted paths split once: the same few hundred paths are followed for every resource.
_STEPS: dict[str, tuple[str, ...]] = {}


def _steps(path: str) -> tuple[str, ...]:
    steps = _STEPS.get(path)
    if steps is None:
        steps = _STEPS[path] = tuple(path.split(".")) if path else ()
    return steps


def _lookup(doc: Any, path: str) -> Any:
    """Like `get_path`, but UNREADABLE when a step meets a value that cannot hold the next.

    Absent or null steps read as None (Azure omits what is unset); a string where an
    object belongs is a malformed document, not an absent value.
    """
    for step in _steps(path):
        if doc is None:
            return None
        if isinstance(doc, dict) or (not isinstance(doc, list) and isinstance(doc, Mapping)):
            doc = doc.get(step)
        elif isinstance(doc, list) and step.isdigit():
            doc = doc[int(step)] if int(step) < len(doc) else None
        else:
            return UNREADABLE
    return doc


def coerce(value: Any, kind: type) -> Any:
    """`value` as `kind`, or UNREADABLE; numbers and booleans written as strings are accepted."""
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return UNREADABLE
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return UNREADABLE
    if kind is int or kind is float:
        number = _number(value)
        if number is None:
            return UNREADABLE
        if kind is float:
            return float(number)
        return int(number) if float(number).is_integer() else UNREADABLE
    if kind is list:
        return value if isinstance(value, list | tuple) else UNREADABLE
    raise TypeError(f"unsupported attribute kind {kind!r}")


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _safe(value: Any) -> Any:
    """Redact passwords inside connection strings; freeze lists so values are hashable."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list | tuple):
        return tuple(_safe(v) for v in value)
    return value


@dataclass(frozen=True)
class Side:
    """Which document a table is walked over, and how to read a value from it."""

    is_state: bool
    lookups: Lookups = field(default_factory=Lookups)
    # Dotted Terraform paths marked sensitive (`secret`, `template.0.container.0.env.1.value`).
    sensitive: Collection[str] = ()

    def path(self, entry: Entry) -> str:
        return entry.state if self.is_state else entry.arm

    def is_sensitive(self, path: str) -> bool:
        """Whether `path` or a block it sits in (`template.0` for `template.0.env.1`) is."""
        sensitive = self.sensitive
        while sensitive:
            if path in sensitive:
                return True
            cut = path.rfind(".")
            if cut < 0:
                return False
            path = path[:cut]
        return False


def flatten(entries: tuple[Entry, ...], doc: Any, side: Side) -> dict[str, Any]:
    """Normalize `doc` (Terraform attributes or an ARM body) with a mapping table."""
    out: dict[str, Any] = {}
    _flatten(entries, doc, side, "", "", out)
    return out


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix and path else prefix or path


def _flatten(
    entries: tuple[Entry, ...],
    doc: Any,
    side: Side,
    name_prefix: str,
    path_prefix: str,
    out: dict[str, Any],
) -> None:
    # Where a value sits in the document matters only to match the paths marked sensitive.
    track = bool(side.sensitive)
    for entry in entries:
        name = f"{name_prefix}.{entry.name}" if name_prefix else entry.name
        path = entry.state if side.is_state else entry.arm
        raw = _lookup(doc, path)
        abs_path = _join(path_prefix, path) if track else ""
        if isinstance(entry, Attr):
            out[name] = _read_attr(entry, raw, side, abs_path)
        elif raw is UNREADABLE or (raw is not None and not _is_container(entry, raw)):
            out[name] = UNREADABLE  # tags as a list, containers as a string: not comparable
        elif isinstance(entry, MapOf):
            for key, value in sorted((raw or {}).items()):
                if track and side.is_sensitive(_join(abs_path, key)):
                    out[f"{name}[{key}]"] = Sensitive.of(value)
                else:
                    out[f"{name}[{key}]"] = _safe(value)
        else:
            keys = []
            for index, item in enumerate(raw or ()):
                key = get_path(item, entry.state_key if side.is_state else entry.arm_key)
                if not isinstance(item, Mapping) or isinstance(key, Mapping | list):
                    out[name] = UNREADABLE  # a member that is no block, or keyed by a block
                    break
                keys.append(str(key))
                out[f"{name}[{key}]"] = True  # the member exists; its fields follow
                item_path = _join(abs_path, str(index)) if track and side.is_state else ""
                _flatten(entry.attrs, item, side, f"{name}[{key}]", item_path, out)
            else:
                out[name] = tuple(sorted(keys))


def _is_container(entry: Each | MapOf, raw: Any) -> bool:
    return isinstance(raw, Mapping) if isinstance(entry, MapOf) else isinstance(raw, list)


def _read_attr(entry: Attr, raw: Any, side: Side, abs_path: str) -> Any:
    if raw is UNREADABLE:
        return UNREADABLE
    if raw is not None and raw != "" and not side.is_state and entry.convert is not same:
        try:
            raw = entry.convert(raw, side.lookups)
        except (TypeError, ValueError, AttributeError):
            return UNREADABLE
    if raw is None or raw == "":  # azurerm writes "" for unset strings, ARM omits them
        raw = entry.default
    if raw is None:
        return None
    value = coerce(raw, entry.kind)
    if value is UNREADABLE:
        return UNREADABLE
    if entry.canon is not exact:
        value = entry.canon(value)
    value = redact_text(value) if type(value) is str else _safe(value)
    return Sensitive.of(value) if side.sensitive and side.is_sensitive(abs_path) else value
