"""The audit's findings as SARIF: verify's drift with what this apply does to it, then
isolation and policy findings on the plan and on Azure."""

from __future__ import annotations

from dataclasses import replace

from provisioner.audit.report import AuditReport
from provisioner.reporters.sarif import Locator, render_findings


def render_sarif(report: AuditReport, locate: Locator, information_uri: str | None = None) -> str:
    """SARIF 2.1.0 for `azprov audit`; drift messages say what the apply does to them."""
    drift = [
        replace(d.finding, message=f"{d.finding.message}; this apply: {d.why}")
        for d in report.drift
    ]
    return render_findings(
        [*drift, *report.findings],
        command="audit",
        environment=report.environment,
        locate=locate,
        unread=report.live.unread if report.live else (),
        information_uri=information_uri,
    )
