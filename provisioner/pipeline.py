"""The one pipeline: state -> live -> normalize -> filter -> analyse. Collaborators injected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from provisioner.analysers.drift import drift_findings
from provisioner.config import Environment
from provisioner.errors import AzprovError
from provisioner.live import Inventory
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import Analysis, Resource, ResourceId, Unread
from provisioner.state import StateDocument

POSTGRES_SERVER = "microsoft.dbforpostgresql/flexibleservers"


@dataclass(frozen=True)
class Scope:
    """What the live side must read for one environment."""

    subscription_id: str
    resource_groups: tuple[str, ...]
    # Servers the state knows: their child lists can start before any list returns.
    known_servers: tuple[ResourceId, ...] = ()


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
    )


def live_resources(inventory: Inventory) -> list[Resource]:
    lookups = lookups_for(inventory.bodies)
    return [from_arm(body, lookups) for body in inventory.bodies]


def verify(
    env: Environment,
    read_state: Callable[[], StateDocument],
    read_live: Callable[[Scope], Inventory],
    subscription_override: str | None = None,
    live_source: str = "azure",
) -> Analysis:
    """Read both sides and report drift for one environment."""
    expected = state_resources(read_state())
    subscription = subscription_of(expected, subscription_override)
    inventory = read_live(scope_for(env, expected, subscription))
    if expected and inventory.subscription_id.lower() != subscription.lower():
        raise AzprovError(
            f"the live data is from subscription {inventory.subscription_id}, "
            f"but the state's resources are in {subscription}"
        )
    drift = drift_findings(expected, live_resources(inventory), inventory.coverage, env.ignore)
    unread = list(inventory.unread)
    if drift.unknown and not unread:
        unread.append(Unread("state", "resources", "not covered: " + ", ".join(drift.unknown)))
    return Analysis(
        environment=env.name,
        subscription_id=inventory.subscription_id,
        resources_checked=drift.checked,
        findings=tuple(sorted(drift.findings, key=lambda f: f.sort_key)),
        unread=tuple(unread),
        not_checked=drift.not_checked,
        live_source=live_source,
        live_taken_at=inventory.taken_at,
    )
