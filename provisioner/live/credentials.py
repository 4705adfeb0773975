"""Who azprov is to Azure: a bearer token from the environment, or azure-identity's chain.

azure-identity logs a warning for every credential of DefaultAzureCredential's chain that
fails, tens of lines before the one that matters; the CLI keeps the SDK's loggers quiet
unless `--debug` asks for them, and a failure is one line naming what was tried and what
to set (`no_credentials_message`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential

TOKEN_ENV = "AZPROV_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret
# What DefaultAzureCredential tries, in order (interactive browser sign-in left out).
CHAIN = (
    "environment variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET)",
    "workload identity (AZURE_FEDERATED_TOKEN_FILE)",
    "managed identity",
    "Azure CLI (az login)",
    "Azure PowerShell",
    "Azure Developer CLI (azd auth login)",
)


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


def no_credentials_message(status: int | None = None) -> str:
    """The one line for a sign-in failure: what was tried, and what to set."""
    if status == 401:
        return "Azure rejected the credentials (HTTP 401): the token is invalid or expired"
    return (
        f"no usable Azure credentials (tried {TOKEN_ENV}, then " + ", ".join(CHAIN) + "): run "
        f"`az login`, set AZURE_CLIENT_ID and AZURE_TENANT_ID (with AZURE_CLIENT_SECRET or "
        f"AZURE_FEDERATED_TOKEN_FILE), or set {TOKEN_ENV}; `--debug` shows each attempt"
    )
