"""The registry: every resource type azprov reads, each declared once as a `TypeSpec`.

Each module here declares the types of one Azure service and lists them in `TYPES`; the
modules are found by name (a leading `_` marks a helper), so adding a type to azprov is
one entry here, one test fixture and one test. Readers, the Resource Graph screen,
confirmation, coverage, snapshots and the test fake all work from these entries.

`arm_types.json` names the azurerm type of further ARM types azprov does not read in
full, so that unmanaged resources of those types are reported under their azurerm name;
`builtin_roles.json` names Azure's built-in roles by their definition GUID.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from provisioner.model import ResourceId
from provisioner.registry.spec import (
    AT_SCOPE,
    IN_RESOURCE_GROUP,
    Attr,
    Each,
    Entry,
    Listing,
    Lookups,
    MapOf,
    Placement,
    TypeSpec,
    under,
)


def _declared() -> tuple[TypeSpec, ...]:
    found: list[TypeSpec] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_") or module.name in ("spec", "convert"):
            continue
        found += importlib.import_module(f"{__name__}.{module.name}").TYPES
    return tuple(found)


TYPES: tuple[TypeSpec, ...] = _declared()
_BY_TF = {spec.tf_type: spec for spec in TYPES}
_BY_ARM: dict[str, tuple[TypeSpec, ...]] = {}
for _spec in TYPES:
    _BY_ARM[_spec.arm_type.lower()] = (*_BY_ARM.get(_spec.arm_type.lower(), ()), _spec)


def by_tf_type(tf_type: str) -> TypeSpec | None:
    return _BY_TF.get(tf_type)


def by_arm_type(arm_type: str) -> TypeSpec | None:
    """How to list and read an ARM type (case-insensitive), if azprov reads it.

    Where several azurerm types share the ARM type, they share its api-version and lists
    too; `for_body` tells which one a body is.
    """
    found = _BY_ARM.get(arm_type.lower())
    return found[0] if found else None


def for_body(body: Mapping[str, Any]) -> TypeSpec | None:
    """The registry entry an ARM body belongs to, or None when azprov does not read it."""
    for spec in _BY_ARM.get(str(body.get("type", "")).lower(), ()):
        if spec.accepts is None or spec.accepts(body):
            return spec
    return None


def children_of(parent_arm_type: str) -> tuple[TypeSpec, ...]:
    """The types listed under each resource of `parent_arm_type` (a server's firewall rules)."""
    return _children_of(parent_arm_type.lower())


@cache
def _children_of(parent_arm_type: str) -> tuple[TypeSpec, ...]:
    return tuple(s for s in TYPES if (s.listed.parent or "").lower() == parent_arm_type)


def listed_at(placement: Placement) -> tuple[TypeSpec, ...]:
    return tuple(s for s in TYPES if s.listed.placement is placement)


@cache
def _known_names() -> dict[str, tuple[str, str | None]]:
    """ARM type (lower case) -> its canonical spelling and the azurerm type it alone names."""
    raw = json.loads(resources.files(__package__).joinpath("arm_types.json").read_text())
    names: dict[str, tuple[str, str | None]] = {
        k.lower(): (k, v) for k, v in raw.items() if not k.startswith("_")
    }
    # An ARM type several azurerm types share (`Microsoft.Web/sites`) names none of them by
    # itself: only a body says which (`for_body`), and a body no entry accepts keeps its
    # ARM type.
    names.update(
        {s.arm_type.lower(): (s.arm_type, None if s.accepts else s.tf_type) for s in TYPES}
    )
    return names


def tf_type_for_arm(arm_type: str) -> str | None:
    """The azurerm type for an ARM type (`Microsoft.Storage/storageAccounts`), if it names one."""
    found = _known_names().get(arm_type.lower())
    return found[1] if found else None


@cache
def _builtin_roles() -> dict[str, str]:
    raw = json.loads(resources.files(__package__).joinpath("builtin_roles.json").read_text())
    return {k.lower(): v for k, v in raw.items() if not k.startswith("_")}


def builtin_role_name(role_definition_id: str) -> str | None:
    """The name of a built-in role from its definition ID (or GUID), which is the same in
    every tenant (`.../roleDefinitions/7f951dda-...` is AcrPull); None for any other role."""
    return _builtin_roles().get(role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower())


def canonical_id(raw: str | ResourceId) -> ResourceId:
    """The ID in the form the azurerm importer accepts: keywords and type names canonical."""
    rid = raw if isinstance(raw, ResourceId) else ResourceId.parse(raw)
    known = _known_names().get(rid.arm_type.lower())
    return rid.with_type_casing(known[0]) if known else rid


__all__ = [
    "AT_SCOPE",
    "IN_RESOURCE_GROUP",
    "TYPES",
    "Attr",
    "Each",
    "Entry",
    "Listing",
    "Lookups",
    "MapOf",
    "Placement",
    "TypeSpec",
    "builtin_role_name",
    "by_arm_type",
    "by_tf_type",
    "canonical_id",
    "children_of",
    "for_body",
    "listed_at",
    "tf_type_for_arm",
    "under",
]
