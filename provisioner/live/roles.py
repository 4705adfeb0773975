"""Custom roles' names, read from their definitions when a finding needs one.

Built-in roles are named from the table the registry ships; a custom role's name lives only
in its definition. `RoleNames` reads a definition with one GET through the run's ARM client
(same endpoint, policies and deadline as every other read), once per distinct definition,
and only when asked: the isolation check asks for the roles of the grants it reports, never
for every assignment it reads. A read that fails is remembered as the reason it failed.
"""

from __future__ import annotations

import re

from azure.core.exceptions import AzureError

from provisioner.live.arm import ArmClient, ArmError
from provisioner.model import sanitize_text

# The api-version the registry reads role assignments with serves their definitions too.
ROLE_DEFINITION_API_VERSION = "2022-04-01"
# A definition at any scope: `/subscriptions/{id}/providers/...`, `/providers/...` (tenant).
_DEFINITION_ID = re.compile(
    r"(?:/[A-Za-z0-9._()-]+)*/providers/Microsoft\.Authorization/roleDefinitions/"
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
    re.IGNORECASE,
)


class RoleNames:
    """Role definitions' names, each read at most once with a GET of its ID.

    Call it with a definition ID: it returns the role's name, or raises `LookupError` whose
    message says in one line why the name could not be read.
    """

    def __init__(self, arm: ArmClient) -> None:
        self._arm = arm
        self._read: dict[str, str | LookupError] = {}

    def __call__(self, definition_id: str) -> str:
        key = definition_id.strip().rstrip("/").lower()
        if key not in self._read:
            self._read[key] = self._name(definition_id.strip().rstrip("/"))
        found = self._read[key]
        if isinstance(found, LookupError):
            raise found
        return found

    def _name(self, definition_id: str) -> str | LookupError:
        if not _DEFINITION_ID.fullmatch(definition_id):
            return LookupError("not a role definition ID")
        try:
            doc = self._arm.get(definition_id, ROLE_DEFINITION_API_VERSION)
        except (AzureError, ValueError) as exc:
            text = exc.line if isinstance(exc, ArmError) else str(exc)
            return LookupError(sanitize_text(" ".join(text.split()))[:200])
        properties = doc.get("properties")
        name = properties.get("roleName") if isinstance(properties, dict) else None
        if not isinstance(name, str) or not name.strip():
            return LookupError("the definition Azure returned has no role name")
        return sanitize_text(name.strip())
