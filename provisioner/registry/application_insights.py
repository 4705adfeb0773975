"""Microsoft.Insights: Application Insights components.

The component's GET carries its instrumentation key and connection string. They are
secrets to azprov (`InstrumentationKey`, `ConnectionString` and azurerm's sensitive
`instrumentation_key`, `connection_string` are hidden where they are read) and are
never compared. azurerm's read turns `DisableLocalAuth` around and counts only
`Enabled` as internet access; the same readings stand in here.
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec

HIGH = Severity.HIGH

APPLICATION_INSIGHTS = TypeSpec(
    tf_type="azurerm_application_insights",
    arm_type="Microsoft.Insights/components",
    api_version="2020-02-02",
    attributes=(
        LOCATION,
        Attr(
            "application_type",
            "application_type",
            "properties.Application_Type",
            canon=c.caseless,
        ),
        Attr(
            "retention_in_days",
            "retention_in_days",
            "properties.RetentionInDays",
            kind=int,
            default=90,
        ),
        # Where the telemetry goes: another environment's workspace is an isolation leak.
        Attr(
            "workspace_id",
            "workspace_id",
            "properties.WorkspaceResourceId",
            canon=c.caseless,
            severity=HIGH,
        ),
        Attr(
            "internet_ingestion_enabled",
            "internet_ingestion_enabled",
            "properties.publicNetworkAccessForIngestion",
            kind=bool,
            convert=c.enabled,
            default=False,
            severity=HIGH,
        ),
        Attr(
            "internet_query_enabled",
            "internet_query_enabled",
            "properties.publicNetworkAccessForQuery",
            kind=bool,
            convert=c.enabled,
            default=False,
            severity=HIGH,
        ),
        Attr(
            "local_authentication_enabled",
            "local_authentication_enabled",
            "properties.DisableLocalAuth",
            kind=bool,
            convert=c.negated,
            default=True,
            severity=HIGH,
        ),
        Attr("app_id", "app_id", "properties.AppId", compare=False),
        TAGS,
    ),
)

TYPES = (APPLICATION_INSIGHTS,)
