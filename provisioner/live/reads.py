"""The requests that read an environment, derived from the registry.

Nothing here knows a resource type by name: a type's `Listing` says where Azure lists it,
its api-version how to ask. An environment is read as:

- per resource group: the group itself (a GET), the generic resources list (every
  top-level resource of any type, without `properties`), one typed list per registered
  type that needs `properties` (those the state names at once, the rest as the generic
  list reveals them), and one list per scope-placed type (role assignments);
- per parent resource (a PostgreSQL server): one list per child type;
- the subscription's resources tagged `environment=<name>` outside those groups.

Resource Graph replaces the per-group top-level reads with one query; the other reads
stay. `Read.covers` says what a successful read proves absent when a resource is not in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.model import ANY_TOP_LEVEL, ResourceId
from provisioner.registry import TypeSpec, by_arm_type, children_of, listed_at
from provisioner.registry.resource_groups import RESOURCE_GROUP
from provisioner.registry.spec import Placement

ENVIRONMENT_TAG = "environment"
# The `what` of the tag-scope read: it covers nothing (a resource found there is extra).
TAGGED = "resources tagged environment="


@dataclass(frozen=True)
class Read:
    """One request: a list under `scope`, or (`fetch`) a GET of `scope` itself."""

    scope: str  # the ID listed under, or the ID read
    what: str  # the ARM type listed (`*`: every top-level type), for coverage and messages
    path: str
    api_version: str
    params: tuple[tuple[str, str], ...] = ()
    fetch: bool = False
    # A scope-placed list returns `what` at any depth under `scope` (role assignments).
    subtree: bool = False


def group_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def group_reads(subscription: str, group: str, types: Iterable[TypeSpec] = ()) -> list[Read]:
    """The group, its generic list, typed lists for `types`, and its scope-placed lists."""
    rg = group_id(subscription, group)
    api = RESOURCE_GROUP.api_version
    return [
        Read(rg, RESOURCE_GROUP.arm_type, rg, api, fetch=True),
        Read(rg, ANY_TOP_LEVEL, f"{rg}/resources", api),
        *(typed_list(subscription, group, spec) for spec in types if needs_typed_read(spec)),
        *scope_reads(subscription, group),
    ]


def typed_list(subscription: str, group: str, spec: TypeSpec) -> Read:
    rg = group_id(subscription, group)
    return Read(rg, spec.arm_type, f"{rg}/providers/{spec.arm_type}", spec.api_version)


def scope_reads(subscription: str, group: str) -> list[Read]:
    rg = group_id(subscription, group)
    return [
        Read(rg, spec.arm_type, f"{rg}/providers/{spec.arm_type}", spec.api_version, subtree=True)
        for spec in listed_at(Placement.SCOPE)
    ]


def child_reads(parent: ResourceId) -> list[Read]:
    """One list per child type of `parent` (a server's firewall rules and databases)."""
    return [
        Read(str(parent), spec.arm_type, f"{parent}/{spec.child_segment}", spec.api_version)
        for spec in children_of(parent.arm_type)
    ]


def tagged_read(subscription: str, environment: str) -> Read:
    """The subscription's resources with an `environment` tag (generic bodies).

    ARM compares tag values case-sensitively and Resource Graph's query does not, so the
    value is matched here (`tagged_for`), as Resource Graph matches it: `Prod` is prod's.
    """
    odata = f"tagName eq '{ENVIRONMENT_TAG}'"
    return Read(
        f"/subscriptions/{subscription}",
        TAGGED + environment,
        f"/subscriptions/{subscription}/resources",
        RESOURCE_GROUP.api_version,
        params=(("$filter", odata),),
    )


def tagged_for(body: Mapping[str, Any], environment: str) -> bool:
    """Whether a body's `environment` tag names `environment` (in any case)."""
    tags = body.get("tags")
    value = tags.get(ENVIRONMENT_TAG) if isinstance(tags, Mapping) else None
    return isinstance(value, str) and value.lower() == environment.lower()


def get_read(rid: ResourceId) -> Read:
    """A GET of one resource of a registered type."""
    spec = by_arm_type(rid.arm_type)
    if spec is None:
        raise LookupError(f"no api-version known for {rid.arm_type}")
    return Read(str(rid), rid.arm_type, str(rid), spec.api_version, fetch=True)


def needs_typed_read(spec: TypeSpec) -> bool:
    """A top-level type whose generic-list body lacks what its table compares."""
    return spec.is_top_level and spec.reads_properties


def has_children(arm_type: str) -> bool:
    return bool(children_of(arm_type))
