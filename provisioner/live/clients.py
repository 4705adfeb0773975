"""Credentials and SDK clients, built in one place. SDK objects never leave `provisioner.live`."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
from azure.core.pipeline.transport import HttpTransport
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
TOKEN_ENV = "AZPROV_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret


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
    """Where and as whom azprov talks to ARM."""

    subscription_id: str
    credential: TokenCredential
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    transport: HttpTransport[Any, Any] | None = None
    workers: int = 8
    retries: int = 3
    client_options: Mapping[str, Any] = field(default_factory=dict)


class AzureClients:
    """One SDK client per service, created up front and shared by all reader threads."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        endpoint = connection.arm_endpoint.rstrip("/")
        options: dict[str, Any] = {
            "base_url": endpoint,
            "credential_scopes": [f"{endpoint}/.default"],
            "retry_total": connection.retries,
            **connection.client_options,
        }
        if connection.transport is not None:
            options["transport"] = connection.transport
        args = (connection.credential, connection.subscription_id)
        self.resources = ResourceManagementClient(*args, **options)
        self.apps = ContainerAppsAPIClient(*args, **options)
        self.postgres = PostgreSQLManagementClient(*args, **options)
        self.registries = ContainerRegistryManagementClient(*args, **options)
        self.log_analytics = LogAnalyticsManagementClient(*args, **options)
