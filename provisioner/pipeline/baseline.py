"""What is new since the last run: a previous `verify --format json` report as the baseline.

A finding is the same finding in two runs when its kind, resource ID (any case) and
attribute agree. Each finding of this run is marked `new` (absent from the baseline) or
not, and carries `first_seen`: the baseline's value for it, or this run's time when it is
new. `--fail-on new` then fails a scheduled run only for what changed since the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from provisioner.errors import ConfigError
from provisioner.input_files import parse_json, read_text
from provisioner.model import Analysis, Finding

# What a report must hold to be one of azprov's verify reports.
REPORT_KEYS = ("environment", "findings", "exit_code")


def load_baseline(path: Path, environment: str) -> dict[tuple[str, str, str], str | None]:
    """The baseline's findings by identity, each with when it was first seen (or None)."""
    doc = parse_json(read_text(path, "baseline", ConfigError), str(path), ConfigError)
    if not isinstance(doc, Mapping) or any(key not in doc for key in REPORT_KEYS):
        raise ConfigError(
            f"{path} is not an azprov verify report (`azprov verify --format json`): "
            "--baseline needs the previous run's JSON report"
        )
    if doc["environment"] != environment:
        raise ConfigError(
            f"{path} is a report on environment {doc['environment']!r}, not {environment!r}: "
            "a baseline must be the same environment's previous report"
        )
    findings = doc["findings"]
    if not isinstance(findings, list) or not all(isinstance(f, Mapping) for f in findings):
        raise ConfigError(f"{path}: findings must be a list of objects")
    live = doc.get("live")
    taken = live.get("taken_at") if isinstance(live, Mapping) else None
    # A finding the baseline shows without `first_seen` was there when it was read, at least.
    since = taken if isinstance(taken, str) else None
    known: dict[tuple[str, str, str], str | None] = {}
    for finding in findings:
        kind, resource = finding.get("kind"), finding.get("resource_id")
        if not isinstance(kind, str) or not isinstance(resource, str):
            raise ConfigError(f"{path}: a finding without its kind or resource_id")
        first = finding.get("first_seen")
        identity = (kind, resource.lower(), str(finding.get("attribute") or ""))
        known[identity] = first if isinstance(first, str) else since
    return known


def with_baseline(
    analysis: Analysis, baseline: Mapping[tuple[str, str, str], str | None], now: datetime
) -> Analysis:
    """`analysis` with every finding marked new or not, and its first sighting."""
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")

    def marked(finding: Finding) -> Finding:
        if finding.identity in baseline:
            return replace(finding, new=False, first_seen=baseline[finding.identity] or stamp)
        return replace(finding, new=True, first_seen=stamp)

    return replace(analysis, findings=tuple(marked(f) for f in analysis.findings))
