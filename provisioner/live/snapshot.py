"""Save the live side once and replay it offline (`azprov snapshot`, `verify --live`).

A snapshot is evidence that travels (CI artifacts, attachments to a review), so it holds
no secret at all: besides what every read redacts, the value of every name/value pair
whose name says it is a secret (`DB_PASSWORD` in a container's env) is `***`. Such values
are then not compared when the snapshot is replayed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provisioner.errors import SnapshotError
from provisioner.live.inventory import Inventory, thin_keys
from provisioner.model import REDACTED, Coverage, Unread, carries_credentials, secret_like_name

FORMAT = "azprov-snapshot/1"


def snapshot_to_json(inventory: Inventory, environment: str) -> str:
    """The snapshot document: ARM bodies as Azure returned them (secrets redacted)."""
    doc = {
        "format": FORMAT,
        "environment": environment,
        "subscription_id": inventory.subscription_id,
        "taken_at": inventory.taken_at,
        "resource_groups": list(inventory.resource_groups),
        "coverage": {
            "listed": sorted([parent, what] for parent, what in inventory.coverage.listed),
            "subtree": sorted([parent, what] for parent, what in inventory.coverage.subtree),
            "fetched": sorted(inventory.coverage.fetched),
        },
        "unread": [vars(u) for u in inventory.unread],
        "notes": list(inventory.notes),
        "resources": [without_secret_values(body) for body in inventory.bodies],
        # Resource Graph's change records, so that `--live` explains findings offline too.
        "changes": None if inventory.changes is None else list(inventory.changes),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def without_secret_values(value: Any) -> Any:
    """`value` with the value of every secret-named or credential-carrying pair as `***`."""
    if isinstance(value, Mapping):
        name, plain = value.get("name"), value.get("value")
        secret = isinstance(name, str) and secret_like_name(name)
        if isinstance(plain, str) and plain and (secret or carries_credentials(plain)):
            return {**value, "value": REDACTED}
        return {key: without_secret_values(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [without_secret_values(item) for item in value]
    return value


def load_snapshot(path: Path, environment: str) -> Inventory:
    """Read a snapshot written by `azprov snapshot`, checking it is for `environment`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"snapshot file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not an azprov snapshot (expected format {FORMAT})")
    if doc.get("environment") != environment:
        raise SnapshotError(
            f"{path} is a snapshot of environment {doc.get('environment')!r}, not {environment!r}"
        )
    try:
        coverage = doc["coverage"]
        bodies = tuple(_bodies(doc["resources"]))
        unread = tuple(Unread(**u) for u in doc.get("unread") or ())
        return Inventory(
            subscription_id=str(doc["subscription_id"]),
            taken_at=str(doc["taken_at"]),
            resource_groups=tuple(doc.get("resource_groups") or ()),
            bodies=bodies,
            coverage=Coverage(
                frozenset((str(p).lower(), str(w).lower()) for p, w in coverage["listed"]),
                frozenset(str(f).lower() for f in coverage["fetched"]),
                frozenset((str(p).lower(), str(w).lower()) for p, w in coverage.get("subtree", [])),
            ),
            unread=unread,
            unknown=thin_keys(bodies),
            changes=_changes(doc.get("changes")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"{path} is not a complete azprov snapshot: {exc!r}") from None


def _bodies(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
        raise ValueError("'resources' must be a list of ARM objects with an 'id'")
    return items


def _changes(rows: Any) -> tuple[dict[str, Any], ...] | None:
    if rows is None:
        return None
    if not isinstance(rows, list):
        raise ValueError("'changes' must be a list of change records")
    return tuple(row for row in rows if isinstance(row, dict))
