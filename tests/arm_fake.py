"""Serve an `Environment`'s ARM bodies through `responses`, the way ARM would.

The real SDK clients make the requests and deserialize the JSON, so a change in the
SDK's model shapes shows up here rather than in users' hands.

Besides ARM's GETs and lists, the fake answers Azure Resource Graph queries
(`POST /providers/Microsoft.ResourceGraph/resources`): it reads the resource groups and the
environment tag from the query's KQL, pages on `$top`/`$skipToken`, and returns rows the
way ARG does (lower-case `type`, `resourceGroup`/`subscriptionId` columns, nulls for absent
columns). `graph_view` gives ARG its own, possibly lagging, view of some resources.
Every request is logged with its method; a POST anywhere else is refused (405).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from provisioner import pipeline
from provisioner.config import Environment as ConfigEnvironment
from provisioner.live import ArmClient, Connection, Inventory, Scope, Throttle, read_inventory
from provisioner.live.credentials import StaticTokenCredential
from provisioner.model import Analysis, ResourceId
from provisioner.registry import Placement, by_arm_type, children_of, listed_at
from provisioner.state import parse_state
from tests.factories import ARM, Environment

# What the generic resources list returns of each resource: no `properties`.
GENERIC_FIELDS = ("id", "name", "type", "location", "tags", "kind", "sku", "identity")
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
RG_GRAPH_TYPE = "microsoft.resources/subscriptions/resourcegroups"

# (status, headers, body); a `str` body is sent as it is (an HTML error page, broken JSON).
Canned = tuple[int, dict[str, str], dict[str, Any] | str]


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class ArmFake:
    """Routes requests under the ARM endpoint to the environment's bodies."""

    env: Environment
    page_size: int = 0  # 0: no paging; else split lists and follow nextLink
    # Path suffix (lower case) -> (status, body) to answer instead, e.g. a 403.
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    endpoint: str = ARM
    requests: list[str] = field(default_factory=list)  # paths, in order
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    # Path suffix (lower case) -> responses served once each, in order, before the real one;
    # status 0 drops the connection instead. GRAPH_PATH scripts the inventory's queries,
    # CHANGES the change records' (the two are sent side by side).
    scripted: dict[str, list[Canned]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # added to every response
    # Resource Graph: rows a page holds at most (the client asks for `$top`).
    graph_page_size: int = 1000
    # ID key -> what ARG shows for it (a stale or stripped body), or None: not indexed.
    graph_view: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    graph_queries: list[dict[str, Any]] = field(default_factory=list)
    # Called with (method, path) as each request arrives, on the requesting thread.
    on_request: Callable[[str, str], None] | None = None
    # Resource Graph's `resourcechanges` records (each row's `properties`), in no order.
    change_rows: list[dict[str, Any]] = field(default_factory=list)
    # Activity Log events (`eventtypes/management/values`), as ARM returns them.
    activity_events: list[dict[str, Any]] = field(default_factory=list)
    # Role definitions (custom roles) by GUID, lower case: `GET {scope}/providers/
    # Microsoft.Authorization/roleDefinitions/{guid}` answers with the body.
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def install(self, rsps: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(self.endpoint) + r"/.*")
        for method in (responses.GET, responses.POST):
            rsps.add_callback(
                method, pattern, callback=self._answer, content_type="application/json"
            )

    @property
    def graph_requests(self) -> int:
        """Resource Graph inventory queries (pages included), not change-record queries."""
        return sum(1 for q in self.graph_queries if not _is_changes(q["query"]))

    @property
    def change_queries(self) -> int:
        return sum(1 for q in self.graph_queries if _is_changes(q["query"]))

    def _answer(self, request: Any) -> tuple[int, Mapping[str, str], str]:
        url = urlsplit(request.url)
        path = url.path.rstrip("/")
        self.requests.append(path)
        self.calls.append((request.method, path))
        if self.on_request is not None:
            self.on_request(request.method, path)
        query = parse_qs(url.query)
        assert "api-version" in query, f"no api-version on {request.url}"
        if request.method == "POST" and path.lower().endswith(GRAPH_PATH):
            self.graph_queries.append(json.loads(request.body))  # answered or not
        status, headers, body = self._respond(request, path, query)
        if status == 0:  # scripted: the connection drops before any answer
            raise requests.ConnectionError("connection reset by the fake")
        return (
            status,
            {**self.headers, **headers},
            body if isinstance(body, str) else json.dumps(body),
        )

    def _respond(self, request: Any, path: str, query: dict[str, list[str]]) -> Canned:
        lower = path.lower()
        changes = (
            request.method == "POST"
            and lower.endswith(GRAPH_PATH)
            and _is_changes(json.loads(request.body)["query"])
        )
        for suffix, queue in self.scripted.items():
            if (suffix == CHANGES if changes else lower.endswith(suffix)) and queue:
                return queue.pop(0)
        for suffix, (status, body) in self.failures.items():
            if lower.endswith(suffix):
                return status, {}, body
        if request.method == "POST":
            if lower.endswith(GRAPH_PATH):
                return 200, {}, self._graph(json.loads(request.body))
            return 405, {}, error_body("MethodNotAllowed", "The fake only reads.")
        status, body = self._route(path, query)
        if status == 200 and "value" in body and self.page_size:
            body = self._page(body["value"], request.url, int(query.get("$skiptoken", ["0"])[0]))
        return status, {}, body

    def _page(self, items: list[Any], url: str, start: int) -> dict[str, Any]:
        page: dict[str, Any] = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            base = re.sub(r"[&?]\$skiptoken=\d+", "", url)
            page["nextLink"] = f"{base}&$skiptoken={start + self.page_size}"
        return page

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """Answer a GET the way ARM does, for any type the registry declares."""
        parts = path.strip("/").split("/")
        lower = [p.lower() for p in parts]
        if len(parts) == 3 and lower[2] == "resources":
            return 200, {"value": self._tagged(query.get("$filter", [""])[0])}
        if len(parts) == 4 and lower[2] == "providers":
            return 200, self._provider(parts[3])
        if lower[2:] == ["providers", "microsoft.insights", "eventtypes", "management", "values"]:
            return 200, {"value": self._activity(query.get("$filter", [""])[0])}
        if len(parts) >= 4 and lower[-2] == "roledefinitions":
            definition = self.role_definitions.get(lower[-1])
            if definition is None:
                return 404, error_body(
                    "RoleDefinitionDoesNotExist", "The specified role definition does not exist."
                )
            return 200, definition
        rg_path = "/" + "/".join(parts[:4]).lower()
        if rg_path not in self.env.bodies:
            return 404, error_body(
                "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found."
            )
        if len(parts) == 4:
            return 200, self.env.bodies[rg_path]
        if len(parts) == 5 and lower[4] == "resources":
            items = [_generic(b) for b in self.env.bodies.values() if _parent(b["id"]) == rg_path]
            return 200, {"value": items}
        spec = by_arm_type("/".join(parts[5:7])) if len(parts) == 7 else None
        if spec is not None and spec.listed.placement is Placement.SCOPE:
            return 200, {"value": self._assignments(rg_path)}
        if spec is not None:
            return 200, {"value": self.env.bodies_of(spec.arm_type, rg_path)}
        parent_path = "/" + "/".join(parts[:-1]).lower()
        if len(parts) % 2 == 1 and len(parts) > 8:  # a child list: {parent}/{segment}
            if parent_path not in self.env.bodies:
                return 404, error_body(
                    "ParentResourceNotFound", f"The parent resource '{parts[-2]}' was not found."
                )
            child_type = f"{self.env.bodies[parent_path]['type']}/{parts[-1]}"
            return 200, {"value": self.env.bodies_of(child_type, parent_path)}
        body = self.env.bodies.get(path.lower())
        if body is None:
            return 404, error_body("ResourceNotFound", f"The Resource '{parts[-1]}' was not found.")
        return 200, body

    def _activity(self, odata: str) -> list[dict[str, Any]]:
        """Events of the resource group the filter names, in its time window."""
        found = re.fullmatch(
            r"eventTimestamp ge '([^']+)' and eventTimestamp le '([^']+)' and "
            r"resourceGroupName eq '([^']+)'",
            odata,
        )
        assert found, f"unexpected Activity Log filter {odata!r}"
        since, until, group = found.groups()
        return [
            e for e in self.activity_events
            if f"/resourcegroups/{group.lower()}/" in str(e.get("resourceId", "")).lower() + "/"
            and since <= str(e.get("eventTimestamp")) <= until
        ]  # fmt: skip

    def _tagged(self, odata: str) -> list[dict[str, Any]]:
        """The subscription's resources that carry a tag (`tagName eq 'x'`), generic bodies."""
        found = re.fullmatch(r"tagName eq '([^']*)'", odata)
        assert found, f"unexpected $filter {odata!r}"
        name = found.group(1).lower()
        return [
            _generic(b)
            for key, b in self.env.bodies.items()
            if len(key.strip("/").split("/")) == 8
            and any(k.lower() == name for k in (b.get("tags") or {}))
        ]

    def _assignments(self, rg_path: str) -> list[dict[str, Any]]:
        """Role assignments at or under the group, and those inherited from above it."""
        subscription = "/".join(rg_path.split("/")[:3])
        return [
            b
            for key, b in self.env.bodies.items()
            if str(b["type"]).lower() == "microsoft.authorization/roleassignments"
            and key.startswith((rg_path + "/", subscription + "/providers/"))
        ]

    def _provider(self, namespace: str) -> dict[str, Any]:
        """`GET /subscriptions/{id}/providers/{namespace}`: the types the fake holds."""
        types = sorted(
            {
                str(b["type"]).split("/", 1)[1]
                for b in self.env.bodies.values()
                if str(b["type"]).lower().startswith(namespace.lower() + "/")
            }
        )
        return {
            "namespace": namespace,
            "registrationState": "Registered",
            "resourceTypes": [
                {"resourceType": t, "apiVersions": ["2099-01-01-preview", "2024-01-01"]}
                for t in types
            ],
        }

    # -- Azure Resource Graph ------------------------------------------------------------

    def _graph(self, request: dict[str, Any]) -> dict[str, Any]:
        assert request["subscriptions"] == [self.env.subscription], request["subscriptions"]
        options = request.get("options") or {}
        assert options.get("resultFormat") == "objectArray", options
        kql = request["query"]
        if _is_changes(kql):
            return self._page_rows(self._changes(kql), options)
        groups = _kql_list(kql, "resourceGroup")
        tagged = re.search(r"tags\['environment'\]\s*=~\s*'([^']*)'", kql)
        rows = self._graph_rows(groups, tagged.group(1).lower() if tagged else None)
        if "resourcecontainers" in kql.lower():
            names = _kql_list(kql, "name")
            rows += [
                _graph_row(b, RG_GRAPH_TYPE)
                for key, b in self._graph_bodies()
                if len(key.strip("/").split("/")) == 4 and str(b["name"]).lower() in names
            ]
        rows.sort(key=lambda r: str(r["id"]).lower())
        return self._page_rows(rows, options)

    def _changes(self, kql: str) -> list[dict[str, Any]]:
        """Change rows whose target the query's `==` / `startswith` literals select."""
        exact = set(re.findall(r"target == '([^']*)'", kql))
        prefixes = tuple(re.findall(r"target startswith '([^']*)'", kql))
        return [
            {"properties": row}
            for row in self.change_rows
            if (target := str(row.get("targetResourceId", "")).lower()) in exact
            or target.startswith(prefixes)
        ]

    def _page_rows(self, rows: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
        start = int(options.get("$skipToken") or 0)
        size = min(int(options.get("$top") or 100), self.graph_page_size)
        page: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(rows[start : start + size]),
            "data": rows[start : start + size],
            "facets": [],
            "resultTruncated": "false",
        }
        if start + size < len(rows):
            page["$skipToken"] = str(start + size)
        return page

    def _graph_bodies(self) -> list[tuple[str, dict[str, Any]]]:
        merged: dict[str, dict[str, Any] | None] = {**self.env.bodies, **self.graph_view}
        return [(key, body) for key, body in merged.items() if body is not None]

    def _graph_rows(self, groups: set[str], environment: str | None) -> list[dict[str, Any]]:
        rows = []
        for key, body in self._graph_bodies():
            parts = key.strip("/").split("/")
            if len(parts) != 8 or parts[4] != "providers":
                continue  # ARG does not index PostgreSQL firewall rules or databases
            tag = str((body.get("tags") or {}).get("environment", "")).lower()
            if parts[3] in groups or (environment is not None and tag == environment):
                rows.append(_graph_row(body, str(body["type"]).lower()))
        return rows


def _graph_row(body: dict[str, Any], graph_type: str) -> dict[str, Any]:
    """A body as an ARG row: the projected columns, lower-case type, nulls for absent ones."""
    parts = str(body["id"]).strip("/").split("/")
    location = body.get("location")
    return {
        "id": body["id"],
        "name": body["name"],
        "type": graph_type,
        "location": str(location).replace(" ", "").lower() if location else None,
        "resourceGroup": parts[3].lower(),
        "subscriptionId": parts[1],
        "tags": body.get("tags") or {},
        "sku": body.get("sku"),
        "kind": body.get("kind", ""),
        "identity": body.get("identity"),
        "properties": body.get("properties"),
    }


def _kql_list(kql: str, column: str) -> set[str]:
    """The lower-cased string literals of `column in~ ('a', 'b')`."""
    found = re.search(rf"\b{column}\s+in~\s*\(([^)]*)\)", kql)
    return {s.lower() for s in re.findall(r"'([^']*)'", found.group(1))} if found else set()


# The `scripted` key of Resource Graph's change-records query.
CHANGES = "resourcechanges"


def _is_changes(kql: str) -> bool:
    return kql.lstrip().lower().startswith("resourcechanges")


def _generic(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in GENERIC_FIELDS if k in body}


def _parent(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    cut = 4 if len(parts) >= 4 and parts[-4].lower() == "providers" else 2
    return "/" + "/".join(parts[:-cut]).lower()


# -- running azprov's live side against the fake, with a clock that never sleeps -----------


@dataclass
class FakeClock:
    """Monotonic and wall clocks that move only when azprov sleeps."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)
    epoch: float = 1_795_000_000.0  # wall clock at `now == 0` (late 2026)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.epoch + self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class LiveRun:
    analysis: Analysis
    inventory: Inventory
    throttle: Throttle


def run_verify(
    state: Environment,
    *,
    resource_graph: bool = True,
    clock: FakeClock | None = None,
    budget_s: float = 60.0,
    workers: int = 4,
    throttle: Throttle | None = None,
) -> LiveRun:
    """`pipeline.verify` on `state` against whatever the installed fake serves."""
    clock = clock or FakeClock()
    throttle = throttle or Throttle(
        workers=workers,
        budget_s=budget_s,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall_clock=clock.wall,
    )
    seen: list[Inventory] = []

    def read(scope: Scope) -> Inventory:
        connection = Connection(
            scope.subscription_id, StaticTokenCredential("test-token-not-real"), workers=workers
        )
        inventory = read_inventory(
            ArmClient(connection, throttle), scope, resource_graph=resource_graph
        )
        seen.append(inventory)
        return inventory

    config = ConfigEnvironment(state.name, f"{state.name}.tfstate", f"{state.name}.tfvars")
    analysis = pipeline.verify(
        config, lambda: parse_state(json.dumps(state.state_v4()), "state"), read
    )
    return LiveRun(analysis, seen[0], throttle)


# -- how many requests a read should make, derived from the registry -----------------------


def _top_level_types(env: Environment, state: Environment, group_key: str) -> set[str]:
    """Registered types needing a typed list in one group: the state's and Azure's."""
    found = {
        str(b["type"]).lower() for b in env.bodies.values() if _parent(str(b["id"])) == group_key
    }
    found |= {
        str(r["instances"][0]["attributes"]["id"]).split("/providers/")[1].rsplit("/", 1)[0].lower()
        for r in state.state_resources
        if "/providers/" in str(r["instances"][0]["attributes"]["id"])
        and _parent(str(r["instances"][0]["attributes"]["id"])) == group_key
    }
    specs = (by_arm_type(t) for t in found)
    return {s.arm_type for s in specs if s and s.is_top_level and s.reads_properties}


def _parents(env: Environment, state: Environment) -> set[str]:
    """IDs of resources, in the state or in Azure, that have child types to list."""
    ids = {str(b["id"]).lower() for b in env.bodies.values()}
    ids |= {str(r["instances"][0]["attributes"]["id"]).lower() for r in state.state_resources}
    return {i for i in ids if children_of(ResourceId.parse(i).arm_type)}


def list_path_requests(env: Environment, state: Environment | None = None) -> int:
    """Requests the list path makes for `state`'s groups against what `env` serves.

    Per group: the group, its generic list, one typed list per registered type present in
    the state or in Azure, one list per scope-placed type; the tag read; one list per
    parent and child type; the change records' query. (Tagged resources outside the
    groups add a GET each.)
    """
    state = state or env
    groups = {_parent(str(r["instances"][0]["attributes"]["id"])) for r in state.state_resources}
    groups = {g for g in groups if g.count("/") == 4}
    per_group = sum(
        2 + len(_top_level_types(env, state, g)) + len(listed_at(Placement.SCOPE)) for g in groups
    )
    children = sum(len(children_of(ResourceId.parse(p).arm_type)) for p in _parents(env, state))
    return per_group + 1 + children + 1  # and the change records' query


def graph_path_requests(env: Environment, state: Environment | None = None, pages: int = 1) -> int:
    """Requests the Resource Graph path makes before confirming anything it flags."""
    state = state or env
    groups = {_parent(str(r["instances"][0]["attributes"]["id"])) for r in state.state_resources}
    groups = {g for g in groups if g.count("/") == 4}
    scopes = len(groups) * len(listed_at(Placement.SCOPE))
    children = sum(len(children_of(ResourceId.parse(p).arm_type)) for p in _parents(env, state))
    return pages + scopes + children + 1  # and the change records' query
