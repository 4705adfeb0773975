"""One ARM client for every resource type: GETs and lists through an azure-core pipeline.

Every type in the registry is read the same way: `GET {endpoint}{path}?api-version=...`,
with the api-version the registry declares, and lists paged on `nextLink` with
azure-core's `ItemPaged`. The pipeline carries azprov's policies: only reads leave the
process (`ReadOnlyPolicy`), only to the configured endpoint (`SameEndpointPolicy`, so a
`nextLink` can never carry the bearer token elsewhere), throttled and retried within the
run's deadline (`ThrottlePolicy`), authenticated with azure-core's bearer policy (which
answers ARM's Continuous Access Evaluation challenges).
Bodies stay the JSON Azure sent: no SDK model sits between the wire and the registry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.paging import ItemPaged
from azure.core.pipeline import policies
from azure.core.pipeline.transport import HttpTransport, RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from provisioner import __version__
from provisioner.input_files import MAX_DEPTH, nesting_depth
from provisioner.live.throttle import (
    DEFAULT_TIMEOUT_S,
    ReadOnlyPolicy,
    SameEndpointPolicy,
    Throttle,
    ThrottlePolicy,
    same_endpoint,
)
from provisioner.model import sanitize_text

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_API_VERSION = "2021-03-01"
# A list longer than this many pages is not an environment; a `nextLink` loop is cut here.
MAX_PAGES = 200
Body = dict[str, Any]


class ArmError(AzureError):
    """A read ARM refused or answered badly; `status` and `code` as ARM gave them."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        self.status_code = status
        self.code = code
        self.detail = sanitize_text(" ".join(message.split()))[:300]
        super().__init__(self.line)

    @property
    def line(self) -> str:
        head = f"HTTP {self.status_code}" if self.status_code else "error"
        return f"{head} {self.code}: {self.detail}".replace("  ", " ").strip().rstrip(":")


class MalformedResponse(ArmError):
    """ARM answered with something that is not the JSON it documents."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(status, "MalformedResponse", message)


@dataclass(frozen=True)
class Connection:
    """Where and as whom azprov talks to ARM, and how hard it may try."""

    subscription_id: str
    credential: TokenCredential
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    transport: HttpTransport[Any, Any] | None = None  # tests; else one pooled session
    # Reads are latency-bound and ARM's bucket takes bursts of 250: 24 in flight cut the wall
    # time of N=1,000 by a third against 8 (bench/, 50 ms latency); `Throttle` narrows this
    # as `x-ms-ratelimit-remaining-subscription-reads` falls.
    workers: int = 24
    retries: int = 3
    timeout_s: float = DEFAULT_TIMEOUT_S
    extra_policies: tuple[Any, ...] = field(default=())


def pooled_transport(workers: int, endpoint: str) -> RequestsTransport:
    """A transport with its own session whose pool keeps `workers` connections.

    Proxies (`HTTPS_PROXY`, `NO_PROXY`) and the CA bundle (`REQUESTS_CA_BUNDLE`) come from
    the environment as requests reads them, but once, for `endpoint`: left to itself,
    requests scans the whole environment twice for every request, a quarter of the CPU
    each read costs.
    """
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    settings = session.merge_environment_settings(endpoint, {}, None, None, None)
    session.trust_env = False
    session.proxies.update(settings["proxies"])
    # Retries are the ThrottlePolicy's job; urllib3 must not retry underneath it.
    no_retries = Retry(total=False, redirect=False, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=workers, max_retries=no_retries)
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    verify = settings["verify"] if settings["verify"] is not None else True
    return RequestsTransport(session=session, session_owner=True, connection_verify=verify)


class ArmClient:
    """Reads from ARM for one run, shared by every reader thread."""

    def __init__(self, connection: Connection, throttle: Throttle | None = None) -> None:
        self.connection = connection
        self.endpoint = connection.arm_endpoint.rstrip("/")
        self.throttle = throttle or Throttle(
            workers=connection.workers, budget_s=connection.timeout_s, retries=connection.retries
        )
        self.transport = connection.transport or pooled_transport(connection.workers, self.endpoint)
        scope = f"{self.endpoint}/.default"
        self._client: PipelineClient[Any, Any] = PipelineClient(
            base_url=self.endpoint,
            transport=self.transport,
            policies=[
                policies.RequestIdPolicy(),
                policies.HeadersPolicy({"Accept": "application/json"}),
                policies.UserAgentPolicy(sdk_moniker=f"azprov/{__version__}"),
                policies.ProxyPolicy(),
                ReadOnlyPolicy(),
                SameEndpointPolicy(self.endpoint),
                ThrottlePolicy(self.throttle),
                policies.BearerTokenCredentialPolicy(connection.credential, scope),
                *connection.extra_policies,
                policies.SensitiveHeaderCleanupPolicy(),
                # `--debug`: each request and answer, the Authorization header redacted
                policies.HttpLoggingPolicy(),
            ],
        )

    @property
    def subscription_id(self) -> str:
        return self.connection.subscription_id

    def url(self, path: str, api_version: str, params: Mapping[str, str] | None = None) -> str:
        query = urlencode({"api-version": api_version, **(params or {})})
        return f"{self.endpoint}{path}?{query}"

    def get(self, path: str, api_version: str) -> Body:
        """One resource (or any single document) at `path`."""
        doc = self._json(self._send(HttpRequest("GET", self.url(path, api_version))))
        if not isinstance(doc, dict):
            raise MalformedResponse(200, f"GET {path} did not return a JSON object")
        return doc

    def list(
        self, path: str, api_version: str, params: Mapping[str, str] | None = None
    ) -> list[Body]:
        """Every item of a paged list, following `nextLink` on the same endpoint only."""
        return list(self.pages(path, api_version, params))

    def pages(
        self, path: str, api_version: str, params: Mapping[str, str] | None = None
    ) -> ItemPaged[Body]:
        first = self.url(path, api_version, params)
        seen: set[str] = set()

        def get_next(link: str | None) -> Any:
            url = first if link is None else self._next_url(link, api_version)
            if url in seen:
                raise MalformedResponse(200, f"the list under {path} pages back to itself")
            if len(seen) >= MAX_PAGES:
                raise MalformedResponse(200, f"the list under {path} has over {MAX_PAGES} pages")
            seen.add(url)
            return self._json(self._send(HttpRequest("GET", url)))

        def extract(doc: Any) -> tuple[str | None, Iterator[Body]]:
            items = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise MalformedResponse(200, f"the list under {path} has no list of objects")
            link = doc.get("nextLink")
            return (link if isinstance(link, str) and link else None), iter(items)

        return ItemPaged(get_next, extract)

    def post_graph(self, body: Mapping[str, Any]) -> Body:
        """Azure Resource Graph's query endpoint (a POST that only reads)."""
        request = HttpRequest("POST", self.url(GRAPH_PATH, GRAPH_API_VERSION), json=dict(body))
        doc = self._json(self._send(request))
        if not isinstance(doc, dict):
            raise MalformedResponse(200, "Resource Graph did not return a JSON object")
        return doc

    def _next_url(self, link: str, api_version: str) -> str:
        """A `nextLink` on this endpoint, with the api-version kept; anything else refused."""
        if not same_endpoint(link, self.endpoint):
            raise MalformedResponse(
                200, f"refused a nextLink to {_origin(link)}: not the ARM endpoint {self.endpoint}"
            )
        parts = urlsplit(link)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.setdefault("api-version", api_version)
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _send(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self._client.send_request(request)
        if response.status_code >= 400:
            raise _error(response)
        return response

    @staticmethod
    def _json(response: HttpResponse) -> Any:
        text = response.text()
        try:
            doc = json.loads(text) if text.strip() else None
        except (ValueError, RecursionError):
            doc = _NOT_JSON
        # Deeper JSON than a file azprov reads is not an ARM body either (and a snapshot
        # could not hold it).
        if doc is _NOT_JSON or doc is None or nesting_depth(doc) > MAX_DEPTH:
            what = "is not JSON" if doc is _NOT_JSON or doc is None else "is nested too deeply"
            raise MalformedResponse(
                response.status_code, f"the answer to {_path(response.request.url)} {what}"
            )
        return doc


_NOT_JSON = object()


def _error(response: HttpResponse) -> ArmError:
    """An ARM error response as `ArmError`, with ARM's code and message when it gave them."""
    code, message = "", ""
    try:
        error = json.loads(response.text()).get("error") or {}
        code, message = str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError, RecursionError):
        message = "(the error response is not JSON)"
    return ArmError(response.status_code, code, message or response.reason or "")


def _path(url: str) -> str:
    return urlsplit(url).path


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        return sanitize_text(f"{parts.scheme}://{parts.netloc}")[:120]
    except ValueError:
        return "an unparsable URL"
