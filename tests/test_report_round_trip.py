"""Reports read back from their JSON render exactly as the originals (what `notify` relies
on: it has only the JSON). A field added to a report but not to its reader fails here."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from provisioner.audit import render_json, render_markdown
from provisioner.audit.json_doc import report_from_dict
from provisioner.cli import app
from provisioner.reporters import json_report, markdown
from provisioner.reporters.json_report import analysis_from_dict
from tests.conftest import EXAMPLES
from tests.test_sarif import BOTH_ENVIRONMENTS

runner = CliRunner()


def run(*args: str) -> str:
    return runner.invoke(app, list(args)).stdout


def test_a_verify_report_reads_back_from_its_json() -> None:
    text = run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json")
    analysis = analysis_from_dict(json.loads(text))
    assert json_report.render(analysis) == text
    assert markdown.render(analysis) == run(
        "verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "markdown"
    )


def test_an_audit_report_reads_back_from_its_json(tmp_path: Path) -> None:
    # one run writes both, so both carry the same generation time
    plan = str(EXAMPLES / "prod.tfplan.json")
    run("audit", "--env", "prod", "--plan", plan, *BOTH_ENVIRONMENTS, "-f", "json,markdown",
        "--output-dir", str(tmp_path), "--artifact", "audit.html")  # fmt: skip
    text = (tmp_path / "audit-prod.json").read_text()
    report = report_from_dict(json.loads(text))
    assert render_json(report) == text
    summary = (tmp_path / "audit-prod.md").read_text()
    assert render_markdown(report, artifact="audit.html") == summary


def test_a_verify_summary_is_cut_by_rows_and_keeps_what_went_unread() -> None:
    doc = json.loads(run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json"))
    doc["findings"] = doc["findings"] * 400
    doc["unread"] = [{"scope": "/subscriptions/s/resourceGroups/rg", "what": "registries",
                      "reason": "HTTP 403"}]  # fmt: skip
    analysis = analysis_from_dict(doc)
    full = markdown.render(analysis)
    cut = markdown.render(analysis, limit=20_000, where="the run")
    assert len(full.encode()) > 20_000 >= len(cut.encode())
    assert cut.splitlines()[2] == full.splitlines()[2]  # the verdict still counts all 2400
    shown = sum(1 for line in cut.splitlines() if line.startswith(("| high", "| medium")))
    assert f"_… and {2400 - shown} more findings: see the run._" in cut
    assert "could not read registries" in cut
