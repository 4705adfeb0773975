"""Retries, pacing and concurrency for every ARM request of one run, within its deadline.

ARM throttles reads per subscription and principal with a token bucket and answers 429 with
`Retry-After` when it is empty; Resource Graph has its own small per-user quota. azure-core's
default policy would sleep a 5-minute Retry-After three times. Here one `Throttle`, shared by
all SDK clients of a run, decides instead:

- 429, 408 and 5xx are retried after `Retry-After` (seconds or an HTTP date), ARG's
  `x-ms-user-quota-resets-after`, or an exponential backoff;
- the run has one deadline (`--timeout`, `Deadline`): a wait that would end after it fails
  at once (`OutOfTime`), no request starts after it, and each request's own timeouts are
  cut to the time left, so the caller marks what was not read as unknown rather than hang;
- a 429 holds every worker of that quota until its Retry-After has passed, and the number
  of requests in flight shrinks as `x-ms-ratelimit-remaining-subscription-reads` runs low;
- only reads leave the process: GETs, and the Resource Graph query POST. A POST such as
  `listKeys` or `listSecrets` is refused before it is sent, and nothing is sent anywhere
  but the configured ARM endpoint (the bearer token stays there).

Clocks and sleep are injected, so tests never sleep.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, SansIOHTTPPolicy

from provisioner.errors import AzprovError

# The whole run's deadline unless --timeout / AZPROV_TIMEOUT say otherwise.
DEFAULT_TIMEOUT_S = 600.0
# One request's own limits, cut further to the time the run has left.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A 429 says "wait", not "broken": more tries than for errors, still bounded by the deadline.
THROTTLED_ATTEMPTS = 10
BACKOFF_S = 0.5
BACKOFF_MAX_S = 8.0
# Full concurrency while at least this many reads per worker remain in the bucket.
LOW_WATER_PER_WORKER = 10
ARM_QUOTA = "arm"
GRAPH_QUOTA = "graph"
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"
_REMAINING_READS = re.compile(r"^x-ms-ratelimit-remaining-(subscription|tenant)-reads$", re.I)


class OutOfTime(AzureError):
    """The run's deadline passed, or Azure asked azprov to wait beyond it."""


class Deadline:
    """When the whole run must be over. Shared by every read of every environment."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.at = clock() + seconds

    def left_s(self) -> float:
        return max(0.0, self.at - self.clock())


class WriteRefused(AzprovError):
    """azprov only reads; a request that could change Azure or fetch secrets is a bug."""


def retry_after_s(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait per `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After`.

    `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 10.2.3); `now` is the
    wall clock (`time.time()`) the date is measured against.
    """
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = _header(headers, name)
        if value is not None:
            try:
                return max(0.0, float(value) / 1000)
            except ValueError:
                pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


def quota_resets_after_s(headers: Mapping[str, str]) -> float | None:
    """ARG's `x-ms-user-quota-resets-after` (`hh:mm:ss`) in seconds."""
    value = _header(headers, "x-ms-user-quota-resets-after")
    if value is None:
        return None
    try:
        hours, minutes, seconds = value.strip().split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def remaining_reads(headers: Mapping[str, str]) -> int | None:
    """The fewest reads ARM says are left (subscription or tenant bucket), if it says."""
    found = []
    for name, value in headers.items():
        if _REMAINING_READS.match(name):
            try:
                found.append(int(value))
            except ValueError:
                continue
    return min(found) if found else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # azure-core's headers are case-insensitive; a plain dict is not
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def quota_of(url: str) -> str:
    """Which throttling bucket a request draws on: Resource Graph's or ARM's reads."""
    return GRAPH_QUOTA if GRAPH_PATH in url.lower().split("?", 1)[0] else ARM_QUOTA


class Throttle:
    """Run-wide deadline, pauses and concurrency, shared by every client's policy."""

    def __init__(
        self,
        workers: int = 8,
        budget_s: float = DEFAULT_TIMEOUT_S,
        retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        deadline: Deadline | None = None,
    ) -> None:
        self.workers = workers
        self.retries = retries
        self.clock = clock
        self.sleep = sleep
        self.wall_clock = wall_clock
        self.deadline = deadline or Deadline(budget_s, clock)
        self._cap = workers
        self._active = 0
        self._not_before: dict[str, float] = {}
        self._turns = threading.Condition()
        # What the run saw, for tests and the benchmark.
        self.peak_active = 0

    @property
    def cap(self) -> int:
        """How many requests may be in flight now."""
        with self._turns:
            return self._cap

    def left_s(self) -> float:
        return self.deadline.left_s()

    def pause(self, seconds: float, why: str) -> None:
        """Sleep `seconds`, or fail at once when that would overrun the deadline."""
        if seconds <= 0:
            return
        left = self.left_s()
        if seconds > left:
            raise OutOfTime(
                f"{why}; waiting {seconds:.0f} s more would overrun the run's "
                f"{self.deadline.seconds:.0f} s deadline (--timeout; {left:.0f} s left)"
            )
        self.sleep(seconds)

    def check_time(self) -> None:
        """Refuse to start a request once the run's deadline has passed."""
        if self.left_s() <= 0:
            raise OutOfTime(
                f"not read: the run's {self.deadline.seconds:.0f} s deadline (--timeout) passed"
            )

    def hold(self, quota: str, seconds: float) -> None:
        """Make every request on `quota` wait `seconds` from now (ARM throttles them all)."""
        until = self.clock() + seconds
        with self._turns:
            self._not_before[quota] = max(self._not_before.get(quota, 0.0), until)

    def acquire(self, quota: str) -> None:
        """Wait out any hold on `quota`, then for a free slot under the current cap."""
        while True:
            with self._turns:
                wait = self._not_before.get(quota, 0.0) - self.clock()
            if wait <= 0:
                break
            self.pause(wait, "not sent: Azure throttled this subscription's reads (HTTP 429)")
        with self._turns:
            self._turns.wait_for(lambda: self._active < self._cap)
            self._active += 1
            self.peak_active = max(self.peak_active, self._active)

    def release(self) -> None:
        with self._turns:
            self._active -= 1
            self._turns.notify_all()

    def observe(self, quota: str, headers: Mapping[str, str]) -> None:
        """Adapt to what a response says about the quota left."""
        left = remaining_reads(headers)
        if left is not None and quota == ARM_QUOTA:
            low_water = LOW_WATER_PER_WORKER * self.workers
            cap = max(1, min(self.workers, left * self.workers // low_water))
            with self._turns:
                self._cap = cap
                self._turns.notify_all()
        graph_left = _header(headers, "x-ms-user-quota-remaining")
        resets = quota_resets_after_s(headers)
        if quota == GRAPH_QUOTA and graph_left is not None and resets is not None:
            try:
                if int(graph_left) <= 0:
                    self.hold(GRAPH_QUOTA, resets)
            except ValueError:
                pass

    def delay_for(self, status: int, headers: Mapping[str, str], attempt: int) -> float:
        """How long to wait before retrying a response with `status`."""
        asked = retry_after_s(headers, self.wall_clock())
        if asked is None and status == 429:
            asked = quota_resets_after_s(headers)
        if asked is not None:
            return asked
        return float(min(BACKOFF_MAX_S, BACKOFF_S * 2**attempt))

    def attempts_for(self, status: int | None) -> int:
        return max(self.retries + 1, THROTTLED_ATTEMPTS) if status == 429 else self.retries + 1


class ThrottlePolicy(HTTPPolicy[Any, Any]):
    """azure-core retry policy backed by the run's `Throttle` (one instance per client)."""

    def __init__(self, throttle: Throttle) -> None:
        super().__init__()
        self._throttle = throttle

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        throttle = self._throttle
        quota = quota_of(request.http_request.url)
        attempt = 0
        while True:
            throttle.check_time()
            throttle.acquire(quota)
            left = throttle.left_s()
            if left <= 0:  # the deadline passed while this request waited for a slot
                throttle.release()
                throttle.check_time()
            request.context.options["connection_timeout"] = max(0.1, min(CONNECT_TIMEOUT_S, left))
            request.context.options["read_timeout"] = max(0.1, min(READ_TIMEOUT_S, left))
            try:
                response = self.next.send(request)
            except (ServiceRequestError, ServiceResponseError):
                throttle.release()
                delay = throttle.delay_for(0, {}, attempt)
                if attempt + 1 >= throttle.attempts_for(None) or delay > throttle.left_s():
                    throttle.check_time()
                    raise
                throttle.pause(delay, "connection failed")
                attempt += 1
                continue
            except BaseException:
                throttle.release()
                raise
            throttle.release()
            headers = response.http_response.headers
            status = response.http_response.status_code
            throttle.observe(quota, headers)
            if status not in RETRY_STATUSES or attempt + 1 >= throttle.attempts_for(status):
                return response
            delay = throttle.delay_for(status, headers, attempt)
            why = f"HTTP {status} from {_path(request.http_request.url)}"
            if status == 429:
                throttle.hold(quota, delay)
                if delay > throttle.left_s():
                    throttle.pause(delay, why)  # raises: the wait would overrun the deadline
            else:
                throttle.pause(delay, why)
            attempt += 1


def _path(url: str) -> str:
    return url.split("?", 1)[0].split("://", 1)[-1].partition("/")[2]


class ReadOnlyPolicy(SansIOHTTPPolicy[Any, Any]):
    """Lets GETs and the Resource Graph query through; refuses anything else unsent."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        method = http.method.upper()
        if method in ("GET", "HEAD"):
            return
        if method == "POST" and quota_of(http.url) == GRAPH_QUOTA:
            return
        raise WriteRefused(f"azprov only reads Azure; refused to send {method} /{_path(http.url)}")


def same_endpoint(url: str, endpoint: str) -> bool:
    """Whether `url` has the scheme, host and port of `endpoint` (default ports filled in)."""
    try:
        a, b = urlsplit(url), urlsplit(endpoint)
        return (a.scheme.lower(), a.hostname, a.port or _PORTS.get(a.scheme.lower())) == (
            b.scheme.lower(),
            b.hostname,
            b.port or _PORTS.get(b.scheme.lower()),
        )
    except ValueError:
        return False


_PORTS = {"https": 443, "http": 80}


class SameEndpointPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses, unsent, any request to another scheme, host or port than the ARM endpoint.

    URLs that come from responses (`nextLink`, `Location`) must never take the bearer
    token anywhere else: this sits before the authentication policy.
    """

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._endpoint = endpoint

    def on_request(self, request: PipelineRequest[Any]) -> None:
        url = request.http_request.url
        if not same_endpoint(url, self._endpoint):
            raise ForeignEndpoint(
                f"refused to send a request to {_origin(url)}: azprov talks only to "
                f"the ARM endpoint {self._endpoint}"
            )


class ForeignEndpoint(AzureError):
    """A request bound for another host than the ARM endpoint (never sent)."""


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an unparsable URL"
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
