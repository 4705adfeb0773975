"""One Azure Resource Graph query per environment: its resource groups and what they hold.

Resource Graph answers with up to 1,000 resources a page, properties included, where the
list path makes one call per resource group and type. It indexes top-level resources (not
PostgreSQL firewall rules or databases: those stay per-server lists), can lag writes by
seconds to minutes and may strip fields, so it is a screen: `pipeline.verify` confirms
everything it flags with a direct GET before reporting it.

The request (api-version 2021-03-01), sent through the same ARM pipeline as every read::

    POST {endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01
    {"subscriptions": ["<id>"], "query": "<graph_query(...)>",
     "options": {"$top": 1000, "$skipToken": "<from the previous page>",
                 "resultFormat": "objectArray"}}

and each page: `{"totalRecords", "count", "data": [row, ...], "$skipToken"?,
"resultTruncated"}`, rows holding the projected columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.live.arm import ArmClient, MalformedResponse
from provisioner.live.reads import ENVIRONMENT_TAG
from provisioner.model import ResourceId
from provisioner.registry import canonical_id

Body = dict[str, Any]
PAGE_SIZE = 1000  # Resource Graph's largest page
MAX_PAGES = 1000  # a million rows; a token that never ends is cut here
COLUMNS = (
    "id",
    "name",
    "type",
    "location",
    "resourceGroup",
    "subscriptionId",
    "tags",
    "sku",
    "kind",
    "identity",
    "properties",
)
# Columns a Resource Graph row has that an ARM GET body does not.
_GRAPH_ONLY = ("resourceGroup", "subscriptionId")


class IncompleteResult(Exception):
    """Resource Graph truncated the result without a token to page on."""


def kql_string(value: str) -> str:
    """A KQL string literal; resource group names cannot hold quotes, config values might."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def graph_query(resource_groups: Iterable[str], environment: str = "") -> str:
    """The environment's resources and resource groups, in one query.

    Resources are those in its resource groups plus any tagged `environment=<name>`
    elsewhere in the subscription; resource groups come from `resourcecontainers`.
    Sorted by ID so that pages do not shift while they are read.
    """
    groups = ", ".join(kql_string(g) for g in dict.fromkeys(resource_groups))
    where = [f"resourceGroup in~ ({groups})"] if groups else []
    if environment:
        where.append(f"tags[{kql_string(ENVIRONMENT_TAG)}] =~ {kql_string(environment)}")
    matches = " or ".join(where) or "false"
    rg_match = f"name in~ ({groups})" if groups else "false"
    columns = ", ".join(COLUMNS)
    return (
        f"resources | where {matches} "
        f"| union (resourcecontainers "
        f"| where type =~ 'microsoft.resources/subscriptions/resourcegroups' and {rg_match}) "
        f"| project {columns} | order by id asc"
    )


def query_environment(
    arm: ArmClient, resource_groups: Iterable[str], environment: str = ""
) -> list[Body]:
    """Every page of `graph_query`, as ARM-shaped bodies (see `body_from_row`)."""
    rows = query_rows(arm, graph_query(resource_groups, environment))
    return [body for body in map(body_from_row, rows) if body is not None]


def changes_query(subscription: str, resource_groups: Iterable[str]) -> str:
    """The last 14 days of recorded changes to anything in the groups (or the groups)."""
    targets = []
    for group in dict.fromkeys(g.lower() for g in resource_groups):
        rg_id = f"/subscriptions/{subscription}/resourcegroups/{group}".lower()
        targets.append(f"target == {kql_string(rg_id)}")
        targets.append(f"target startswith {kql_string(rg_id + '/')}")
    matches = " or ".join(targets) or "false"
    return (
        "resourcechanges "
        "| extend target = tolower(tostring(properties.targetResourceId)) "
        f"| where {matches} "
        "| project properties"
    )


def query_changes(arm: ArmClient, resource_groups: Iterable[str]) -> list[dict[str, Any]]:
    """Resource Graph's change records for the groups: each row's `properties`, as stored."""
    rows = query_rows(arm, changes_query(arm.subscription_id, resource_groups))
    return [row["properties"] for row in rows if isinstance(row, Mapping)
            and isinstance(row.get("properties"), dict)]  # fmt: skip


def query_rows(arm: ArmClient, query: str) -> list[Any]:
    """Every row of a Resource Graph query, page by page (`$skipToken`)."""
    rows: list[Any] = []
    skip_token: str | None = None
    tokens: set[str] = set()
    for _ in range(MAX_PAGES):
        options: dict[str, Any] = {"$top": PAGE_SIZE, "resultFormat": "objectArray"}
        if skip_token:
            options["$skipToken"] = skip_token
        page = arm.post_graph(
            {"subscriptions": [arm.subscription_id], "query": query, "options": options}
        )
        data = page.get("data")
        if not isinstance(data, list):
            raise MalformedResponse(200, "a Resource Graph page has no rows")
        rows += data
        token = page.get("$skipToken")
        if not token:
            if str(page.get("resultTruncated")).lower() == "true":
                raise IncompleteResult("Resource Graph truncated the result without a page token")
            return rows
        if not isinstance(token, str) or token in tokens:
            raise IncompleteResult("Resource Graph's page tokens repeat")
        tokens.add(token)
        skip_token = token
    raise IncompleteResult(f"Resource Graph returned more than {MAX_PAGES} pages")


def body_from_row(row: Any) -> Body | None:
    """A Resource Graph row in the shape an ARM GET returns, or None if azprov skips it.

    ARG adds `resourceGroup`/`subscriptionId`, lower-cases `type` and fills absent columns
    with null or ""; the ARM body has none of these. Nested resources ARG happens to index
    are skipped: the list path does not see them either, and coverage is top-level only.
    """
    if not isinstance(row, Mapping):
        return None
    try:
        rid = canonical_id(str(row["id"]))
    except (KeyError, ValueError):
        return None
    if not _is_top_level(rid):
        return None
    body: Body = {
        key: value
        for key, value in row.items()
        if key not in _GRAPH_ONLY and value is not None and value != ""
    }
    body["id"] = str(row["id"])
    body["type"] = rid.arm_type
    return body


def _is_top_level(rid: ResourceId) -> bool:
    parent = rid.parent
    if parent is None:
        return False
    if rid.arm_type == "Microsoft.Resources/resourceGroups":
        return True
    return parent.arm_type == "Microsoft.Resources/resourceGroups"
