"""Serve an `Environment`'s ARM bodies through `responses`, the way ARM would.

The real SDK clients make the requests and deserialize the JSON, so a change in the
SDK's model shapes shows up here rather than in users' hands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from tests.factories import ARM, Environment

LIST_TYPES = {
    "microsoft.operationalinsights/workspaces",
    "microsoft.app/managedenvironments",
    "microsoft.app/containerapps",
    "microsoft.containerregistry/registries",
    "microsoft.dbforpostgresql/flexibleservers",
}
CHILD_TYPES = {"firewallrules", "databases"}
GENERIC_FIELDS = ("id", "name", "type", "location", "tags", "kind", "sku", "identity")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class ArmFake:
    """Routes GETs under the ARM endpoint to the environment's bodies."""

    env: Environment
    page_size: int = 0  # 0: no paging; else split lists and follow nextLink
    # Path suffix (lower case) -> (status, body) to answer instead, e.g. a 403.
    failures: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    endpoint: str = ARM
    requests: list[str] = field(default_factory=list)

    def install(self, rsps: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(self.endpoint) + r"/.*")
        rsps.add_callback(responses.GET, pattern, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, Mapping[str, str], str]:
        url = urlsplit(request.url)
        path = url.path.rstrip("/")
        self.requests.append(path)
        query = parse_qs(url.query)
        assert "api-version" in query, f"no api-version on {request.url}"
        for suffix, (status, body) in self.failures.items():
            if path.lower().endswith(suffix):
                return status, {"content-type": "application/json"}, json.dumps(body)
        status, body = self._route(path)
        if status == 200 and "value" in body and self.page_size:
            body = self._page(body["value"], request.url, int(query.get("$skiptoken", ["0"])[0]))
        return status, {"content-type": "application/json"}, json.dumps(body)

    def _page(self, items: list[Any], url: str, start: int) -> dict[str, Any]:
        page: dict[str, Any] = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            base = re.sub(r"[&?]\$skiptoken=\d+", "", url)
            page["nextLink"] = f"{base}&$skiptoken={start + self.page_size}"
        return page

    def _route(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        lower = [p.lower() for p in parts]
        rg_path = "/".join(parts[:4]).lower()
        rg_exists = f"/{rg_path}" in self.env.bodies
        if len(parts) == 4 and lower[2] == "resourcegroups":
            body = self.env.bodies.get(f"/{rg_path}")
            if body is None:
                return 404, error_body(
                    "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found."
                )
            return 200, body
        if not rg_exists:
            return 404, error_body(
                "ResourceGroupNotFound", f"Resource group '{parts[3]}' could not be found."
            )
        if len(parts) == 5 and lower[4] == "resources":
            rg_id = "/" + "/".join(parts[:4])
            items = [
                {k: b[k] for k in GENERIC_FIELDS if k in b}
                for b in self.env.bodies.values()
                if _parent(str(b["id"])) == rg_id.lower()
            ]
            return 200, {"value": items}
        if len(parts) == 7 and "/".join(lower[5:7]) in LIST_TYPES:
            arm_type = "/".join(parts[5:7])
            return 200, {"value": self.env.bodies_of(arm_type, "/" + "/".join(parts[:4]))}
        if len(parts) == 9 and lower[8] in CHILD_TYPES:
            server = "/" + "/".join(parts[:8])
            if server.lower() not in self.env.bodies:
                return 404, error_body(
                    "ResourceNotFound", f"The Resource '{parts[7]}' was not found."
                )
            return 200, {"value": self.env.bodies_of(f"{parts[5]}/{parts[6]}/{parts[8]}", server)}
        body = self.env.bodies.get(path.lower())
        if body is None:
            return 404, error_body("ResourceNotFound", f"The Resource '{parts[-1]}' was not found.")
        return 200, body


def _parent(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    cut = 4 if len(parts) >= 4 and parts[-4].lower() == "providers" else 2
    return "/" + "/".join(parts[:-cut]).lower()
