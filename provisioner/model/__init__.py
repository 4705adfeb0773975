"""The one model both sides are normalized into. Standard library only."""

from provisioner.model.finding import Analysis, Finding, FindingKind, Severity, Unread
from provisioner.model.live import ANY_TOP_LEVEL, Coverage
from provisioner.model.resource import Resource, StateResource
from provisioner.model.resource_id import ResourceId
from provisioner.model.values import (
    REDACTED,
    Sensitive,
    carries_credentials,
    redact_text,
    redact_value,
    secret_like_name,
)

__all__ = [
    "ANY_TOP_LEVEL",
    "REDACTED",
    "Analysis",
    "Coverage",
    "Finding",
    "FindingKind",
    "Resource",
    "ResourceId",
    "Sensitive",
    "Severity",
    "StateResource",
    "Unread",
    "carries_credentials",
    "redact_text",
    "redact_value",
    "secret_like_name",
]
