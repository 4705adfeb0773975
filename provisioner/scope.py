"""One environment's extent: its resources as the state has them, and what to read live."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import Resource, ResourceId
from provisioner.state import StateDocument

POSTGRES_SERVER = "microsoft.dbforpostgresql/flexibleservers"


@dataclass(frozen=True)
class Scope:
    """What the live side must read for one environment."""

    subscription_id: str
    resource_groups: tuple[str, ...]
    # Servers the state knows: their child lists can start before any list returns.
    known_servers: tuple[ResourceId, ...] = ()
    # The environment's name: Resource Graph also reads resources tagged with it elsewhere.
    environment: str = ""


def state_resources(state: StateDocument) -> list[Resource]:
    return [r for r in map(from_state, state.resources) if r is not None]


def subscription_of(resources: Iterable[Resource], override: str | None) -> str:
    """The one subscription the state's resources live in; `override` must agree."""
    found = sorted({r.id.subscription_id.lower() for r in resources})
    if override:
        if found and found != [override.lower()]:
            raise AzprovError(
                f"the state's resources are in subscription {', '.join(found)}, "
                f"but --subscription/AZURE_SUBSCRIPTION_ID is {override}"
            )
        return override
    if len(found) != 1:
        raise AzprovError(
            "cannot tell the subscription from the state "
            + ("(it has no Azure resources)" if not found else f"(it spans {', '.join(found)})")
            + ": pass --subscription or set AZURE_SUBSCRIPTION_ID"
        )
    return found[0]


def scope_for(env: Environment, resources: list[Resource], subscription_id: str) -> Scope:
    groups = [r.id.resource_group for r in resources if r.id.resource_group]
    servers = [r.id for r in resources if r.arm_type.lower() == POSTGRES_SERVER]
    return Scope(
        subscription_id=subscription_id,
        resource_groups=tuple(dict.fromkeys([*(g for g in groups if g), *env.resource_groups])),
        known_servers=tuple(servers),
        environment=env.name,
    )


def live_resources(inventory: Inventory, only: Collection[str] | None = None) -> list[Resource]:
    """The inventory's bodies normalized (with `only`, just those whose ID key is in it)."""
    lookups = lookups_for(inventory.bodies)
    bodies = inventory.bodies
    if only is not None:
        bodies = tuple(b for b in bodies if str(b["id"]).lower() in only)
    return [from_arm(body, lookups) for body in bodies]
