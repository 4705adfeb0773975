"""One read, many formats: `-f a,b,c` with `--output-dir`, `-o FORMAT=FILE`, `-o -`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.conftest import EXAMPLES, serve, write_state
from tests.factories import Environment
from tests.test_sarif import BOTH_ENVIRONMENTS, valid_sarif

runner = CliRunner()
PLAN = ["--plan", str(EXAMPLES / "prod.tfplan.json")]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_reads_azure_once_for_every_format(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    fake = serve(rsps, example)
    state = str(write_state(tmp_path, example))
    code, single, _ = run("verify", "--env", "prod", "--state", state, "-f", "json")
    assert code == 2
    one_format = len(fake.calls)
    fake.calls.clear()
    reports = tmp_path / "reports"
    code, out, err = run(
        "verify", "--env", "prod", "--state", state,
        "-f", "markdown,json", "-f", "SARIF", "--output-dir", str(reports),
    )  # fmt: skip
    assert code == 2, err
    assert len(fake.calls) == one_format  # Azure read once, every format rendered from it
    assert out == ""
    assert sorted(p.name for p in reports.iterdir()) == [
        "verify-prod.json",
        "verify-prod.md",
        "verify-prod.sarif",
    ]
    written, alone = json.loads((reports / "verify-prod.json").read_text()), json.loads(single)
    del written["live"]["taken_at"], alone["live"]["taken_at"]  # the read's own clock time
    assert written == alone
    assert (
        (reports / "verify-prod.md").read_text().startswith("## azprov verify: <code>prod</code>")
    )
    results = valid_sarif((reports / "verify-prod.sarif").read_text())["runs"][0]["results"]
    assert len(results) == len(json.loads(single)["findings"])
    assert err.count("wrote ") == 3


def test_audit_writes_all_four_formats_and_the_summary_points_at_its_html(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "out"
    code, out, err = run(
        "audit", "--env", "prod", *PLAN, *BOTH_ENVIRONMENTS,
        "-f", "markdown,html,json,sarif", "--output-dir", str(reports), "--max-bytes", "2000",
    )  # fmt: skip
    assert code == 2, err
    assert out == ""
    names = sorted(p.name for p in reports.iterdir())
    assert names == ["audit-prod.html", "audit-prod.json", "audit-prod.md", "audit-prod.sarif"]
    summary = (reports / "audit-prod.md").read_text()
    assert len(summary.encode()) <= 2000
    assert "`audit-prod.html`" in summary  # a shortened summary names the HTML written beside it
    assert (reports / "audit-prod.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert json.loads((reports / "audit-prod.json").read_text())["environment"] == "prod"
    valid_sarif((reports / "audit-prod.sarif").read_text())


def test_repeated_format_equals_file_and_dash_for_stdout(tmp_path: Path) -> None:
    code, out, err = run(
        "verify", "--env", "prod", *BOTH_ENVIRONMENTS,
        "-o", f"json={tmp_path / 'drift.json'}", "-o", "markdown=-",
    )  # fmt: skip
    assert code == 2, err
    assert out.startswith("## azprov verify: <code>prod</code>")
    assert json.loads((tmp_path / "drift.json").read_text())["environment"] == "prod"


def test_one_format_to_one_file_or_dash_keeps_working(tmp_path: Path) -> None:
    target = tmp_path / "drift.json"
    code, out, err = run(
        "verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json", "-o", str(target)
    )
    assert code == 2 and out == ""
    assert f"wrote {target}" in err
    code, out, _ = run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json", "-o", "-")
    assert json.loads(out) == json.loads(target.read_text())
    # -o alone: the default format (the table) to that file, without colour
    code, _, _ = run("verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-o", str(tmp_path / "t.txt"))
    table = (tmp_path / "t.txt").read_text()
    assert "FINDINGS: 6 findings" in table and "\x1b[" not in table


def test_an_explicit_file_wins_over_the_output_directory(tmp_path: Path) -> None:
    code, out, err = run(
        "verify", "--env", "prod", *BOTH_ENVIRONMENTS, "-f", "json,sarif",
        "--output-dir", str(tmp_path / "d"), "-o", "json=-",
    )  # fmt: skip
    assert code == 2, err
    assert json.loads(out)["environment"] == "prod"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["verify-prod.sarif"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "json,markdown"], "only one format can go to stdout, not json, markdown"),
        (["-f", "jsn"], "unknown format 'jsn' in --format for `azprov verify`"),
        (["-f", "html"], "(choose from table, json, markdown, sarif)"),
        (["-f", "json,sarif", "-o", "out.json"], "-o out.json names one destination"),
        (["-o", "xml=out.xml"], "unknown format 'xml' in -o xml=out.xml"),
        (["-o", "json=a", "-o", "json=b"], "-o names format json twice"),
        (["-o", "json=", "-f", "json"], "no file after '='"),
        (["-o", "json=same", "-o", "sarif=same"], "two formats would be written to the same file"),
    ],
)
def test_bad_combinations_are_one_line_before_anything_is_read(
    tmp_path: Path, args: list[str], message: str
) -> None:
    # a state that cannot be read proves the error comes first
    code, out, err = run("verify", "--env", "prod", "--state", str(tmp_path / "absent"), *args)
    assert code == 1
    assert err.startswith("azprov: error: ") and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert out == ""
    assert not list(tmp_path.iterdir())


def test_audit_draws_the_terminal_view_as_table_and_lists_its_formats(tmp_path: Path) -> None:
    code, out, _ = run("audit", "--env", "prod", *PLAN, *BOTH_ENVIRONMENTS, "-f", "table")
    assert code == 2
    assert out.startswith("azprov audit: prod\nREVIEW: 2 destructive changes")
    assert "┏" in out and "## azprov" not in out
    code, _, err = run("audit", "--env", "prod", *PLAN, *BOTH_ENVIRONMENTS, "-f", "txt")
    assert code == 1
    assert "(choose from markdown, html, json, sarif, table)" in err
