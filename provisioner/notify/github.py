"""The few GitHub REST endpoints `azprov notify` uses, through `requests`.

Issues and their comments (pull requests are issues to this API), and labels. Listings
follow the `Link: rel="next"` header, and only to the API's own host, since the token
goes with every request. The token is sent as a bearer token and appears in no message,
`repr` or exception; every failure is one `GitHubError` line naming the request, the
status, GitHub's own message and what usually fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from provisioner import __version__
from provisioner.errors import ConfigError, GitHubError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PAGE_SIZE = 100
TIMEOUT = (10.0, 60.0)  # connect, read (seconds)
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HINTS = {
    401: "GITHUB_TOKEN is invalid or expired",
    403: "the token lacks a permission: the workflow needs `issues: write` "
    "(and `pull-requests: write` for --pr)",
    404: "no such repository, issue or pull request, or the token cannot see it",
    410: "issues are disabled for this repository",
    422: "GitHub rejected the content",
}


@dataclass(frozen=True)
class Issue:
    number: int
    state: str
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    url: str


def _issue(doc: Mapping[str, Any]) -> Issue:
    return Issue(
        number=int(doc["number"]),
        state=str(doc.get("state", "open")),
        title=str(doc.get("title") or ""),
        body=str(doc.get("body") or ""),
        url=str(doc.get("html_url") or ""),
    )


def _comment(doc: Mapping[str, Any]) -> Comment:
    return Comment(
        id=int(doc["id"]), body=str(doc.get("body") or ""), url=str(doc.get("html_url") or "")
    )


def _clip(text: str, width: int = 300) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def _failure(response: requests.Response, request: str) -> GitHubError:
    status = response.status_code
    headers = response.headers
    try:
        doc = response.json()
    except ValueError:
        doc = None
    message = doc.get("message") if isinstance(doc, dict) else None
    details = [
        str(e.get("message") or e.get("code") or "")
        for e in (doc.get("errors") if isinstance(doc, dict) else None) or ()
        if isinstance(e, dict)
    ]
    said = _clip("; ".join(filter(None, [str(message or response.reason or ""), *details])))
    if status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        when = (
            datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC")
            if reset.isdigit()
            else "later"
        )
        return GitHubError(f"GitHub API rate limit exhausted at {request}; it resets at {when}")
    if status in (403, 429) and "retry-after" in headers:
        return GitHubError(
            f"GitHub API secondary rate limit at {request}: retry after "
            f"{_clip(headers['retry-after'], 20)} seconds ({said})"
        )
    hint = _HINTS.get(status, "GitHub had a server error; try again" if status >= 500 else "")
    return GitHubError(
        f"GitHub API: {request} failed: HTTP {status} {said}" + (f" ({hint})" if hint else "")
    )


class GitHub:
    """A repository's issues, comments and labels through the REST API."""

    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = DEFAULT_API_URL,
        session: requests.Session | None = None,
    ) -> None:
        if not token:
            raise ConfigError(
                "GITHUB_TOKEN is not set (in a workflow: env: GITHUB_TOKEN: "
                "${{ secrets.GITHUB_TOKEN }})"
            )
        if not _REPOSITORY.match(repository or ""):
            raise ConfigError(
                f"GITHUB_REPOSITORY must be OWNER/NAME, not {repository!r} "
                "(GitHub Actions sets it; elsewhere pass --repository)"
            )
        parts = urlsplit(api_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigError(f"GITHUB_API_URL must be an http(s) URL, not {api_url!r}")
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"azprov/{__version__}",
            }
        )

    def __repr__(self) -> str:
        return f"GitHub(repository={self.repository!r}, api_url={self.api_url!r})"

    # --- transport ---------------------------------------------------------------

    def _path(self, *parts: str | int) -> str:
        # ":" stays as written (`labels/drift:prod`, as GitHub's docs spell it); "/", "?"
        # and "#" in a label name are escaped.
        owner, name = self.repository.split("/")
        steps = ["repos", owner, name, *(str(p) for p in parts)]
        return "/" + "/".join(quote(step, safe=":@") for step in steps)

    def _send(
        self, method: str, path_or_url: str, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.api_url + path_or_url
        request = f"{method} {urlsplit(url).path}"
        if not url.startswith(self.api_url + "/"):
            raise GitHubError(f"GitHub API: refusing to send the token to {urlsplit(url).netloc}")
        try:
            response = self._session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise GitHubError(
                f"GitHub API: {request} failed: cannot reach {urlsplit(self.api_url).netloc} "
                f"({type(exc).__name__})"
            ) from None
        if response.status_code not in ok:
            raise _failure(response, request)
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            request = f"{response.request.method} {urlsplit(response.url).path}"
            raise GitHubError(f"GitHub API: {request} answered with no JSON") from None

    def _pages(self, path: str, params: Mapping[str, str | int]) -> Iterator[Mapping[str, Any]]:
        response = self._send("GET", path, params={**params, "per_page": PAGE_SIZE})
        while True:
            items = self._json(response)
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API: GET {path} did not answer with a list")
            yield from (item for item in items if isinstance(item, Mapping))
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            response = self._send("GET", following)

    # --- issues --------------------------------------------------------------------

    def issues(self) -> Iterator[Issue]:
        """Every issue, open and closed, oldest first; pull requests are skipped."""
        params = {"state": "all", "sort": "created", "direction": "asc"}
        for item in self._pages(self._path("issues"), params):
            if "pull_request" not in item:
                yield _issue(item)

    def create_issue(self, title: str, body: str, labels: list[str]) -> Issue:
        payload = {"title": title, "body": body, "labels": labels}
        return _issue(self._json(self._send("POST", self._path("issues"), json=payload)))

    def update_issue(self, number: int, **fields: str) -> Issue:
        response = self._send("PATCH", self._path("issues", number), json=fields)
        return _issue(self._json(response))

    # --- comments ------------------------------------------------------------------

    def comments(self, number: int) -> Iterator[Comment]:
        """The comments of an issue or pull request, oldest first."""
        for item in self._pages(self._path("issues", number, "comments"), {}):
            yield _comment(item)

    def create_comment(self, number: int, body: str) -> Comment:
        response = self._send("POST", self._path("issues", number, "comments"), json={"body": body})
        return _comment(self._json(response))

    def update_comment(self, comment_id: int, body: str) -> Comment:
        path = self._path("issues", "comments", comment_id)
        return _comment(self._json(self._send("PATCH", path, json={"body": body})))

    # --- labels --------------------------------------------------------------------

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """Create the label unless it exists (another run creating it first is fine)."""
        if self._send("GET", self._path("labels", name), ok=(200, 404)).status_code == 200:
            return
        payload = {"name": name, "color": color, "description": description}
        response = self._send("POST", self._path("labels"), ok=(201, 422), json=payload)
        if response.status_code == 422 and "already_exists" not in response.text:
            raise _failure(response, f"POST {self._path('labels')}")
