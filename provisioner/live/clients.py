"""Credentials and SDK clients, built in one place. SDK objects never leave `provisioner.live`.

Each client is created on first use (importing an SDK package and building its serializer
costs about 0.1 s, and the Resource Graph path needs two of the six), with its own HTTP
session whose connection pool holds one connection per worker: requests' default of 10
would open and discard connections above that. Every client shares the run's `Throttle`
and sends only reads (`ReadOnlyPolicy`); azure-mgmt-core's automatic resource-provider
registration, a write, is left out of the pipeline.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
from azure.core.pipeline import policies
from azure.core.pipeline.transport import HttpTransport, RequestsTransport

from provisioner import __version__
from provisioner.live.throttle import DEFAULT_BUDGET_S, ReadOnlyPolicy, Throttle, ThrottlePolicy

if TYPE_CHECKING:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resourcegraph import ResourceGraphClient

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
TOKEN_ENV = "AZPROV_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret
C = TypeVar("C")


class StaticTokenCredential:
    """A bearer token fetched elsewhere (CI that already holds one, tests against a fake)."""

    def __init__(self, token: str, lifetime_s: int = 3600) -> None:
        self._token = token
        self._expires_on = int(time.time()) + lifetime_s

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self._token, self._expires_on)

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(***)"


def credential_from_environment(environ: Mapping[str, str] = os.environ) -> TokenCredential:
    """`AZPROV_ACCESS_TOKEN` if set, else azure-identity's DefaultAzureCredential chain."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token:
        return StaticTokenCredential(token)
    from azure.identity import DefaultAzureCredential  # slow import; only when needed

    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


@dataclass(frozen=True)
class Connection:
    """Where and as whom azprov talks to ARM, and how hard it may try."""

    subscription_id: str
    credential: TokenCredential
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    transport: HttpTransport[Any, Any] | None = None  # tests; else one pooled session per client
    # Reads are latency-bound and ARM's bucket takes bursts of 250: 24 in flight cut the wall
    # time of N=1,000 by a third against 8 (bench/, 50 ms latency); `Throttle` narrows this
    # as `x-ms-ratelimit-remaining-subscription-reads` falls.
    workers: int = 24
    retries: int = 3
    retry_budget_s: float = DEFAULT_BUDGET_S
    client_options: Mapping[str, Any] = field(default_factory=dict)


def pooled_transport(workers: int) -> RequestsTransport:
    """A transport with its own session whose pool keeps `workers` connections."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    # Retries are the ThrottlePolicy's job; urllib3 must not retry underneath it.
    no_retries = Retry(total=False, redirect=False, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=workers, max_retries=no_retries)
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return RequestsTransport(session=session, session_owner=True)


class AzureClients:
    """One SDK client per service, created on first use and shared by all reader threads."""

    def __init__(self, connection: Connection, throttle: Throttle | None = None) -> None:
        self.connection = connection
        self.throttle = throttle or Throttle(
            workers=connection.workers,
            budget_s=connection.retry_budget_s,
            retries=connection.retries,
        )
        self.transports: dict[str, HttpTransport[Any, Any]] = {}
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, name: str, make: Callable[..., C], with_subscription: bool = True) -> C:
        made: C | None = self._made.get(name)
        if made is not None:
            return made
        with self._lock:
            if name not in self._made:
                self._made[name] = self._build(name, make, with_subscription)
            client: C = self._made[name]
            return client

    def _build(self, name: str, make: Callable[..., C], with_subscription: bool) -> C:
        conn = self.connection
        endpoint = conn.arm_endpoint.rstrip("/")
        scope = f"{endpoint}/.default"
        transport = conn.transport or pooled_transport(conn.workers)
        self.transports[name] = transport
        pipeline = [
            policies.RequestIdPolicy(),
            policies.HeadersPolicy(),
            policies.UserAgentPolicy(sdk_moniker=f"azprov/{__version__}"),
            policies.ProxyPolicy(),
            policies.ContentDecodePolicy(),
            ReadOnlyPolicy(),
            policies.RedirectPolicy(),
            ThrottlePolicy(self.throttle),
            _arm_authentication(conn.credential, scope),
            policies.CustomHookPolicy(),
            policies.NetworkTraceLoggingPolicy(),
            policies.DistributedTracingPolicy(),
            policies.SensitiveHeaderCleanupPolicy(),
        ]
        options: dict[str, Any] = {
            "base_url": endpoint,
            "credential_scopes": [scope],
            "policies": pipeline,
            "transport": transport,
            **conn.client_options,
        }
        if with_subscription:
            return make(conn.credential, conn.subscription_id, **options)
        return make(conn.credential, **options)

    @property
    def resources(self) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._client("resources", ResourceManagementClient)

    @property
    def apps(self) -> ContainerAppsAPIClient:
        from azure.mgmt.appcontainers import ContainerAppsAPIClient

        return self._client("apps", ContainerAppsAPIClient)

    @property
    def postgres(self) -> PostgreSQLManagementClient:
        from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

        return self._client("postgres", PostgreSQLManagementClient)

    @property
    def registries(self) -> ContainerRegistryManagementClient:
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient

        return self._client("registries", ContainerRegistryManagementClient)

    @property
    def log_analytics(self) -> LogAnalyticsManagementClient:
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient

        return self._client("log_analytics", LogAnalyticsManagementClient)

    @property
    def graph(self) -> ResourceGraphClient:
        """Azure Resource Graph: tenant-level, so the subscription goes in each query."""
        from azure.mgmt.resourcegraph import ResourceGraphClient

        return self._client("graph", ResourceGraphClient, with_subscription=False)


def _arm_authentication(credential: TokenCredential, scope: str) -> policies.HTTPPolicy[Any, Any]:
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    return ARMChallengeAuthenticationPolicy(credential, scope)
