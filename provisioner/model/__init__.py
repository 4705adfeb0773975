"""The one model both sides are normalized into. Standard library only."""

from provisioner.model.finding import (
    Analysis,
    Attribution,
    Finding,
    FindingKind,
    Gate,
    Severity,
    Suppressed,
    Unread,
)
from provisioner.model.live import ANY_TOP_LEVEL, Coverage
from provisioner.model.redaction import (
    REDACTED,
    UNREADABLE,
    Sensitive,
    carries_credentials,
    clean_text,
    is_secret_key,
    redact_body,
    redact_text,
    redact_value,
    sanitize_text,
    secret_like_name,
)
from provisioner.model.resource import Resource, StateResource
from provisioner.model.resource_id import ResourceId

__all__ = [
    "ANY_TOP_LEVEL",
    "REDACTED",
    "UNREADABLE",
    "Analysis",
    "Attribution",
    "Coverage",
    "Finding",
    "FindingKind",
    "Gate",
    "Resource",
    "ResourceId",
    "Sensitive",
    "Severity",
    "StateResource",
    "Suppressed",
    "Unread",
    "carries_credentials",
    "clean_text",
    "is_secret_key",
    "redact_body",
    "redact_text",
    "redact_value",
    "sanitize_text",
    "secret_like_name",
]
