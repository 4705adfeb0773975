"""ARM <-> azurerm mapping, kept as data: one table per type, one ARM-type map."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from provisioner.mapping.catalog import TYPES, by_arm_type, by_tf_type
from provisioner.mapping.spec import Lookups, TypeSpec, flatten
from provisioner.model import ResourceId


@cache
def _arm_types() -> dict[str, tuple[str, str]]:
    raw = json.loads(resources.files(__package__).joinpath("arm_types.json").read_text())
    return {k.lower(): (k, v) for k, v in raw.items() if not k.startswith("_")}


def tf_type_for_arm(arm_type: str) -> str | None:
    """The azurerm type for an ARM type (`Microsoft.Storage/storageAccounts`), if known."""
    found = _arm_types().get(arm_type.lower())
    return found[1] if found else None


def canonical_id(raw: str | ResourceId) -> ResourceId:
    """The ID in the form the azurerm importer accepts: keywords and type names canonical."""
    rid = raw if isinstance(raw, ResourceId) else ResourceId.parse(raw)
    known = _arm_types().get(rid.arm_type.lower())
    return rid.with_type_casing(known[0]) if known else rid


__all__ = [
    "TYPES",
    "Lookups",
    "TypeSpec",
    "by_arm_type",
    "by_tf_type",
    "canonical_id",
    "flatten",
    "tf_type_for_arm",
]
