"""One environment's extent: its resources as the state has them, and what to read live."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory, Scope
from provisioner.live.reads import has_children
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import Resource, ResourceId
from provisioner.registry import canonical_id
from provisioner.state import StateDocument

__all__ = [
    "Scope",
    "live_resources",
    "scope_for",
    "state_ids",
    "state_resources",
    "subscription_of",
]


def state_resources(state: StateDocument) -> list[Resource]:
    return [r for r in map(from_state, state.resources) if r is not None]


def state_ids(state: StateDocument) -> list[ResourceId]:
    """The ARM IDs of the state's resources, without normalizing their attributes.

    Enough to find an environment's extent (`scope_for`), at a fraction of the cost of
    `state_resources` on a large state.
    """
    ids = []
    for record in state.resources:
        if record.id is None:
            continue
        try:
            ids.append(canonical_id(record.id))
        except ValueError:
            continue
    return ids


def subscription_of(ids: Iterable[ResourceId], override: str | None) -> str:
    """The one subscription the state's resources live in; `override` must agree."""
    found = sorted({rid.subscription_id.lower() for rid in ids})
    if override:
        if found and found != [override.lower()]:
            raise AzprovError(
                f"the state's resources are in subscription {', '.join(found)}, "
                f"but --subscription/AZURE_SUBSCRIPTION_ID is {override}"
            )
        return override
    if len(found) != 1:
        if not found:
            raise AzprovError(
                "the state has no Azure resources, so there is nothing to verify: is it the "
                "right state (the environment's state key, or the --state file)? To list "
                "what exists in Azure anyway, pass --subscription"
            )
        raise AzprovError(
            f"cannot tell the subscription from the state (it spans {', '.join(found)}): "
            "pass --subscription or set AZURE_SUBSCRIPTION_ID"
        )
    return found[0]


def scope_for(env: Environment, ids: list[ResourceId], subscription_id: str) -> Scope:
    """The state's resource groups and the configured ones, and what the state expects there."""
    groups = [rid.resource_group for rid in ids if rid.resource_group]
    types: dict[str, list[str]] = defaultdict(list)
    for rid in ids:
        if rid.resource_group:
            types[rid.resource_group.lower()].append(rid.arm_type.lower())
    return Scope(
        subscription_id=subscription_id,
        resource_groups=tuple(dict.fromkeys([*(g for g in groups if g), *env.resource_groups])),
        known_parents=tuple(rid for rid in ids if has_children(rid.arm_type)),
        environment=env.name,
        known_types={group: tuple(dict.fromkeys(found)) for group, found in types.items()},
    )


def live_resources(inventory: Inventory, only: Collection[str] | None = None) -> list[Resource]:
    """The inventory's bodies normalized (with `only`, just those whose ID key is in it)."""
    lookups = lookups_for(inventory.bodies)
    bodies = inventory.bodies
    if only is not None:
        bodies = tuple(b for b in bodies if str(b["id"]).lower() in only)
    return [from_arm(body, lookups) for body in bodies]
