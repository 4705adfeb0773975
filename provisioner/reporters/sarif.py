"""SARIF 2.1.0, for GitHub code scanning: each finding annotates its Terraform block.

One rule per finding kind (`drift/changed`, `drift/missing`, `drift/unmanaged`,
`isolation`) and per policy rule ID (`pg-backup-retention`), one result per finding. A
result points at the `resource "TYPE" "NAME" {` line that declares its address; a
resource no block declares (unmanaged, or found in Azure only) gets a logical location
with its ARM ID instead. `partialFingerprints` hash what identifies a finding across runs
(kind, rule, lower-case resource ID, attribute), never its message or line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner import __version__
from provisioner.analysers.policy_rules import RULES_BY_ID
from provisioner.model import Analysis, Finding, FindingKind, Unread, redact_text, redact_value

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
FINGERPRINT = "azprovFinding/v1"

_KIND_RULES = {
    FindingKind.CHANGED: (
        "drift/changed",
        "An attribute was changed in Azure outside Terraform.",
        "The live value differs from the Terraform state; the next apply resets it unless "
        "the configuration adopts it (`azprov reconcile`).",
    ),
    FindingKind.MISSING: (
        "drift/missing",
        "A resource in the Terraform state no longer exists in Azure.",
        "It was deleted out of band; the next apply creates it again.",
    ),
    FindingKind.UNMANAGED: (
        "drift/unmanaged",
        "A resource exists in Azure but not in the Terraform state.",
        "It was created by hand; import it (`azprov import`) or remove it.",
    ),
    FindingKind.ISOLATION: (
        "isolation",
        "Something in this environment points at another environment's resources.",
        "Environments must stay in their own lane: a reference to another environment's IDs, "
        "hosts, IPs or identities couples a deploy of one to the other.",
    ),
}


@dataclass(frozen=True)
class SourceLocation:
    """Where a finding's resource is declared: a repository-relative path and a line."""

    uri: str
    line: int


# An address -> where its block is, or None (no `.tf` file declares it).
Locator = Callable[[str], SourceLocation | None]


def rule_id(finding: Finding) -> str:
    if finding.kind is FindingKind.POLICY:
        return finding.rule or "policy"
    return _KIND_RULES[finding.kind][0]


def fingerprint(finding: Finding) -> str:
    """Stable across runs: what the finding is about, not where or how it is worded."""
    key = "\x1f".join(
        [
            finding.kind.value,
            finding.rule or "",
            finding.resource_id.lower(),
            finding.attribute or "",
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule(finding: Finding) -> dict[str, Any]:
    identifier = rule_id(finding)
    policy = RULES_BY_ID.get(identifier) if finding.kind is FindingKind.POLICY else None
    if finding.kind is FindingKind.POLICY:
        # A rule the catalogue does not know (a newer report) still gets a description.
        short = f"Policy rule {identifier}."
        full = policy.rationale if policy else short
        level = LEVELS[(policy.severity if policy else finding.severity).value]
    else:
        _, short, full = _KIND_RULES[finding.kind]
        level = "warning"
    return {
        "id": identifier,
        # SARIF wants a readable identifier distinct from the ID: `drift/changed` -> DriftChanged.
        "name": "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", identifier)),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": full},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["azprov", finding.kind.value, "terraform", "azure"]},
    }


def _locations(finding: Finding, locate: Locator) -> list[dict[str, Any]]:
    resource = {
        "fullyQualifiedName": finding.resource_id,
        "name": finding.resource_id.rsplit("/", 1)[-1],
        "kind": "resource",
    }
    place = locate(finding.address) if finding.address else None
    if place is None:
        return [{"logicalLocations": [resource]}]
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": place.uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": place.line},
            },
            "logicalLocations": [resource],
        }
    ]


def _result(finding: Finding, index: int, environment: str, locate: Locator) -> dict[str, Any]:
    properties = {
        "environment": environment,
        "kind": finding.kind.value,
        "severity": finding.severity.value,
        "address": finding.address,
        "type": finding.type,
        "resourceId": finding.resource_id,
        "attribute": finding.attribute,
        "expected": redact_value(finding.expected),
        "actual": redact_value(finding.actual),
    }
    return {
        "ruleId": rule_id(finding),
        "ruleIndex": index,
        "level": LEVELS[finding.severity.value],
        "message": {"text": redact_text(finding.message)},
        "locations": _locations(finding, locate),
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {k: v for k, v in properties.items() if v is not None},
    }


def render_findings(
    findings: Sequence[Finding],
    *,
    command: str,
    environment: str,
    locate: Locator,
    unread: Sequence[Unread] = (),
    information_uri: str | None = None,
) -> str:
    """One SARIF run of `azprov COMMAND` on `environment`; unread parts as notifications."""
    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        rules.setdefault(rule_id(f), _rule(f))
    index = {identifier: i for i, identifier in enumerate(rules)}
    driver: dict[str, Any] = {"name": "azprov", "version": __version__}
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = list(rules.values())
    invocation: dict[str, Any] = {"executionSuccessful": not unread}
    if unread:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {
                    "text": redact_text(f"could not read {u.what} under {u.scope}: {u.reason}")
                },
            }
            for u in unread
        ]
    run = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"azprov/{command}/{environment}/"},
        "invocations": [invocation],
        "results": [_result(f, index[rule_id(f)], environment, locate) for f in findings],
    }
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, default=str) + "\n"


def render(analysis: Analysis, locate: Locator, information_uri: str | None = None) -> str:
    """`azprov verify` as SARIF."""
    return render_findings(
        analysis.findings,
        command="verify",
        environment=analysis.environment,
        locate=locate,
        unread=analysis.unread,
        information_uri=information_uri,
    )
