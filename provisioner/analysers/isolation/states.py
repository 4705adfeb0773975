"""Two environments on one state: a shared state key, or a resource in both states."""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.analysers.isolation.owned import Index
from provisioner.analysers.isolation.sources import EnvironmentData
from provisioner.analysers.isolation.tokens import id_key
from provisioner.model import Finding, FindingKind, Severity, StateResource


def state_key_findings(target: EnvironmentData, others: Sequence[EnvironmentData]) -> list[Finding]:
    """A finding per other environment whose state key is the target's."""
    key = target.state_key.strip()
    return [
        Finding(
            kind=FindingKind.ISOLATION,
            severity=Severity.HIGH,
            resource_id=key,
            attribute="state_key",
            actual=key,
            message=f"{target.name} and {other.name} use the same state key {key!r}: "
            f"one environment's apply would rewrite the other's state",
        )
        for other in others
        if key and other.state_key.strip() == key
    ]


def two_states_findings(
    target: EnvironmentData, others: Sequence[EnvironmentData], index: Index
) -> list[Finding]:
    """A finding per resource of the target's state that another state also manages
    (itself, or a resource it lies under), unless it is shared."""
    owned: dict[str, StateResource] = {}  # ID key -> the first other state's record of it
    env_of: dict[str, str] = {}  # ID key -> the environment of that state
    for other in others:
        for record in other.state.resources if other.state else ():
            key = id_key(record.id or "")
            if key and key not in owned:
                owned[key], env_of[key] = record, other.name
    out = []
    for record in target.state.resources if target.state else ():
        key = id_key(record.id or "")
        if key is None or index.is_shared(key):
            continue
        at, steps = key, key.count("/")  # the key, then each resource it lies under
        while steps > 3:
            hit = owned.get(at)
            if hit is None:
                at, steps = at[: at.rfind("/")], steps - 1
                continue
            env, address, shown = env_of[at], hit.address, hit.id or ""
            if at == key:
                message = (
                    f"{record.address} is also in {env}'s state (as {address}): two "
                    "environments manage the same resource"
                )
            else:
                message = (
                    f"{record.address} lies under {env}'s {address} ({shown}), which {env}'s "
                    "state manages"
                )
            out.append(
                Finding(
                    kind=FindingKind.ISOLATION,
                    severity=Severity.HIGH,
                    resource_id=record.id or key,
                    address=record.address,
                    type=record.tf_type,
                    attribute="id",
                    actual=record.id,
                    message=message,
                )
            )
            break
    return out
