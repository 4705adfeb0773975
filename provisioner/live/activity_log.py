"""The Activity Log, for drift Resource Graph's change records could not explain.

`verify --activity-log` reads the subscription's management events of each resource
group that holds an unexplained finding, over a bounded look-back (the Activity Log keeps
90 days): one list per group (plus its pages), through the same ARM client as every read.
Only what attribution needs is kept: who, the application they used, the operation, when,
the correlation ID.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from provisioner.live.arm import ArmClient

API_VERSION = "2015-04-01"
MAX_DAYS = 90
_SELECT = "caller,claims,correlationId,eventTimestamp,operationName,resourceId,status"


def read_activity(
    arm: ArmClient, groups: Iterable[str], until: datetime, days: int
) -> list[dict[str, Any]]:
    """Succeeded management events in `groups` over the `days` before `until`."""
    since = until - timedelta(days=min(max(days, 1), MAX_DAYS))
    window = f"eventTimestamp ge '{_stamp(since)}' and eventTimestamp le '{_stamp(until)}'"
    path = (
        f"/subscriptions/{arm.subscription_id}"
        "/providers/Microsoft.Insights/eventtypes/management/values"
    )
    events: list[dict[str, Any]] = []
    for group in dict.fromkeys(g.lower() for g in groups):
        odata = f"{window} and resourceGroupName eq '{group.replace(chr(39), chr(39) * 2)}'"
        for event in arm.list(path, API_VERSION, {"$filter": odata, "$select": _SELECT}):
            status = event.get("status")
            if isinstance(status, dict) and status.get("value") == "Succeeded":
                events.append(_kept(event))
    return events


def _kept(event: dict[str, Any]) -> dict[str, Any]:
    """The fields attribution reads; of the caller's token claims, only the application."""
    claims = event.get("claims")
    app_id = claims.get("appid") if isinstance(claims, dict) else None
    operation = event.get("operationName")
    return {
        "resourceId": event.get("resourceId"),
        "caller": event.get("caller"),
        "appId": app_id,
        "operation": operation.get("value") if isinstance(operation, dict) else None,
        "eventTimestamp": event.get("eventTimestamp"),
        "correlationId": event.get("correlationId"),
    }


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")
