"""Isolation through identities: one environment's identity holding a role on another's resource.

A role assignment grants a principal a role at a scope. When the principal is an identity one
environment owns (a user-assigned identity's principal ID, or a resource's system-assigned
`identity.principalId`, from its state or from Azure) and the scope is, or lies under, another
environment's resource, that identity may act in the other environment: test's apps pulling
prod's images, prod's apps reading test's secrets.

Assignments are read from every environment: the same grant is often in one environment's
state and, in Azure, listed under the other's resource groups (where its scope is). A grant
concerns the target when either end is the target's, and is one finding on the assignment,
saying where it was seen. It replaces what the generic reference check would say about the
assignment's scope, principal and ID (`Grants.replaced`); so does a grant with a shared end,
which is deliberate and not reported. Unknown principals (people, groups, identities of no
environment read) and grants within one environment are left alone.

The role is named from the built-in table (`builtin_role_name`), else from the state's
`role_definition_name`, else by asking Azure for the custom definition through `role_names`
(only for grants reported, once per definition); failing that, by its GUID with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.analysers.isolation.owned import (
    PRINCIPAL_ID,
    SYSTEM_PRINCIPAL_ID,
    Index,
    Kind,
    Owned,
)
from provisioner.analysers.isolation.sources import Source
from provisioner.analysers.isolation.tokens import GUID, id_key
from provisioner.model import Finding, FindingKind, Severity, sanitize_text
from provisioner.registry import Attr, builtin_role_name
from provisioner.registry.authorization import ROLE_ASSIGNMENT

# Names a custom role from its definition ID; raises LookupError saying why it cannot.
RoleNames = Callable[[str], str]

_TYPES = frozenset({ROLE_ASSIGNMENT.tf_type.lower(), ROLE_ASSIGNMENT.arm_type.lower()})
_ASSIGNMENTS = "/providers/microsoft.authorization/roleassignments/"


def _paths(attribute: str) -> tuple[str, str]:
    """Where the registry reads an assignment's attribute: (state or plan, Azure)."""
    entry = ROLE_ASSIGNMENT.entry(attribute)
    assert isinstance(entry, Attr), attribute
    return entry.state, entry.arm


_SCOPE, _PRINCIPAL, _ROLE = _paths("scope"), _paths("principal_id"), _paths("role_definition_id")
# The generic findings a grant finding stands for: on the assignment's ID, scope, principal.
_REPLACED = frozenset({"id", *_SCOPE, *_PRINCIPAL})


@dataclass
class _Grant:
    """One role assignment as the documents that hold it say it is."""

    principal: str  # GUID, lower case
    scope: str  # as written
    role_definition: str
    sightings: list[Source] = field(default_factory=list)

    @property
    def first(self) -> Source:
        """The sighting a finding names: a state record (it has an address) if there is one."""
        return next((s for s in self.sightings if s.origin == "state"), self.sightings[0])

    def state_role_name(self) -> str | None:
        for source in self.sightings:
            name = source.doc.get("role_definition_name") if source.origin != "Azure" else None
            if isinstance(name, str) and name.strip():
                return name.strip()
        return None


@dataclass(frozen=True)
class Grants:
    """The grant findings, and the assignments the generic check must leave to them."""

    findings: list[Finding]
    # ID keys (or plan addresses, lower case) of assignments that join the target to another
    # environment: reported here, or deliberately allowed (an end is shared).
    settled: frozenset[str]

    def replaced(self, finding: Finding) -> bool:
        """Whether `finding` is the generic check's view of an assignment settled here."""
        return finding.attribute in _REPLACED and finding.resource_id.lower() in self.settled


def grant_findings(
    target: str,
    documents: Sequence[Sequence[Source]],
    index: Index,
    role_names: RoleNames | None = None,
) -> Grants:
    """A finding per role assignment, in any environment's documents, that grants one
    environment's identity a role on another environment's resource, one end the target's."""
    managed: dict[str, set[str]] = {}  # environment -> resource ID keys its state has
    for docs in documents:
        for source in docs:
            if source.origin == "state":
                managed.setdefault(source.env, set()).add(source.key)
    custom: dict[str, str] = {}  # custom role definition (lower case) -> how it is named
    found, settled = [], set[str]()
    for grant in _grants(documents):
        ends = _ends(grant, index, managed)
        if ends is None:
            continue
        identity, resource, exact = ends
        if target not in (identity.env, resource.env):
            continue  # another pair's business; what the target holds of it stays reported
        settled |= {s.resource_id.lower() for s in grant.sightings}
        if identity.shared or resource.shared:
            continue
        role = builtin_role_name(grant.role_definition) or grant.state_role_name()
        if not role:
            key = grant.role_definition.lower()
            if key not in custom:
                custom[key] = _custom_role(grant.role_definition, role_names)
            role = custom[key]
        found.append(_finding(grant, identity, resource, exact, role))
    return Grants(found, frozenset(settled))


def _grants(documents: Sequence[Sequence[Source]]) -> list[_Grant]:
    """Every role assignment the documents hold, one per assignment and value it was read with."""
    grants: dict[tuple[str, str, str], _Grant] = {}
    for docs in documents:
        for source in docs:
            if _TYPES.isdisjoint(source.type_names):
                continue
            side = 1 if source.origin == "Azure" else 0
            principal = _text(source.doc, _PRINCIPAL[side]).lower()
            scope = _text(source.doc, _SCOPE[side]) or _scope_of(source.key)
            if not GUID.fullmatch(principal) or not scope:
                continue  # a principal not known yet (a plan), or a body without one
            mark = (source.key, principal, (id_key(scope) or scope).lower())
            grant = grants.get(mark)
            if grant is None:
                role = _text(source.doc, _ROLE[side])
                grant = grants[mark] = _Grant(principal, scope, role)
            grant.sightings.append(source)
    return list(grants.values())


def _ends(
    grant: _Grant, index: Index, managed: Mapping[str, set[str]]
) -> tuple[Owned, Owned, bool] | None:
    """The identity and the resource a grant joins, when each belongs to one environment
    and the two environments differ."""
    identities = [
        o
        for o in index.owners(Kind.GUID, grant.principal)
        if o.label in (PRINCIPAL_ID, SYSTEM_PRINCIPAL_ID)
    ]
    resources, exact = index.id_owners(grant.scope)
    identity, resource = _one(identities, managed), _one(resources, managed)
    if identity is None or resource is None or identity.env == resource.env:
        return None  # nobody's identity or resource, or both in one environment
    return identity, resource, exact


def _one(owners: Sequence[Owned], managed: Mapping[str, set[str]]) -> Owned | None:
    """The one environment's owner among `owners`. Where several environments saw the
    resource (one whose state reaches into another's group reads that group too), the one
    whose state manages it owns it."""
    if len({o.env for o in owners}) > 1:
        owners = [o for o in owners if o.owner_key in managed.get(o.env, ())]
    return owners[0] if len({o.env for o in owners}) == 1 else None


def _custom_role(definition: str, role_names: RoleNames | None) -> str:
    """How a finding names a role neither the built-in table nor the state names."""
    guid = definition.rstrip("/").rsplit("/", 1)[-1]
    if not guid:
        return "a role not given"
    if role_names is None:
        return f"role {guid} (a custom role; its name is not known from files alone)"
    try:
        return role_names(definition)
    except LookupError as exc:
        return f"role {guid} (a custom role whose name could not be read: {exc})"


def _finding(grant: _Grant, identity: Owned, resource: Owned, exact: bool, role: str) -> Finding:
    source = grant.first
    if identity.label == SYSTEM_PRINCIPAL_ID:
        who = f"{identity.env}'s {identity.owner}, through its managed identity"
    else:
        who = f"{identity.env}'s identity {identity.owner}"
    scope = resource.describe() if exact else f"{grant.scope}, in {resource.describe()}"
    return Finding(
        kind=FindingKind.ISOLATION,
        severity=Severity.HIGH,
        resource_id=source.resource_id,
        address=source.address,
        type=ROLE_ASSIGNMENT.tf_type,
        attribute=_PRINCIPAL[0],
        actual=grant.principal,
        message=sanitize_text(
            f"{who} (principal {grant.principal}) holds {role} on {scope}; {_seen(grant.sightings)}"
        ),
    )


def _seen(sightings: Sequence[Source]) -> str:
    """Where the assignment was seen: whose state, Azure, the plan."""
    states = list(dict.fromkeys(s.env for s in sightings if s.origin == "state"))
    azure = any(s.origin == "Azure" for s in sightings)
    plan = any(s.origin == "plan" for s in sightings)
    if not states and not plan:
        return "found in Azure only, not in any state"
    if plan and not states and not azure:
        return "set by the plan"
    places = [f"{env}'s state" for env in states] + ["Azure"] * azure + ["the plan"] * plan
    return "found in " + (
        places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
    )


def _text(doc: Mapping[str, Any], path: str) -> str:
    """The string at a dotted path of `doc`, stripped, or ""."""
    node: Any = doc
    for step in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(step)
    return node.strip() if isinstance(node, str) else ""


def _scope_of(key: str) -> str:
    """An assignment's scope from its own ID (`{scope}/providers/.../roleAssignments/{x}`)."""
    head, found, _ = key.rpartition(_ASSIGNMENTS)
    return head if found else ""
