"""The shape of a mapping table: how one azurerm type's attributes sit in ARM JSON.

A table is plain data: a list of `Attr`, `Each` and `MapOf` entries. `flatten` walks a
table over either side's document (Terraform attributes or an ARM body) and returns the
normalized attributes both sides are compared on, e.g.::

    {"sku_name": "GP_Standard_D2ds_v5",
     "template.container": ("api",),
     "template.container[api].image": "acr.azurecr.io/api:1.4.2",
     "tags[environment]": "prod"}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from provisioner.model import Sensitive, Severity, redact_text


class Lookups:
    """Cross-resource facts a converter may need, e.g. which workspace owns a customerId."""

    def __init__(self, workspace_ids_by_customer_id: Mapping[str, str] | None = None) -> None:
        self._workspaces = {k.lower(): v for k, v in (workspace_ids_by_customer_id or {}).items()}

    def workspace_id(self, customer_id: str) -> str | None:
        return self._workspaces.get(customer_id.lower())


Convert = Callable[[Any, Lookups], Any]
Canon = Callable[[Any], Any]


def same(value: Any, _: Lookups) -> Any:
    return value


def exact(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Attr:
    """One attribute: where Terraform keeps it, where ARM keeps it, and how they compare.

    `convert` turns the ARM value into azurerm's form; `canon` is applied to both sides
    before comparing (case folding, number types); `default` stands in for an absent
    value on either side (azurerm's default, or how an empty block reads back).
    `compare=False` marks values Azure computes (FQDNs, login servers): they are read
    for isolation checks but are never drift.
    """

    name: str
    state: str
    arm: str
    convert: Convert = same
    canon: Canon = exact
    default: Any = None
    compare: bool = True
    severity: Severity = Severity.MEDIUM


@dataclass(frozen=True)
class Each:
    """A list of blocks keyed by a field (containers by name, env vars by name)."""

    name: str
    state: str
    arm: str
    attrs: tuple[Attr | Each, ...]
    state_key: str = "name"
    arm_key: str = "name"
    severity: Severity = Severity.MEDIUM


@dataclass(frozen=True)
class MapOf:
    """A string map compared key by key (tags)."""

    name: str
    state: str
    arm: str
    severity: Severity = Severity.LOW


Entry = Attr | Each | MapOf
_BRACKETS = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class TypeSpec:
    """Everything azprov knows about one azurerm resource type."""

    tf_type: str
    arm_type: str
    attributes: tuple[Entry, ...]
    # Child resources Azure creates on its own (a server's `postgres` database).
    builtin_names: frozenset[str] = field(default_factory=frozenset)
    # Attributes named in an `unmanaged` finding's message (a firewall rule's range).
    summary: tuple[str, ...] = ()
    unmanaged_severity: Severity = Severity.MEDIUM
    missing_severity: Severity = Severity.HIGH

    @cached_property
    def _entries_by_name(self) -> dict[str, Entry]:
        index: dict[str, Entry] = {}

        def walk(entries: tuple[Entry, ...], prefix: str) -> None:
            for entry in entries:
                name = f"{prefix}.{entry.name}" if prefix else entry.name
                index[name] = entry
                if isinstance(entry, Each):
                    walk(entry.attrs, name)

        walk(self.attributes, "")
        return index

    def entry(self, attribute: str) -> Entry | None:
        """The table entry behind a normalized name (`template.container[api].image`)."""
        return self._entries_by_name.get(_BRACKETS.sub("", attribute))


MISSING: Any = object()


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
        if not self.sensitive:
            return False
        steps = path.split(".")
        return any(".".join(steps[:n]) in self.sensitive for n in range(1, len(steps) + 1))


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
    for entry in entries:
        name = f"{name_prefix}.{entry.name}" if name_prefix else entry.name
        path = side.path(entry)
        raw = get_path(doc, path)
        abs_path = _join(path_prefix, path)
        if isinstance(entry, Attr):
            out[name] = _read_attr(entry, raw, side, abs_path)
        elif isinstance(entry, MapOf):
            # A malformed document (tags as a list) normalizes to no tags, not a crash.
            for key, value in sorted(raw.items() if isinstance(raw, dict) else ()):
                item_path = _join(abs_path, key)
                out[f"{name}[{key}]"] = (
                    Sensitive.of(value) if side.is_sensitive(item_path) else _safe(value)
                )
        else:
            items = raw if isinstance(raw, list) else []
            key_field = entry.state_key if side.is_state else entry.arm_key
            keys = []
            for index, item in enumerate(items):
                key = str(get_path(item, key_field))
                keys.append(key)
                out[f"{name}[{key}]"] = True  # the member exists; its fields follow
                item_path = _join(abs_path, str(index)) if side.is_state else ""
                _flatten(entry.attrs, item, side, f"{name}[{key}]", item_path, out)
            out[name] = tuple(sorted(keys))


def _read_attr(entry: Attr, raw: Any, side: Side, abs_path: str) -> Any:
    if side.is_state and raw is not None and side.is_sensitive(abs_path):
        return Sensitive.of(_safe(entry.canon(raw)))
    if raw is not None and not side.is_state:
        raw = entry.convert(raw, side.lookups)
    if raw is None or raw == "":  # azurerm writes "" for unset strings, ARM omits them
        raw = entry.default
    return None if raw is None else _safe(entry.canon(raw))
