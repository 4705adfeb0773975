"""The documents the isolation analyser reads: each environment's state, Azure and plan.

A parent's copy of its children (a virtual network's `properties.subnets` in ARM, its
`subnet` blocks in the state) is not the parent's own business: a child that is a document
of its own in the same place (the subnet's ARM body, an `azurerm_subnet` record) is read
there alone, and any other copy is read as the child's document, so a reference in a subnet
is one finding on the subnet, not a second one on its network. Which lists are such copies
follows from the registry: the types listed under a parent (`children_of`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from provisioner.analysers.isolation.tokens import id_key
from provisioner.registry import TYPES, TypeSpec, children_of, tf_type_for_arm

if TYPE_CHECKING:  # types only: the analyser reads records, it never parses documents
    from provisioner.model import StateResource
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
    """Every document of `env`: state records first (they carry addresses), Azure, the plan;
    children copied inside a parent's document read as their own (see the module's note)."""
    out: list[Source] = []
    in_state: dict[str, StateResource] = {}  # ID key -> the state's record of it
    for record in env.state.resources if env.state else ():
        raw_id = record.id
        key = id_key(raw_id) if raw_id else None
        if key:
            in_state[key] = record
        out.append(
            Source(
                env.name, "state", key or record.address, raw_id or record.address,
                record.address, record.tf_type, type_names(record.tf_type),
                record.attributes, record.sensitive_paths,
            )
        )  # fmt: skip
    for body in env.live or ():
        raw_id = str(body.get("id") or "")
        key = id_key(raw_id)
        if key is None:
            continue
        arm_type = str(body.get("type") or "")
        known = in_state.get(key)
        tf_type = known.tf_type if known else tf_type_for_arm(arm_type)
        out.append(
            Source(
                env.name, "Azure", key, raw_id, known.address if known else None, tf_type,
                type_names(arm_type, tf_type) if arm_type and tf_type
                else type_names(*(name for name in (arm_type, tf_type) if name)), body,
            )
        )  # fmt: skip
    plan = env.planned
    by_address = {record.address: key for key, record in in_state.items()}
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
                change.address, change.type, type_names(change.type), change.after,
            )
        )  # fmt: skip
    return _children_apart(out, in_state)


@cache
def type_names(*names: str) -> frozenset[str]:
    """The type names a document is known by, lower case, as one shared set per type."""
    return frozenset(name.lower() for name in names)


@cache
def _inline_lists() -> dict[str, tuple[tuple[tuple[str, ...], TypeSpec], ...]]:
    """Type name (azurerm or ARM, lower case) -> where its documents copy children that
    Azure lists as resources of their own, and the child's entry.

    ARM keeps the copy at `properties.<child segment>` (`properties.subnets`); azurerm
    names the block after the child type, less the parent's name (`subnet`).
    """
    found: dict[str, tuple[tuple[tuple[str, ...], TypeSpec], ...]] = {}
    for parent in TYPES:
        for child in children_of(parent.arm_type):
            block = child.tf_type.removeprefix("azurerm_")
            block = block.removeprefix(parent.tf_type.removeprefix("azurerm_") + "_")
            for name, path in (
                (parent.arm_type.lower(), ("properties", child.child_segment)),
                (parent.tf_type.lower(), (block,)),
            ):
                found[name] = (*found.get(name, ()), (path, child))
    return found


@cache
def _copied_children(names: frozenset[str]) -> tuple[tuple[tuple[str, ...], TypeSpec], ...]:
    """Where documents of a type known by `names` copy children (`_inline_lists`)."""
    inline = _inline_lists()
    return tuple(entry for name in names for entry in inline.get(name, ()))


def _children_apart(docs: list[Source], in_state: Mapping[str, StateResource]) -> list[Source]:
    """`docs` with each parent's copies of its children taken out where the child is a
    document of its own: dropped beside one in the same place (origin), made the child's
    document beside one elsewhere (so the two merge into one finding). A copy of a child
    read nowhere else stays in its parent, the only place it is seen."""
    parents = [i for i, doc in enumerate(docs) if _copied_children(doc.type_names)]
    if not parents:
        return docs
    own: dict[str, set[str]] = {}  # origin -> keys of the documents from there
    for doc in docs:
        own.setdefault(doc.origin, set()).add(doc.key)
    anywhere = set().union(*own.values())
    out = docs[: parents[0]]
    for i in range(parents[0], len(docs)):
        doc = docs[i]
        lists = _copied_children(doc.type_names)
        if not lists:
            out.append(doc)
            continue
        body, children = doc.doc, list[Source]()
        for path, child in lists:
            body, copies = _without_copies(body, path, anywhere)
            for index, key, member in copies:
                if key in own[doc.origin]:
                    continue
                known = in_state.get(key)
                prefix = ".".join((*path, str(index))) + "."
                children.append(
                    doc._replace(
                        key=key, resource_id=str(member["id"]),
                        address=known.address if known else None, tf_type=child.tf_type,
                        type_names=type_names(child.tf_type, child.arm_type), doc=member,
                        sensitive=frozenset(
                            p.removeprefix(prefix) for p in doc.sensitive if p.startswith(prefix)
                        ),
                    )
                )  # fmt: skip
        out += [doc._replace(doc=body), *children] if body is not doc.doc else [doc]
    return out


def _without_copies(
    doc: Mapping[str, Any], path: tuple[str, ...], keys: set[str]
) -> tuple[Mapping[str, Any], list[tuple[int, str, Mapping[str, Any]]]]:
    """`doc` less the members of the list at `path` whose ID is in `keys`, and those members
    (index, ID key, member). A member taken out leaves `None` in its place, so the others
    keep the index their attribute paths show."""
    head, rest = path[0], path[1:]
    node = doc.get(head)
    if rest:
        if not isinstance(node, Mapping):
            return doc, []
        inner, copies = _without_copies(node, rest, keys)
        return ({**doc, head: inner} if copies else doc), copies
    if not isinstance(node, list):
        return doc, []
    copies = [
        (i, key, member)
        for i, member in enumerate(node)
        if isinstance(member, Mapping)
        and isinstance(member.get("id"), str)
        and (key := id_key(member["id"])) in keys
    ]
    if not copies:
        return doc, []
    taken = {i for i, _, _ in copies}
    return {**doc, head: [None if i in taken else m for i, m in enumerate(node)]}, copies


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
