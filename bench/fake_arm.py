"""A local HTTPS fake of Azure Resource Manager and Resource Graph, for the benchmark.

It serves one generated subscription the way ARM does: resource group GETs, the generic
`resources` list (per resource group, and the subscription's filtered by a tag name),
typed lists per resource group or subscription for any type, child lists per parent (a
server's firewall rules and databases, a network's subnets), role assignments listed at a
resource group (those at the group and under it), a GET per resource, `nextLink` paging,
and Resource Graph's `POST /providers/Microsoft.ResourceGraph/resources` with `$skipToken`
paging, whose `resources` table holds top-level resources only (not children, not role
assignments: those live in other tables). Every request waits `latency_s` before it is
answered, concurrently (one thread per connection, like a remote service that is slow but
not busy). An optional token bucket throttles reads with ARM's numbers, and Resource Graph
has its own quota. Requests are counted per route kind where they arrive, so a run's round
trips are measured, not estimated.

Standard library only, plus trustme for a certificate the client trusts through
`REQUESTS_CA_BUNDLE`. The fake is read-only: writes and POST actions (`listSecrets`) are
counted and refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import trustme

Body = dict[str, Any]

# ARM's read quota per subscription and principal: a bucket of 250 refilled at 25 per second.
ARM_READ_CAPACITY = 250
ARM_READ_REFILL_PER_S = 25.0
# Resource Graph's own quota: 15 queries per 5-second window per user.
GRAPH_CAPACITY = 15
GRAPH_REFILL_PER_S = 3.0
GRAPH_MAX_TOP = 1000  # Resource Graph's page size without $top, and the most $top allows
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
RG_TYPE = "microsoft.resources/subscriptions/resourcegroups"
# What the generic `resources` list returns of each resource: no `properties`.
GENERIC_FIELDS = ("id", "name", "type", "location", "tags", "kind", "sku", "identity", "managedBy")
JSON_TYPE = "application/json; charset=utf-8"

# Extension resource types: their IDs sit under the scope they apply to, and a list at a
# resource group returns those at the group and under it.
EXTENSION_TYPES = frozenset({"microsoft.authorization/roleassignments"})

# Route kinds the counters use, in the order the report prints them.
KINDS = (
    "graph",
    "resource_group_get",
    "resource_group_list",
    "resources_list",
    "typed_list",
    "child_list",
    "scope_list",
    "get",
    "child_get",
    "subscription",
    "provider",
    "refused",
    "other",
)


@dataclass(frozen=True)
class World:
    """One subscription as the fake serves it.

    `bodies` maps each resource ID (lower case) to the body a GET returns; lists are derived
    from it. `graph_bodies` overrides what Resource Graph returns for some IDs, because its
    index lags writes: a resource changed by a recent apply still shows the old body there.
    """

    subscription: str
    tenant: str
    bodies: Mapping[str, Body]
    graph_bodies: Mapping[str, Body] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """How the fake behaves; `replace()` it between runs."""

    latency_s: float = 0.05
    throttle: bool = False
    page_size: int = 100  # ARM list pages; Resource Graph pages follow `$top`
    token: str = "bench-token"  # noqa: S105 - the fake's expected bearer value, not a secret


class TokenBucket:
    """ARM's throttle: `capacity` tokens, refilled continuously; one token per request."""

    def __init__(
        self, capacity: int, refill_per_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.refill_per_s = refill_per_s
        self._clock = clock
        self._tokens = float(capacity)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int, int]:
        """(granted, tokens remaining, seconds to wait when refused)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.refill_per_s)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True, int(self._tokens), 0
            # ARM sends whole seconds; never 0, or clients would spin.
            wait = max(1, math.ceil((1 - self._tokens) / self.refill_per_s))
            return False, 0, wait

    def refill(self) -> None:
        with self._lock:
            self._tokens = float(self.capacity)
            self._at = self._clock()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def error(status: int, code: str, message: str) -> Answer:
    return Answer(status, _dump({"error": {"code": code, "message": message}}))


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _location_key(value: Any) -> Any:
    """Resource Graph reports `westeurope` where ARM may say `West Europe`."""
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _parent_key(resource_id: str) -> str:
    """The list path an ID is listed under: `.../providers/NS/type` or `.../parent/child`."""
    return resource_id.lower().rsplit("/", 1)[0]


def _extension_type(parts: list[str]) -> str | None:
    """`ns/type` of an extension resource's (lower-case) ID parts, else None."""
    if len(parts) >= 8 and parts[-4] == "providers":
        found = f"{parts[-3]}/{parts[-2]}"
        return found if found in EXTENSION_TYPES else None
    return None


class Index:
    """Lists and Resource Graph rows derived once from a `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        sub = f"/subscriptions/{world.subscription}".lower()
        self.subscription_key = sub
        self.lists: dict[str, list[Body]] = {}
        self.groups: set[str] = set()
        graph_rows: list[Body] = []
        container_rows: list[Body] = []
        for key, body in sorted(world.bodies.items()):
            parts = key.strip("/").split("/")
            if len(parts) == 4 and parts[2] == "resourcegroups":
                self.groups.add(key)
                self._add(f"{sub}/resourcegroups", body)
                container_rows.append(self._graph_row(world.graph_bodies.get(key, body)))
                continue
            if len(parts) < 8 or parts[4] != "providers":
                continue
            extension = _extension_type(parts)
            if extension is not None:
                # Listed at its resource group (at or under it) and at its own scope.
                rg_key = "/".join(key.split("/")[:5])
                self._add(f"{rg_key}/providers/{extension}", body)
                if len(parts) > 8:
                    self._add(_parent_key(key), body)
                continue
            self._add(_parent_key(key), body)
            if len(parts) == 8:  # top-level: also in the generic lists, and indexed by ARG
                thin = {k: body[k] for k in GENERIC_FIELDS if k in body}
                rg_key = "/".join(key.split("/")[:5])
                self._add(f"{rg_key}/resources", thin)
                self._add(f"{sub}/resources", thin)
                self._add(f"{sub}/providers/{parts[5]}/{parts[6]}", body)
                graph_rows.append(self._graph_row(world.graph_bodies.get(key, body)))
        self.graph_rows = graph_rows
        self.container_rows = container_rows

    def _add(self, list_key: str, body: Body) -> None:
        self.lists.setdefault(list_key, []).append(body)

    def _graph_row(self, body: Body) -> Body:
        rid = str(body["id"])
        parts = rid.strip("/").split("/")
        group = len(parts) == 4  # resourcecontainers spells the type with `subscriptions/`
        return {
            "id": rid,
            "name": body.get("name", parts[-1]),
            "type": RG_TYPE if group else str(body.get("type", "")).lower(),
            "tenantId": self.world.tenant,
            "kind": body.get("kind", ""),
            "location": _location_key(body.get("location", "")),
            "resourceGroup": parts[3].lower() if len(parts) >= 4 else "",
            "subscriptionId": self.world.subscription,
            "managedBy": body.get("managedBy", ""),
            "sku": body.get("sku"),
            "plan": None,
            "properties": body.get("properties") or {},
            "tags": body.get("tags") or {},
            "identity": body.get("identity"),
            "zones": body.get("zones"),
            "extendedLocation": None,
        }


# -- Resource Graph's query language, the part a scope query needs --------------------------

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


@dataclass(frozen=True)
class GraphQuery:
    """What the fake understands of a KQL query: tables, simple filters and `project`.

    Filters on `resourceGroup` and `type` and the columns of `project` are honoured only in
    a query over one table with no `or` and no `union`. Anything else (for example "these
    groups, or tagged for the environment") is answered with every row of the tables it
    names: the generated subscription holds nothing but the environment, so that is right.
    The `resourcechanges` table is empty: the world has no change history.
    """

    resources: bool
    containers: bool
    groups: frozenset[str] | None = None
    types: frozenset[str] | None = None
    columns: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> GraphQuery:
        strings: list[str] = []

        def stash(match: re.Match[str]) -> str:
            strings.append(match.group(0)[1:-1].lower())
            return f"\x00{len(strings) - 1}\x00"

        bare = _STRING.sub(stash, text).lower()
        words = set(re.findall(r"[a-z_][a-z0-9_]*", bare))
        if "resourcechanges" in words:
            return cls(resources=False, containers=False)
        resources = "resources" in words
        containers = "resourcecontainers" in words
        if not resources and not containers:
            resources = True  # a query that names no table reads `resources`
        if "or" in words or "union" in words or (resources and containers):
            return cls(resources, containers)  # filters and columns could belong to one branch
        groups = _filter_values(bare, "resourcegroup", strings)
        types = _filter_values(bare, "type", strings)
        return cls(resources, containers, groups, types, _projection(text))

    def rows(self, index: Index) -> list[Body]:
        rows = [*(index.container_rows if self.containers else ()),
                *(index.graph_rows if self.resources else ())]  # fmt: skip
        return [self._project(r) for r in rows if self._keeps(r)]

    def _keeps(self, row: Body) -> bool:
        if self.groups is not None and str(row["resourceGroup"]).lower() not in self.groups:
            return False
        return self.types is None or str(row["type"]).lower() in self.types

    def _project(self, row: Body) -> Body:
        if self.columns is None:
            return row
        return {c: row.get(c) for c in self.columns}


def _filter_values(bare: str, column: str, strings: list[str]) -> frozenset[str] | None:
    """Values of `column in~ (...)`, `column in (...)`, `column =~ '...'` or `== '...'`."""
    found: set[str] = set()
    seen = False
    pattern = rf"\b{column}\s+in~?\s*\(([^)]*)\)|\b{column}\s*(?:=~|==)\s*(\x00\d+\x00)"
    for listed, single in re.findall(pattern, bare):
        seen = True
        found.update(strings[int(i)] for i in _PLACEHOLDER.findall(listed or single))
    return frozenset(found) if seen else None


def _projection(text: str) -> tuple[str, ...] | None:
    """The columns of the last `| project a, b, c` when they are plain names."""
    clauses = re.findall(r"\|\s*project\s+([^|]+)", text, flags=re.IGNORECASE)
    if not clauses:
        return None
    columns = tuple(c.strip() for c in clauses[-1].split(","))
    if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", c) for c in columns):
        return None  # computed columns: answer full rows rather than guess
    return columns


def _skip_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def _offset_of(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not text.startswith("offset=") or not text[7:].isdigit():
        return None
    return int(text[7:])


# -- the server -------------------------------------------------------------------------------


class FakeArm:
    """The fake ARM endpoint. Use as a context manager; `base_url` once started."""

    def __init__(
        self,
        world: World,
        settings: Settings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        reads: TokenBucket | None = None,
    ) -> None:
        """`reads` replaces ARM's read bucket (tests use a small one with a frozen clock)."""
        self.settings = settings or Settings()
        self._sleep = sleep
        self._index = Index(world)
        self._counts: Counter[str] = Counter()
        self._throttled = 0
        self._lock = threading.Lock()
        self._reads = reads or TokenBucket(ARM_READ_CAPACITY, ARM_READ_REFILL_PER_S, clock)
        self._graph = TokenBucket(GRAPH_CAPACITY, GRAPH_REFILL_PER_S, clock)
        self._ca = trustme.CA()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def __enter__(self) -> FakeArm:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server = _Server(("127.0.0.1", 0), _Handler, fake=self, context=context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def write_ca(self, path: Path) -> Path:
        """The CA certificate, for `REQUESTS_CA_BUNDLE`."""
        self._ca.cert_pem.write_to_path(str(path))
        return path

    # -- between runs

    def load(self, world: World) -> None:
        self._index = Index(world)

    def configure(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)

    def reset(self) -> None:
        """Zero the counters and fill both buckets, so runs start alike."""
        with self._lock:
            self._counts.clear()
            self._throttled = 0
        self._reads.refill()
        self._graph.refill()

    def counts(self) -> dict[str, int]:
        """Requests per route kind since `reset`, plus `throttled` (429s among them)."""
        with self._lock:
            return {**{k: self._counts[k] for k in KINDS}, "throttled": self._throttled}

    # -- answering

    def answer(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """One request, start to finish; the handler only moves bytes."""
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        query = {k.lower(): v[-1] for k, v in parse_qs(url.query).items()}
        kind = self._kind(method, path)
        with self._lock:
            self._counts[kind] += 1
        self._sleep(self.settings.latency_s)
        if headers.get("authorization") != f"Bearer {self.settings.token}":
            return error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if "api-version" not in query:
            return error(400, "MissingApiVersionParameter", "The api-version is required.")
        if kind == "refused":
            return error(405, "ReadOnlyFake", f"{method} {path}: the benchmark's fake only reads")
        bucket = self._graph if kind == "graph" else self._reads
        unlimited = (True, bucket.capacity - 1, 0)
        granted, remaining, wait = bucket.take() if self.settings.throttle else unlimited
        quota = self._quota_headers(kind, remaining)
        if not granted:
            with self._lock:
                self._throttled += 1
            answer = error(429, "TooManyRequests", "The request is being throttled.")
            return replace(answer, headers=(("Retry-After", str(wait)), *quota))
        found = self._graph_query(body) if kind == "graph" else self._route(path, query)
        return replace(found, headers=quota)

    def _quota_headers(self, kind: str, remaining: int) -> tuple[tuple[str, str], ...]:
        if kind == "graph":
            resets = "00:00:05" if remaining == 0 else "00:00:00"
            return (("x-ms-user-quota-remaining", str(remaining)),
                    ("x-ms-user-quota-resets-after", resets))  # fmt: skip
        return (("x-ms-ratelimit-remaining-subscription-reads", str(remaining)),)

    def _kind(self, method: str, path: str) -> str:
        lower = path.lower()
        if method == "POST" and lower == GRAPH_PATH:
            return "graph"
        if method != "GET":
            return "refused"
        parts = lower.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "subscriptions":
            return "other"
        if len(parts) == 2:
            return "subscription"
        if parts[2] == "resources":
            return "resources_list"
        if parts[2] == "providers":
            return {4: "provider", 5: "typed_list"}.get(len(parts), "other")
        if _extension_type([*parts, ""]) is not None:
            return "scope_list"
        if _extension_type(parts) is not None:
            return "get"
        if len(parts) == 3:
            return "resource_group_list"
        if len(parts) == 4:
            return "resource_group_get"
        if len(parts) == 5 and parts[4] == "resources":
            return "resources_list"
        if len(parts) < 7 or parts[4] != "providers":
            return "other"
        depth = len(parts) - 6  # segments after `providers/NAMESPACE`: type/name/child/...
        if depth % 2:
            return "typed_list" if depth == 1 else "child_list"
        return "get" if depth == 2 else "child_get"

    def _route(self, path: str, query: Mapping[str, str]) -> Answer:
        index = self._index
        key = path.lower()
        parts = key.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "subscriptions":
            return error(404, "NotFound", f"no route for {path}")
        if "/".join(parts[:2]) != index.subscription_key.strip("/"):
            message = f"The subscription '{parts[1]}' could not be found."
            return error(404, "SubscriptionNotFound", message)
        if len(parts) == 2:
            return Answer(200, _dump({"id": path, "subscriptionId": parts[1], "state": "Enabled",
                                      "tenantId": index.world.tenant,
                                      "displayName": "azprov benchmark"}))  # fmt: skip
        if len(parts) == 3 and parts[2] == "resources" and "$filter" in query:
            return self._page(path, self._tagged(query["$filter"]), query)
        if len(parts) == 4 and parts[2] == "providers":
            return Answer(200, _dump(self._provider(path.strip("/").split("/")[3])))
        listing = len(parts) % 2 == 1
        in_group = len(parts) >= 4 and parts[2] == "resourcegroups"
        if in_group and "/".join(["", *parts[:4]]) not in index.groups:
            rg = path.strip("/").split("/")[3]
            return error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if listing:
            parent = key.rsplit("/", 1)[0]
            if in_group and len(parts) > 7 and parent not in index.world.bodies:
                name = path.strip("/").split("/")[-2]
                message = f"The parent resource '{name}' was not found."
                return error(404, "ParentResourceNotFound", message)
            return self._page(path, index.lists.get(key, []), query)
        body = index.world.bodies.get(key)
        if body is None:
            name = path.strip("/").split("/")[-1]
            return error(404, "ResourceNotFound", f"The Resource '{name}' was not found.")
        return Answer(200, _dump(body))

    def _tagged(self, odata: str) -> list[Body]:
        """The subscription's resources carrying a tag: `$filter=tagName eq 'environment'`."""
        found = re.fullmatch(r"\s*tagName\s+eq\s+'([^']*)'\s*", odata)
        if found is None:
            return []
        name = found.group(1).lower()
        key = f"{self._index.subscription_key}/resources"
        return [b for b in self._index.lists.get(key, [])
                if any(str(t).lower() == name for t in b.get("tags") or {})]  # fmt: skip

    def _provider(self, namespace: str) -> Body:
        """A resource provider's types and api-versions (clients ask for a type's version)."""
        types = sorted({
            str(b.get("type", "")).split("/", 1)[1]
            for b in self._index.world.bodies.values()
            if str(b.get("type", "")).lower().startswith(namespace.lower() + "/")
        })  # fmt: skip
        return {
            "id": f"/subscriptions/{self._index.world.subscription}/providers/{namespace}",
            "namespace": namespace, "registrationState": "Registered",
            "resourceTypes": [{"resourceType": t, "locations": ["West Europe"],
                               "apiVersions": ["2024-03-01", "2023-05-01", "2025-01-01-preview"]}
                              for t in types],
        }  # fmt: skip

    def _page(self, path: str, items: list[Body], query: Mapping[str, str]) -> Answer:
        size = self.settings.page_size
        token = query.get("$skiptoken", "0")
        start = int(token) if token.isdigit() else 0
        page: Body = {"value": items[start : start + size]}
        if start + size < len(items):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(start + size)
            page["nextLink"] = f"{self.base_url}{path}?{urlencode(params, quote_via=quote)}"
        return Answer(200, _dump(page))

    def _graph_query(self, raw: bytes) -> Answer:
        try:
            request = json.loads(raw or b"{}")
            text = str(request["query"])
        except (ValueError, KeyError, TypeError):
            return error(400, "BadRequest", "The request body must hold a 'query'.")
        subscriptions = [str(s).lower() for s in request.get("subscriptions") or []]
        options = request.get("options") or {}
        rows: list[Body] = []
        if self._index.world.subscription.lower() in subscriptions or not subscriptions:
            rows = GraphQuery.parse(text).rows(self._index)
        top = int(options.get("$top") or GRAPH_MAX_TOP)
        if not 1 <= top <= GRAPH_MAX_TOP:
            return error(400, "BadRequest", f"$top must be between 1 and {GRAPH_MAX_TOP}.")
        start = int(options.get("$skip") or 0)
        if options.get("$skipToken"):
            offset = _offset_of(str(options["$skipToken"]))
            if offset is None:
                return error(400, "InvalidSkipToken", "The $skipToken is not valid.")
            start = offset
        page = rows[start : start + top]
        doc: Body = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false",
                     "facets": []}  # fmt: skip
        if options.get("resultFormat") == "table":
            columns = list(page[0]) if page else []
            doc["data"] = {"columns": [{"name": c, "type": _kql_type(page, c)} for c in columns],
                           "rows": [[row.get(c) for c in columns] for row in page]}  # fmt: skip
        else:
            doc["data"] = page
        if start + top < len(rows):
            doc["$skipToken"] = _skip_token(start + top)
        return Answer(200, _dump(doc))


def _kql_type(rows: Iterable[Body], column: str) -> str:
    for row in rows:
        value = row.get(column)
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "number"
        if isinstance(value, dict | list):
            return "object"
        if isinstance(value, str):
            return "string"
    return "object"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        fake: FakeArm,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, so one slow
        # handshake never holds up `accept` for the others.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            _Handler(tls, client_address, self)
        except (ssl.SSLError, ConnectionError, TimeoutError):
            pass
        finally:
            tls.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as ARM clients expect
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.server.fake.answer(self.command, self.path, headers, body)
        self.send_response(answer.status)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the counters are the record; per-request lines would swamp the benchmark
