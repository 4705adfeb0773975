"""checkov over terraform/: no failed check, and every skip justified in main.tf.

checkov comes from $AZPROV_CHECKOV (tasks.py installs it in its own venv) or PATH. It runs
three times per session, a few seconds each: with the variables' defaults, with
prod.tfvars and with test.tfvars.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ._support import ROOT, TERRAFORM, TerraformConfig, require_tool

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<id>CKV2?_[A-Z]+_\d+)(?::(?P<reason>.*))?")
# Deliberately weaker in test (see test.tfvars): locally redundant backups and the Basic
# registry, which has no Defender scanning tier.
ACCEPTED_IN_TEST = {"CKV_AZURE_136", "CKV_AZURE_163"}


def run_checkov(binary: str, scratch: Path, var_file: str | None) -> dict[str, Any]:
    argv = [
        binary,
        "--directory",
        str(TERRAFORM.relative_to(ROOT)),
        "--framework",
        "terraform",
        "--output",
        "json",
        "--compact",
        "--skip-download",  # offline: no policy metadata from the vendor's API
    ]
    if var_file:
        argv += ["--var-file", str((TERRAFORM / var_file).relative_to(ROOT))]
    env = dict(os.environ, CHECKPOINT_DISABLE="1", BC_SKIP_MAPPING="TRUE", HOME=str(scratch))
    env.pop("BC_API_KEY", None)
    result = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode in (0, 1), f"checkov crashed ({result.returncode}): {result.stderr}"
    report = json.loads(result.stdout)
    # One framework gives one report object; be tolerant of the list form too.
    if isinstance(report, list):
        (report,) = [r for r in report if r.get("check_type") == "terraform"]
    assert isinstance(report, dict)
    return report


@pytest.fixture(scope="session")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    binary = require_tool("checkov", env_var="AZPROV_CHECKOV")
    scratch = tmp_path_factory.mktemp("checkov-home")
    return {
        "defaults": run_checkov(binary, scratch, None),
        "prod": run_checkov(binary, scratch, "prod.tfvars"),
        "test": run_checkov(binary, scratch, "test.tfvars"),
    }


def failed(report: dict[str, Any]) -> list[str]:
    return sorted(
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in report["results"].get("failed_checks", [])
    )


def skip_comments() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TERRAFORM.glob("*.tf")):
        for match in SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            found.append((match["id"], (match["reason"] or "").strip()))
    return found


@pytest.mark.parametrize("scan", ["defaults", "prod"])
def test_no_failed_checks(checkov_reports: dict[str, dict[str, Any]], scan: str) -> None:
    report = checkov_reports[scan]
    assert report["summary"]["parsing_errors"] == 0
    assert failed(report) == []
    assert report["summary"]["passed"] > 0


def test_test_env_fails_only_the_accepted_checks(
    checkov_reports: dict[str, dict[str, Any]],
) -> None:
    ids = {c["check_id"] for c in checkov_reports["test"]["results"].get("failed_checks", [])}
    assert ids == ACCEPTED_IN_TEST


def test_checkov_sees_every_resource(
    checkov_reports: dict[str, dict[str, Any]], tf: TerraformConfig
) -> None:
    # Guards against a file checkov cannot parse being silently left out.
    assert checkov_reports["defaults"]["summary"]["resource_count"] == len(tf.resources)


def test_every_skip_has_a_reason() -> None:
    skips = skip_comments()
    assert skips, "expected the documented skips in main.tf"
    for check_id, reason in skips:
        assert len(reason) >= 30, f"{check_id} is skipped without a real reason: {reason!r}"


def test_every_skip_is_still_needed(checkov_reports: dict[str, dict[str, Any]]) -> None:
    skipped = {
        c["check_id"] for c in checkov_reports["defaults"]["results"].get("skipped_checks", [])
    }
    commented = {check_id for check_id, _ in skip_comments()}
    assert commented == skipped
    assert checkov_reports["defaults"]["summary"]["skipped"] == len(skip_comments())
