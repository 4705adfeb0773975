"""The documents the isolation analyser reads: each environment's state, Azure and plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from provisioner.analysers.isolation.tokens import id_key
from provisioner.registry import tf_type_for_arm

if TYPE_CHECKING:  # types only: the analyser reads records, it never parses documents
    from provisioner.state.plan import Plan
    from provisioner.state.reader import StateDocument


@dataclass(frozen=True)
class EnvironmentData:
    """What azprov knows about one environment, from any source that was available."""

    name: str
    state_key: str
    state: StateDocument | None = None
    # ARM bodies (an `Inventory`'s or snapshot's), secrets already redacted.
    live: Sequence[Mapping[str, Any]] | None = None
    # The plan about to be applied; only the target environment of `azprov audit` has one.
    planned: Plan | None = None


class Source(NamedTuple):  # a record made for every document of every environment: cheap
    """One document of one environment: a state record, an ARM body or a planned object."""

    env: str
    origin: str  # "state", "Azure" or "plan"
    key: str  # resource ID (lower case) or, without one, the address
    resource_id: str
    address: str | None
    tf_type: str | None
    type_names: frozenset[str]  # tf and ARM type, lower case, for OWNED's type limits
    doc: Mapping[str, Any]
    sensitive: frozenset[str] = frozenset()

    @property
    def owner(self) -> str:
        """The resource as a reviewer knows it: its address, or its type and name."""
        if self.address:
            return self.address
        name = self.resource_id.rstrip("/").rsplit("/", 1)[-1]
        return f"{self.tf_type or next(iter(self.type_names), 'resource')} {name}"


def sources(env: EnvironmentData) -> list[Source]:
    """Every document of `env`: state records first (they carry addresses), Azure, the plan."""
    out: list[Source] = []
    addresses: dict[str, tuple[str, str]] = {}
    for record in env.state.resources if env.state else ():
        raw_id = record.id
        key = id_key(raw_id) if raw_id else None
        if key:
            addresses[key] = (record.address, record.tf_type)
        out.append(
            Source(
                env.name, "state", key or record.address, raw_id or record.address,
                record.address, record.tf_type, frozenset({record.tf_type.lower()}),
                record.attributes, record.sensitive_paths,
            )
        )  # fmt: skip
    for body in env.live or ():
        raw_id = str(body.get("id") or "")
        key = id_key(raw_id)
        if key is None:
            continue
        arm_type = str(body.get("type") or "")
        address, tf_type = addresses.get(key, (None, tf_type_for_arm(arm_type)))
        names = {arm_type.lower(), (tf_type or "").lower()} - {""}
        out.append(Source(env.name, "Azure", key, raw_id, address, tf_type, frozenset(names), body))
    plan = env.planned
    by_address = {a: k for k, (a, _) in addresses.items()}
    for change in plan.resource_changes if plan else ():
        if change.mode != "managed" or not isinstance(change.after, Mapping):
            continue
        raw_id = change.after.get("id")
        key = id_key(raw_id) if isinstance(raw_id, str) else None
        key = key or by_address.get(change.address)
        shown_id = raw_id if key and isinstance(raw_id, str) and id_key(raw_id) else key
        out.append(
            Source(
                env.name, "plan", key or change.address, shown_id or change.address,
                change.address, change.type, frozenset({change.type.lower()}), change.after,
            )
        )  # fmt: skip
    return out


def where(origins: tuple[str, ...]) -> str:
    """Where the value was seen: a leak only in Azure is drift, one only in the plan is new."""
    if origins == ("Azure",):
        return "found in Azure only, not in the state"
    if origins == ("plan",):
        return "set by the plan"
    named = [o if o == "Azure" else f"the {o}" for o in origins]
    return "found in " + (
        named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    )
