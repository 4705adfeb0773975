"""Who made each drift: Resource Graph's change records joined to the findings.

Azure records every create, update and delete of a resource for 14 days in Resource
Graph's `resourcechanges` table, with who made it (`changeAttributes.changedBy`, its
`changedByType`), from which client (`clientType`: Azure Portal, Azure CLI...), by which
operation, when, and under which correlation ID. For each `changed`, `missing` and
`unmanaged` finding the newest matching record is attached:

- `changed`: a record of the resource itself (never of a child) whose `changes` name the
  drifted property, else any update of the resource;
- `missing`: the resource's deletion;
- `unmanaged`: the resource's creation.

Records are parsed as the table stores them and the newest is chosen here, by
`changeAttributes.timestamp`: no query sort order is relied on. A change that the platform
or Azure Policy made (see `is_system_change`) is a `system` change and its finding gets
a lower severity, so a policy stamping tags is not paged at night as someone's hand edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from provisioner.model import Attribution, Finding, FindingKind, Severity, sanitize_text

# The change type a finding kind is explained by (besides updates, for `changed`).
_CHANGE_TYPE = {
    FindingKind.CHANGED: "update",
    FindingKind.MISSING: "delete",
    FindingKind.UNMANAGED: "create",
}
SYSTEM_CHANGED_BY_TYPES = frozenset({"system"})
# Microsoft's first-party applications, by the app ID an Activity Log event's token names.
CLIENT_APPS = {
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c": "Azure Portal",
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Azure CLI",
    "1950a258-227b-4e31-a9cf-717495945fc2": "Azure PowerShell",
}
POLICY_OPERATION_PREFIXES = ("microsoft.authorization/policies/",)


@dataclass(frozen=True)
class Change:
    """One change record, parsed."""

    target: str  # the changed resource's ID, lower case
    change_type: str  # create, update or delete (lower case)
    at: datetime | None
    properties: Mapping[str, str]  # changed property path (lower case) -> its changeCategory
    attribution: Attribution


def parse_changes(rows: Iterable[Any]) -> tuple[list[Change], int]:
    """The records that can be read, and how many could not."""
    changes: list[Change] = []
    bad = 0
    for row in rows:
        change = _parse(row)
        if change is None:
            bad += 1
        else:
            changes.append(change)
    return changes, bad


def _text(value: Any) -> str | None:
    return sanitize_text(value)[:200] if isinstance(value, str) and value.strip() else None


def _parse(row: Any) -> Change | None:
    if not isinstance(row, Mapping):
        return None
    target = row.get("targetResourceId")
    attributes = row.get("changeAttributes")
    if (
        not isinstance(target, str)
        or not target.startswith("/")
        or not isinstance(attributes, Mapping)
    ):
        return None
    stamp = _text(attributes.get("timestamp"))
    raw_changes = row.get("changes")
    properties = {
        str(path).lower(): str(detail.get("changeCategory") or "")
        for path, detail in (raw_changes.items() if isinstance(raw_changes, Mapping) else ())
        if isinstance(detail, Mapping)
    }
    attribution = Attribution(
        changed_by=_text(attributes.get("changedBy")),
        changed_by_type=_text(attributes.get("changedByType")),
        client_type=_text(attributes.get("clientType")),
        operation=_text(attributes.get("operation")),
        changed_at=stamp,
        correlation_id=_text(attributes.get("correlationId")),
    )
    return Change(
        target=target.rstrip("/").lower(),
        change_type=str(row.get("changeType") or "").lower(),
        at=_when(stamp),
        properties=properties,
        attribution=attribution,
    )


def changes_from_activity(events: Iterable[Any]) -> list[Change]:
    """Activity Log events (`live.activity_log`) as change records.

    An event says `write` or `delete`, not create or update: a write explains a change or
    a creation, and for a creation the oldest write counts (see `_best`).
    """
    out = []
    for event in events:
        if not isinstance(event, Mapping) or not isinstance(event.get("resourceId"), str):
            continue
        operation = _text(event.get("operation")) or ""
        verb = operation.lower().rsplit("/", 1)[-1]
        if verb not in ("write", "delete"):
            continue
        caller = _text(event.get("caller"))
        stamp = _text(event.get("eventTimestamp"))
        out.append(
            Change(
                target=str(event["resourceId"]).rstrip("/").lower(),
                change_type=verb,
                at=_when(stamp),
                properties={},
                attribution=Attribution(
                    changed_by=caller,
                    changed_by_type="User" if caller and "@" in caller else None,
                    client_type=CLIENT_APPS.get(str(event.get("appId") or "").lower()),
                    operation=operation or None,
                    changed_at=stamp,
                    correlation_id=_text(event.get("correlationId")),
                    source="Activity Log",
                ),
            )
        )
    return out


def _when(stamp: str | None) -> datetime | None:
    if stamp is None:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_system_change(change: Change, matched: Sequence[str] = ()) -> bool:
    """Whether the platform or Azure Policy made the change, rather than a person or a pipeline.

    System when: each changed property azprov matched is of changeCategory `System`; or
    `changedByType` is `System`; or `clientType` or `changedBy` names Azure Policy; or the
    operation is a policy action (`Microsoft.Authorization/policies/...`).
    """
    a = change.attribution
    if matched and all(change.properties.get(p, "").lower() == "system" for p in matched):
        return True
    if (a.changed_by_type or "").lower() in SYSTEM_CHANGED_BY_TYPES:
        return True
    if any("policy" in (v or "").lower() for v in (a.client_type, a.changed_by)):
        return True
    return (a.operation or "").lower().startswith(POLICY_OPERATION_PREFIXES)


def _touches(path: str, prefix: str) -> bool:
    return (
        path == prefix
        or path.startswith((prefix + ".", prefix + "["))
        or (prefix.startswith(path + "."))
    )


def attribute(
    findings: Sequence[Finding],
    changes: Sequence[Change],
    arm_path: Callable[[Finding], str | None],
    system_severity: Severity = Severity.LOW,
) -> list[Finding]:
    """`findings` with the newest matching change attached to each drift finding.

    `arm_path` gives the ARM property path a `changed` finding's attribute reads
    (`properties.backup.backupRetentionDays`), to prefer the record that changed it.
    """
    by_target: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_target[change.target].append(change)
    out = []
    for finding in findings:
        wanted = _CHANGE_TYPE.get(finding.kind)
        candidates = by_target.get(finding.resource_id.rstrip("/").lower(), [])
        if wanted is None or not candidates:
            out.append(finding)
            continue
        best, matched = _best(finding, wanted, candidates, arm_path)
        if best is None:
            out.append(finding)
            continue
        system = is_system_change(best, matched)
        attribution = replace(best.attribution, origin="system" if system else "user")
        severity = finding.severity
        if system and system_severity.rank > severity.rank:
            severity = system_severity
        out.append(replace(finding, attribution=attribution, severity=severity))
    return out


def _best(
    finding: Finding,
    wanted: str,
    candidates: Sequence[Change],
    arm_path: Callable[[Finding], str | None],
) -> tuple[Change | None, list[str]]:
    """The newest record of the wanted kind, preferring one that names the property.

    An Activity Log `write` stands for an update or a creation; for a creation the oldest
    write is the one that made the resource.
    """
    pool = [c for c in candidates if c.change_type == wanted]
    writes = [c for c in candidates if c.change_type == "write"]
    if not pool and writes and wanted != "delete":
        return (_oldest(writes) if wanted == "create" else _newest(writes)), []
    matched: list[str] = []
    if finding.kind is FindingKind.CHANGED:
        path = (arm_path(finding) or "").lower()
        naming = [c for c in pool if path and any(_touches(p, path) for p in c.properties)]
        if naming:
            pool = naming
            newest = _newest(pool)
            matched = [p for p in newest.properties if _touches(p, path)]
            return newest, matched
    return (_newest(pool) if pool else None), matched


def _moment(change: Change) -> datetime:
    at = change.at
    if at is None:
        return datetime.min.replace(tzinfo=UTC)  # a record without a time counts as oldest
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _newest(changes: Sequence[Change]) -> Change:
    return max(changes, key=_moment)


def _oldest(changes: Sequence[Change]) -> Change:
    return min(changes, key=_moment)
