"""A fake of the GitHub REST endpoints `azprov notify` uses, served through `responses`.

Stateful like the real API: issues and pull requests share one number space and one
listing (pull requests carry a `pull_request` key), listings page with a `Link` header,
bodies over 65,536 characters are refused with 422, a wrong token gets 401, labels are
looked up by URL-encoded name. `fail(...)` queues an injected failure for the next
matching request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import responses

API = "https://api.github.test"
REPO = "acme/stack"
TOKEN = "ghs_fake-token-never-printed"
BODY_LIMIT = 65_536

Answer = tuple[int, dict[str, str], str]


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class GitHubFake:
    """The repository `acme/stack`; `page_size` caps every listing's page."""

    page_size: int = 100
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    _next_comment: int = 9000

    # --- seeding -----------------------------------------------------------------------

    def add_issue(
        self, title: str, body: str = "", state: str = "open", pull_request: bool = False
    ) -> int:
        number = len(self.issues) + 1
        kind = "pull" if pull_request else "issues"
        self.issues[number] = {
            "number": number,
            "title": title,
            "body": body or None,
            "state": state,
            "state_reason": "completed" if state == "closed" else None,
            "labels": [],
            "html_url": f"https://github.test/{REPO}/{kind}/{number}",
        }
        if pull_request:
            self.issues[number]["pull_request"] = {"url": f"{API}/repos/{REPO}/pulls/{number}"}
        return number

    def add_comment(self, number: int, body: str) -> int:
        self._next_comment += 1
        self.comments[self._next_comment] = {
            "id": self._next_comment,
            "issue": number,
            "body": body,
            "html_url": f"https://github.test/{REPO}/issues/{number}#issuecomment-{self._next_comment}",
        }
        return self._next_comment

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        headers: dict[str, str] | None = None,
        message: str = "injected failure",
    ) -> None:
        self.failures.append(
            Failure(method, re.compile(path), status, headers or {}, {"message": message})
        )

    # --- queries for tests ---------------------------------------------------------------

    def marked(self, marker: str) -> list[dict[str, Any]]:
        """Issues (not pull requests) whose body holds `marker`."""
        return [
            i
            for i in self.issues.values()
            if marker in (i["body"] or "") and "pull_request" not in i
        ]

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == number]

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls if m != "GET"]

    # --- serving -------------------------------------------------------------------------

    def install(self, rsps: responses.RequestsMock) -> None:
        pattern = re.compile(re.escape(API) + r"/.*")
        for method in ("GET", "POST", "PATCH"):
            rsps.add_callback(method, pattern, callback=self._answer)

    def _answer(self, request: Any) -> Answer:
        parts = urlsplit(request.url)
        query = parse_qs(parts.query)
        self.calls.append((request.method, parts.path, query))
        self.authorizations.append(request.headers.get("Authorization", ""))
        for failure in self.failures:
            if failure.method == request.method and failure.path.search(parts.path):
                self.failures.remove(failure)
                return failure.status, failure.headers, json.dumps(failure.body)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json(401, {"message": "Bad credentials"})
        prefix = f"/repos/{REPO}"
        if not parts.path.startswith(prefix + "/"):
            return _json(404, {"message": "Not Found"})
        path = parts.path[len(prefix) :]
        payload = json.loads(request.body) if request.body else {}
        return self._route(request.method, path, query, payload)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], payload: dict[str, Any]
    ) -> Answer:
        if found := re.fullmatch(r"/issues/comments/(\d+)", path):
            return self._comment(method, int(found[1]), payload)
        if found := re.fullmatch(r"/issues/(\d+)/comments", path):
            return self._issue_comments(method, int(found[1]), query, payload)
        if found := re.fullmatch(r"/issues/(\d+)", path):
            return self._issue(method, int(found[1]), payload)
        if path == "/issues":
            return self._issue_list(method, query, payload)
        if found := re.fullmatch(r"/labels/([^/]+)", path):
            label = self.labels.get(unquote(found[1]))
            return _json(200, label) if label else _json(404, {"message": "Not Found"})
        if path == "/labels" and method == "POST":
            if payload["name"] in self.labels:
                return _json(422, _invalid("Label", "name", "already_exists"))
            self.labels[payload["name"]] = payload
            return _json(201, payload)
        return _json(404, {"message": "Not Found"})

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]) -> Answer:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100, self.page_size)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        last = max(1, -(-len(items) // per_page))
        if page < last:
            flat = {k: v[0] for k, v in query.items()}
            links = [
                f'<{API}/repos/{REPO}{path}?{urlencode({**flat, "page": page + 1})}>; rel="next"',
                f'<{API}/repos/{REPO}{path}?{urlencode({**flat, "page": last})}>; rel="last"',
            ]
            headers["Link"] = ", ".join(links)
        return 200, {"Content-Type": "application/json", **headers}, json.dumps(chunk)

    def _issue_list(
        self, method: str, query: dict[str, list[str]], payload: dict[str, Any]
    ) -> Answer:
        if method == "POST":
            if not payload.get("title"):
                return _json(422, _invalid("Issue", "title", "missing_field"))
            if len(payload.get("body") or "") > BODY_LIMIT:
                return _json(422, _too_long())
            number = self.add_issue(payload["title"], payload.get("body") or "")
            self.issues[number]["labels"] = [{"name": n} for n in payload.get("labels", [])]
            return _json(201, self.issues[number])
        state = query.get("state", ["open"])[0]
        items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        if query.get("direction", ["desc"])[0] == "desc":
            items.reverse()
        return self._page(items, "/issues", query)

    def _issue(self, method: str, number: int, payload: dict[str, Any]) -> Answer:
        issue = self.issues.get(number)
        if issue is None:
            return _json(404, {"message": "Not Found"})
        if method == "PATCH":
            if len(payload.get("body") or "") > BODY_LIMIT:
                return _json(422, _too_long())
            issue.update(
                {
                    k: v
                    for k, v in payload.items()
                    if k in ("title", "body", "state", "state_reason")
                }
            )
        return _json(200, issue)

    def _issue_comments(
        self, method: str, number: int, query: dict[str, list[str]], payload: dict[str, Any]
    ) -> Answer:
        if number not in self.issues:
            return _json(404, {"message": "Not Found"})
        if method == "POST":
            if len(payload.get("body") or "") > BODY_LIMIT:
                return _json(422, _too_long())
            return _json(201, self.comments[self.add_comment(number, payload["body"])])
        return self._page(self.comments_on(number), f"/issues/{number}/comments", query)

    def _comment(self, method: str, comment_id: int, payload: dict[str, Any]) -> Answer:
        comment = self.comments.get(comment_id)
        if comment is None:
            return _json(404, {"message": "Not Found"})
        if method == "PATCH":
            if len(payload.get("body") or "") > BODY_LIMIT:
                return _json(422, _too_long())
            comment["body"] = payload["body"]
        return _json(200, comment)


def _json(status: int, doc: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(doc)


def _invalid(resource: str, name: str, code: str) -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [{"resource": resource, "field": name, "code": code}],
    }


def _too_long() -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "Issue",
                "field": "body",
                "code": "custom",
                "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
            }
        ],
    }
