"""Monitoring: Log Analytics workspaces."""

from __future__ import annotations

from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, TAGS
from provisioner.registry.spec import Attr, TypeSpec

LOG_ANALYTICS_WORKSPACE = TypeSpec(
    tf_type="azurerm_log_analytics_workspace",
    arm_type="Microsoft.OperationalInsights/workspaces",
    api_version="2025-07-01",
    attributes=(
        LOCATION,
        Attr("sku", "sku", "properties.sku.name", canon=c.caseless),
        Attr("retention_in_days", "retention_in_days", "properties.retentionInDays", kind=int),
        Attr(
            "daily_quota_gb",
            "daily_quota_gb",
            "properties.workspaceCapping.dailyQuotaGb",
            kind=float,
            default=-1,
        ),
        Attr("workspace_id", "workspace_id", "properties.customerId", compare=False),
        TAGS,
    ),
)

TYPES = (LOG_ANALYTICS_WORKSPACE,)
