"""Microsoft.Authorization: role assignments.

Role assignments are extension resources: their ID is the scope they grant on, plus
`/providers/Microsoft.Authorization/roleAssignments/<guid>`. azprov lists them once per
resource group of the environment, which returns every assignment at the group or under
it (and those inherited from above, which belong to no environment and are left out).
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry.spec import AT_SCOPE, Attr, TypeSpec

HIGH = Severity.HIGH

ROLE_ASSIGNMENT = TypeSpec(
    tf_type="azurerm_role_assignment",
    arm_type="Microsoft.Authorization/roleAssignments",
    api_version="2022-04-01",
    listed=AT_SCOPE,
    attributes=(
        Attr("scope", "scope", "properties.scope", canon=c.caseless, severity=HIGH),
        Attr(
            "role_definition_id",
            "role_definition_id",
            "properties.roleDefinitionId",
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "principal_id",
            "principal_id",
            "properties.principalId",
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr("principal_type", "principal_type", "properties.principalType", compare=False),
        Attr("condition", "condition", "properties.condition"),
    ),
    summary=("role_definition_id", "principal_id"),
    # A grant of access made by hand is worth a reviewer's attention at once.
    unmanaged_severity=HIGH,
)

TYPES = (ROLE_ASSIGNMENT,)
