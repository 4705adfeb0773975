"""The shape of a registry entry: everything azprov knows about one azurerm resource type.

A `TypeSpec` is plain data: which ARM type and azurerm type it is, the api-version to read
it with, where Azure lists it (`Listing`), and a table of `Attr`, `Each` and `MapOf`
entries saying how its attributes sit in Terraform's state and in ARM JSON. The readers,
the Resource Graph screen, confirmation, snapshots, coverage and the test fake are all
derived from it; `provisioner.mapping.flatten` walks a table over either side's document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from provisioner.model import Severity


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

    `kind` is the value's type once read (`str`, `int`, `float`, `bool`, `list`); both
    sides are coerced to it, so ARM's `"7"` and the state's `7` compare equal and `"many"`
    for an `int` is `UNREADABLE`. `convert` turns the ARM value into azurerm's form first;
    `canon` is applied to both sides before comparing (case folding); `default` stands in
    for an absent value on either side (azurerm's default, or how an empty block reads
    back). `compare=False` marks values Azure computes (FQDNs, login servers): they are
    read for isolation checks but are never drift.
    """

    name: str
    state: str
    arm: str
    kind: type = str
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


class Placement(Enum):
    """Where Azure lists a type, and so how azprov reads it."""

    # A top-level resource: one list per resource group (`{group}/providers/{type}`);
    # Resource Graph's `resources` table indexes it.
    RESOURCE_GROUP = "resource group"
    # A child of another resource (`{parent}/{child segment}`): one list per parent.
    # Resource Graph does not index it.
    PARENT = "parent"
    # An extension resource assigned at a scope (role assignments): one list per resource
    # group of the environment, which returns every assignment at or under the group.
    SCOPE = "scope"


@dataclass(frozen=True)
class Listing:
    """Where a type is listed. `parent` is the parent's ARM type for `Placement.PARENT`."""

    placement: Placement = Placement.RESOURCE_GROUP
    parent: str | None = None

    def __post_init__(self) -> None:
        if (self.placement is Placement.PARENT) != (self.parent is not None):
            raise ValueError("a parent ARM type is given exactly for Placement.PARENT")


IN_RESOURCE_GROUP = Listing()
AT_SCOPE = Listing(Placement.SCOPE)


def under(parent_arm_type: str) -> Listing:
    return Listing(Placement.PARENT, parent_arm_type)


@dataclass(frozen=True)
class TypeSpec:
    """Everything azprov knows about one azurerm resource type: one registry entry."""

    tf_type: str
    arm_type: str
    # The api-version azprov reads this type with (a GA version of the type's REST spec).
    api_version: str
    attributes: tuple[Entry, ...]
    listed: Listing = IN_RESOURCE_GROUP
    # Child resources Azure creates on its own (a server's `postgres` database).
    builtin_names: frozenset[str] = field(default_factory=frozenset)
    # Attributes named in an `unmanaged` finding's message (a firewall rule's range).
    summary: tuple[str, ...] = ()
    # Attributes naming resources Azure makes along with this one and deletes with it (a
    # private endpoint's network interface): never reported as unmanaged.
    creates: tuple[str, ...] = ()
    unmanaged_severity: Severity = Severity.MEDIUM
    missing_severity: Severity = Severity.HIGH
    # How `azprov import` names an existing resource; azurerm imports these types by their
    # ARM ID in canonical casing, which is the default.
    import_id: Callable[[str], str] = field(default=lambda arm_id: arm_id)
    # When several azurerm types share one ARM type (Linux and Windows web apps are both
    # `Microsoft.Web/sites`, told apart by `kind`): whether an ARM body is this type.
    accepts: Callable[[Mapping[str, Any]], bool] | None = None

    @property
    def is_top_level(self) -> bool:
        return self.listed.placement is Placement.RESOURCE_GROUP

    @cached_property
    def reads_properties(self) -> bool:
        """Whether a body without `properties` (a generic list's) is too thin to compare."""
        paths: list[str] = []

        def walk(entries: tuple[Entry, ...]) -> None:
            for entry in entries:
                paths.append(entry.arm)
                if isinstance(entry, Each):
                    walk(entry.attrs)

        walk(self.attributes)
        return any(p == "properties" or p.startswith("properties.") for p in paths)

    def is_thin(self, body: Mapping[str, Any]) -> bool:
        """A body that lacks what this table reads: the generic list's, or `properties: null`."""
        return self.reads_properties and not isinstance(body.get("properties"), Mapping)

    @cached_property
    def child_segment(self) -> str:
        """The path segment a parent lists this type under (`firewallRules`)."""
        return self.arm_type.rsplit("/", 1)[-1]

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

    def state_path(self, attribute: str) -> str | None:
        """Where Terraform keeps a normalized attribute, list indices as `*`.

        `template.container[api].image` -> `template.*.container.*.image`, `tags[owner]`
        -> `tags.owner`: the form `lifecycle { ignore_changes }` paths are compared in.
        """
        out: list[str] = []
        entries, rest = self.attributes, attribute
        while True:
            match: Entry | None = None
            for entry in entries:
                name = entry.name
                fits = rest == name or rest.startswith((name + ".", name + "["))
                if fits and (match is None or len(name) > len(match.name)):
                    match = entry
            if match is None:
                return None
            out += ["*" if step.isdigit() else step for step in match.state.split(".")]
            rest = rest[len(match.name) :]
            key = rest[1 : rest.index("]")] if rest.startswith("[") else None
            if isinstance(match, MapOf):
                return ".".join([*out, key] if key else out)
            if not isinstance(match, Each):
                return ".".join(out)
            if key is not None:
                out.append("*")
                rest = rest[rest.index("]") + 1 :]
            if not rest:
                return ".".join(out)
            entries, rest = match.attrs, rest.lstrip(".")

    def arm_path(self, attribute: str) -> str | None:
        """Where in an ARM body a normalized attribute is read: `properties.sku.name`.

        For a member of a list it is the list's path (`properties.template.containers`);
        for a tag, `tags.<key>`.
        """
        steps = _BRACKETS.sub("", attribute).split(".")
        for n in range(1, len(steps) + 1):
            entry = self._entries_by_name.get(".".join(steps[:n]))
            if isinstance(entry, Each):
                return entry.arm
        entry = self.entry(attribute)
        if isinstance(entry, MapOf):
            found = re.search(r"\[([^\]]*)\]$", attribute)
            return f"{entry.arm}.{found[1]}" if found else entry.arm
        return entry.arm if entry is not None else None
