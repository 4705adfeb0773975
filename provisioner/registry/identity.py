"""Microsoft.ManagedIdentity: user-assigned identities."""

from __future__ import annotations

from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec

USER_ASSIGNED_IDENTITY = TypeSpec(
    tf_type="azurerm_user_assigned_identity",
    arm_type="Microsoft.ManagedIdentity/userAssignedIdentities",
    api_version="2023-01-31",
    attributes=(
        LOCATION,
        # Azure mints these when the identity is created: read for the isolation check
        # (whose identity holds which role), never drift.
        Attr("principal_id", "principal_id", "properties.principalId", compare=False),
        Attr("client_id", "client_id", "properties.clientId", compare=False),
        Attr("tenant_id", "tenant_id", "properties.tenantId", compare=False),
        TAGS,
    ),
)

TYPES = (USER_ASSIGNED_IDENTITY,)
