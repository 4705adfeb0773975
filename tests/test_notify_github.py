"""`azprov notify github` against a stateful fake of GitHub's REST API (tests/github_fake.py):
drift → drift → clean → drift, pull-request comments, the size limit, injected failures."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.cli import app
from tests.conftest import EXAMPLES
from tests.github_fake import API, REPO, TOKEN, GitHubFake

runner = CliRunner()
DRIFT = "<!-- azprov:drift:prod -->"
AUDIT = "<!-- azprov:audit:prod -->"
RUN = f"https://github.test/{REPO}/actions/runs/777"
OFFLINE = [
    "--state",
    str(EXAMPLES / "prod.tfstate.json"),
    "--live",
    str(EXAMPLES / "prod.live.json"),
    "--state",
    f"test={EXAMPLES / 'test.tfstate.json'}",
    "--live",
    f"test={EXAMPLES / 'test.live.json'}",
]


@pytest.fixture(scope="module")
def verify_doc() -> dict[str, Any]:
    """The bundled example's `azprov verify --format json`: six findings."""
    result = runner.invoke(app, ["verify", "--env", "prod", *OFFLINE, "-f", "json"])
    doc: dict[str, Any] = json.loads(result.stdout)
    assert len(doc["findings"]) == 6
    return doc


@pytest.fixture(scope="module")
def audit_doc() -> dict[str, Any]:
    plan = ["--plan", str(EXAMPLES / "prod.tfplan.json")]
    result = runner.invoke(app, ["audit", "--env", "prod", *plan, *OFFLINE, "-f", "json"])
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubFake]:
    """A repository with 230 unrelated issues and pull requests: the listing takes 3 pages."""
    for name, value in {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": API,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_RUN_ID": "777",
    }.items():
        monkeypatch.setenv(name, value)
    fake = GitHubFake()
    for n in range(230):
        fake.add_issue(f"unrelated {n}", f"body {n}", "closed" if n % 3 else "open", n % 4 == 0)
    # A pull request quoting the marker is not the drift issue.
    fake.add_issue(
        "docs: how azprov finds its issue", f"It looks for `{DRIFT}`.", pull_request=True
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake


def report(tmp_path: Path, doc: dict[str, Any], name: str = "report.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "findings": [], "exit_code": 0}


def notify(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["notify", "github", "--env", "prod", *args])
    return result.exit_code, result.stdout, result.stderr


def test_drift_drift_clean_drift_keeps_exactly_one_issue(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    code, out, err = notify("--report", report(tmp_path, verify_doc))
    assert code == 0, err
    (issue,) = github.marked(DRIFT)
    assert out == f"azprov notify: created drift issue #{issue['number']}: {issue['html_url']}\n"
    assert issue["title"] == "azprov: 6 findings in prod"
    assert [label["name"] for label in issue["labels"]] == ["azprov", "drift:prod"]
    assert set(github.labels) == {"azprov", "drift:prod"}  # created because they were missing
    assert issue["body"].startswith(DRIFT + "\n")
    assert "**FINDINGS: 6 findings" in issue["body"] and f"({RUN})" in issue["body"]
    listing = [q for m, p, q in github.calls if m == "GET" and p.endswith("/issues")]
    assert len(listing) == 3  # every page, 100 at a time
    assert listing[0]["state"] == ["all"] and listing[0]["per_page"] == ["100"]
    assert not any("search" in p for _, p, _ in github.calls)

    # drift again, one finding fewer: the same issue is edited in place
    fewer = copy.deepcopy(verify_doc)
    fewer["findings"] = fewer["findings"][:5]
    code, out, _ = notify("--report", report(tmp_path, fewer))
    assert code == 0
    assert out.startswith(f"azprov notify: updated drift issue #{issue['number']}")
    (issue,) = github.marked(DRIFT)
    assert issue["title"] == "azprov: 5 findings in prod" and "5 findings" in issue["body"]
    assert github.comments_on(issue["number"]) == []  # "new" unknown: no comment noise

    # clean: closed, with a comment saying why
    code, out, _ = notify("--report", report(tmp_path, clean(verify_doc)))
    assert code == 0
    assert out.startswith(f"azprov notify: closed drift issue #{issue['number']}: prod is clean")
    (issue,) = github.marked(DRIFT)
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    (closing,) = github.comments_on(issue["number"])
    assert "finds nothing in <code>prod</code> any more" in closing["body"]

    # clean again: nothing to close, nothing written
    writes = len(github.writes())
    code, out, _ = notify("--report", report(tmp_path, clean(verify_doc)))
    assert code == 0 and "nothing to do" in out
    assert len(github.writes()) == writes

    # drift is back: the same issue reopens, with a comment
    code, out, _ = notify("--report", report(tmp_path, verify_doc))
    assert code == 0
    assert out.startswith(f"azprov notify: reopened drift issue #{issue['number']}")
    (issue,) = github.marked(DRIFT)
    assert issue["state"] == "open" and issue["title"] == "azprov: 6 findings in prod"
    assert "again" in github.comments_on(issue["number"])[-1]["body"]
    assert all(auth == f"Bearer {TOKEN}" for auth in github.authorizations)


def test_an_incomplete_report_never_closes_the_issue(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    notify("--report", report(tmp_path, verify_doc))
    (issue,) = github.marked(DRIFT)
    unread = [{"scope": "/subscriptions/s/resourceGroups/rg", "what": "container apps",
               "reason": "HTTP 403 AuthorizationFailed"}]  # fmt: skip
    partial = {**clean(verify_doc), "unread": unread, "exit_code": 1}
    writes = len(github.writes())
    code, out, err = notify("--report", report(tmp_path, partial))
    assert code == 0, err
    assert "left alone" in out and "incomplete" in out
    assert github.marked(DRIFT)[0]["state"] == "open"
    assert len(github.writes()) == writes
    # an incomplete report that still has findings does update, and says it is incomplete
    code, out, _ = notify(
        "--report", report(tmp_path, {**verify_doc, "unread": unread, "exit_code": 1})
    )
    assert "updated" in out
    (issue,) = github.marked(DRIFT)
    assert issue["title"] == "azprov: 6 findings in prod (incomplete read)"
    assert "HTTP 403 AuthorizationFailed" in issue["body"]


def test_an_existing_closed_issue_is_found_across_pages_and_reopened(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    old = github.add_issue("azprov: 2 findings in prod", f"{DRIFT}\nold report", state="closed")
    for n in range(40):  # newer issues push it off the first page
        github.add_issue(f"later {n}")
    github.page_size = 30
    code, out, _ = notify("--report", report(tmp_path, verify_doc))
    assert code == 0
    assert out.startswith(f"azprov notify: reopened drift issue #{old}")
    assert [i["number"] for i in github.marked(DRIFT)] == [old]
    # another environment's issue is another issue
    (tmp_path / "t").mkdir()
    test_doc = {**verify_doc, "environment": "test"}
    runner.invoke(
        app, ["notify", "github", "--env", "test", "--report", report(tmp_path / "t", test_doc)]
    )
    assert len(github.marked("<!-- azprov:drift:test -->")) == 1
    assert [i["number"] for i in github.marked(DRIFT)] == [old]


def test_new_findings_come_first_and_are_announced(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    notify("--report", report(tmp_path, verify_doc))
    marked = copy.deepcopy(verify_doc)
    for f in marked["findings"]:
        f["new"] = f["kind"] == "unmanaged" and "stdebugexport01" in f["resource_id"]
    code, _, _ = notify("--report", report(tmp_path, marked))
    assert code == 0
    (issue,) = github.marked(DRIFT)
    text = issue["body"]
    assert "**1 new finding since the baseline**, listed first" in text
    table = text[text.index("| severity |") :]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # no header
    assert "stdebugexport01" in rows[0]  # the medium new finding before the high old ones
    (comment,) = github.comments_on(issue["number"])
    assert "1 new finding in <code>prod</code> since the baseline" in comment["body"]
    assert "stdebugexport01" in comment["body"]


def test_pull_request_comment_is_created_once_then_edited(
    tmp_path: Path, github: GitHubFake, audit_doc: dict[str, Any]
) -> None:
    pr = github.add_issue("deploy 9b1d7aa", "a change", pull_request=True)
    for n in range(120):
        github.add_comment(pr, f"review comment {n}")
    code, out, err = notify("--report", report(tmp_path, audit_doc), "--pr", str(pr))
    assert code == 0, err
    assert out.startswith(f"azprov notify: created comment on pull request #{pr}")
    mine = [c for c in github.comments_on(pr) if AUDIT in c["body"]]
    assert len(mine) == 1
    assert "## azprov audit: <code>prod</code>" in mine[0]["body"]
    assert "Destructive changes (2)" in mine[0]["body"]
    changed = copy.deepcopy(audit_doc)
    changed["findings"] = changed["findings"][:1]
    code, out, _ = notify("--report", report(tmp_path, changed), "--pr", str(pr))
    assert code == 0
    assert out.startswith(f"azprov notify: updated comment on pull request #{pr}")
    mine = [c for c in github.comments_on(pr) if AUDIT in c["body"]]
    assert len(mine) == 1 and len(github.comments_on(pr)) == 121
    assert github.marked(DRIFT) == []  # --pr never touches the drift issue
    # the test environment gets a comment of its own
    test_doc = {**audit_doc, "environment": "test"}
    result = runner.invoke(app, ["notify", "github", "--env", "test", "--pr", str(pr),
                                 "--report", report(tmp_path, test_doc, "t.json")])  # fmt: skip
    assert result.exit_code == 0
    assert len([c for c in github.comments_on(pr) if "azprov:audit:test" in c["body"]]) == 1


def test_a_huge_report_is_cut_to_githubs_limit_with_a_link_to_the_run(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    big = copy.deepcopy(verify_doc)
    template = big["findings"][0]
    big["findings"] = [
        {**template, "resource_id": f"{template['resource_id']}-{n}", "message": "é" * 300}
        for n in range(3000)
    ]
    code, _, err = notify("--report", report(tmp_path, big))
    assert code == 0, err
    (issue,) = github.marked(DRIFT)
    assert len(issue["body"]) <= 65_536
    assert "Cut to fit GitHub's 65,536-character limit" in issue["body"]
    assert f"[workflow run]({RUN})" in issue["body"]
    assert "more findings: see the [workflow run]" in issue["body"]
    assert issue["title"] == "azprov: 3000 findings in prod"


def test_azure_text_cannot_inject_markup(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    hostile = copy.deepcopy(verify_doc)
    finding = hostile["findings"][0]
    finding["actual"] = "<img src=x onerror=alert(1)> | ![i](http://evil.test/x.png)"
    isolation = hostile["findings"][1]
    assert isolation["kind"] == "isolation"  # its message is shown, not only its values
    isolation["message"] = "[click](http://evil.test) <script>alert(1)</script>"
    notify("--report", report(tmp_path, hostile))
    text = github.marked(DRIFT)[0]["body"]
    for raw in ("<img", "<script", "![i]"):
        assert raw not in text
    hostile_lines = [line for line in text.splitlines() if "evil.test" in line]
    assert len(hostile_lines) == 2
    for line in hostile_lines:
        assert re.search(r"(?<!\\)\]\(", line) is None  # no "](" that would make a link
    row = next(line for line in text.splitlines() if "onerror" in line)
    assert row.count(" | ") == 5  # the value's "|" did not add a column


@pytest.mark.parametrize(
    ("method", "path", "status", "headers", "expected"),
    [
        ("GET", r"/issues$", 401, {}, "HTTP 401 injected failure (GITHUB_TOKEN is invalid"),
        ("POST", r"/issues$", 403, {}, "needs `issues: write`"),
        ("GET", r"/issues$", 404, {}, "no such repository"),
        ("POST", r"/issues$", 422, {}, "HTTP 422"),
        ("GET", r"/issues$", 502, {}, "HTTP 502 injected failure (GitHub had a server error"),
        ("POST", r"/labels$", 500, {}, "POST /repos/acme/stack/labels failed: HTTP 500"),
        (
            "GET",
            r"/issues$",
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225600"},
            "rate limit exhausted at GET /repos/acme/stack/issues; it resets at 00:00:00 UTC",
        ),
        ("POST", r"/issues$", 429, {"retry-after": "60"}, "secondary rate limit"),
    ],
)
def test_api_errors_are_one_line_and_never_show_the_token(
    tmp_path: Path,
    github: GitHubFake,
    verify_doc: dict[str, Any],
    method: str,
    path: str,
    status: int,
    headers: dict[str, str],
    expected: str,
) -> None:
    github.fail(method, path, status, headers)
    code, out, err = notify("--report", report(tmp_path, verify_doc))
    assert code == 1
    assert err.startswith("azprov: error: GitHub API") and expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert TOKEN not in out + err


def test_a_comment_update_failure_is_one_line(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    pr = github.add_issue("pr", pull_request=True)
    notify("--report", report(tmp_path, verify_doc), "--pr", str(pr))
    github.fail("PATCH", r"/issues/comments/\d+$", 404)
    code, _, err = notify("--report", report(tmp_path, verify_doc), "--pr", str(pr))
    assert code == 1 and "PATCH /repos/acme/stack/issues/comments/" in err
    code, _, err = notify("--report", report(tmp_path, verify_doc), "--pr", "99999")
    assert code == 1 and "GET /repos/acme/stack/issues/99999/comments failed: HTTP 404" in err


def test_paging_never_sends_the_token_to_another_host(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    pr = github.add_issue("pr", pull_request=True)
    github.add_comment(pr, "first")
    original = github._page

    def hijacked(*args: Any) -> Any:
        status, headers, body = original(*args)
        return status, {**headers, "Link": '<https://evil.test/steal?page=2>; rel="next"'}, body

    github._page = hijacked  # type: ignore[method-assign]
    code, _, err = notify("--report", report(tmp_path, verify_doc), "--pr", str(pr))
    assert code == 1 and "refusing to send the token to evil.test" in err


@pytest.mark.parametrize(
    ("unset", "expected"),
    [("GITHUB_TOKEN", "GITHUB_TOKEN is not set"), ("GITHUB_REPOSITORY", "GITHUB_REPOSITORY")],
)
def test_missing_token_or_repository_is_one_line_without_any_request(
    tmp_path: Path,
    github: GitHubFake,
    monkeypatch: pytest.MonkeyPatch,
    verify_doc: dict[str, Any],
    unset: str,
    expected: str,
) -> None:
    monkeypatch.delenv(unset)
    code, _, err = notify("--report", report(tmp_path, verify_doc))
    assert code == 1 and err.startswith("azprov: error: ") and expected in err
    assert github.calls == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "report not found"),
        ("{not json", "is not valid JSON (line 1"),
        ('{"environment": "prod"}', "is not a verify or audit JSON report"),
        ('{"environment": "prod", "findings": [{"kind": "weird"}]}', "is not a verify JSON report"),
        (
            '{"environment": "test", "findings": []}',
            "is a report for environment 'test', not 'prod'",
        ),
    ],
)
def test_a_bad_report_is_one_line(
    tmp_path: Path, github: GitHubFake, content: str | None, expected: str
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    code, _, err = notify("--report", str(path))
    assert code == 1 and expected in err and "Traceback" not in err
    assert github.calls == []


def test_without_a_run_id_the_body_says_where_the_report_is(
    tmp_path: Path, github: GitHubFake, monkeypatch: pytest.MonkeyPatch, verify_doc: dict[str, Any]
) -> None:
    monkeypatch.delenv("GITHUB_RUN_ID")
    code, _, _ = notify("--report", report(tmp_path, verify_doc))
    assert code == 0
    text = github.marked(DRIFT)[0]["body"]
    assert "workflow run" not in text and text.rstrip().endswith("Posted by azprov 0.1.0.</sub>")


def test_a_huge_audit_comment_is_cut_by_the_audit_renderer(
    tmp_path: Path, github: GitHubFake, audit_doc: dict[str, Any]
) -> None:
    big = copy.deepcopy(audit_doc)
    policy = {
        **big["findings"][-1],
        "kind": "policy",
        "rule": "required-tags",
        "severity": "medium",
    }
    big["findings"] += [
        {**policy, "resource_id": f"/subscriptions/s/r/{n}", "message": "ü" * 300}
        for n in range(2000)
    ]
    pr = github.add_issue("pr", pull_request=True)
    code, _, err = notify("--report", report(tmp_path, big), "--pr", str(pr))
    assert code == 0, err
    (comment,) = github.comments_on(pr)
    assert len(comment["body"]) <= 65_536
    assert "Cut to fit GitHub's 65,536-character limit" in comment["body"]
    assert "Destructive changes (2)" in comment["body"]  # the audit cuts long lists first


def test_existing_labels_are_kept_and_a_label_created_meanwhile_is_fine(
    tmp_path: Path, github: GitHubFake, verify_doc: dict[str, Any]
) -> None:
    github.labels["azprov"] = {"name": "azprov", "color": "000000", "description": "ours"}
    # another run creates drift:prod between our look-up and our create: 422 already_exists
    github.fail("GET", r"/labels/drift:prod$", 404, message="Not Found")
    github.labels["drift:prod"] = {"name": "drift:prod", "color": "ffffff", "description": ""}
    code, out, err = notify("--report", report(tmp_path, verify_doc))
    assert code == 0, err
    assert "created drift issue" in out
    assert github.labels["azprov"]["color"] == "000000"  # not recreated or recoloured
    posted = [p for m, p in github.writes() if p.endswith("/labels")]
    assert posted == ["/repos/acme/stack/labels"]  # only drift:prod was attempted
