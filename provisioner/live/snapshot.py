"""Save the live side once and replay it offline (`azprov snapshot`, `verify --live`).

A snapshot is evidence that travels (CI artifacts, attachments to a review), so it holds
no secret at all: besides what every read redacts, the value of every name/value pair
whose name says it is a secret (`DB_PASSWORD` in a container's env) is `***`. Such values
are then not compared when the snapshot is replayed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from provisioner.errors import SnapshotError
from provisioner.input_files import Where, parse_json, read_text
from provisioner.live.inventory import Inventory, thin_keys
from provisioner.model import (
    REDACTED,
    Coverage,
    ResourceId,
    Unread,
    carries_credentials,
    secret_like_name,
)

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
    """Read a snapshot written by `azprov snapshot`, checking it is for `environment`.

    Every field azprov relies on is checked here, where the file comes in: a body without
    a usable ARM ID, or with `properties` that is not an object, is one `SnapshotError`
    naming its place in the file, never a crash further on.
    """
    doc = parse_json(read_text(path, "snapshot", SnapshotError), str(path), SnapshotError)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not an azprov snapshot (expected format {FORMAT})")
    if doc.get("environment") != environment:
        raise SnapshotError(
            f"{path} is a snapshot of environment {doc.get('environment')!r}, not {environment!r}"
        )
    at = Where(str(path), SnapshotError)
    missing = [
        key for key in ("subscription_id", "taken_at", "coverage", "resources") if key not in doc
    ]
    if missing:
        raise SnapshotError(f"{path} is not a complete azprov snapshot: no {', '.join(missing)}")
    coverage = at.optional(doc, "coverage", dict) or {}
    bodies = tuple(_bodies(at.optional(doc, "resources", list) or [], at / "resources"))
    unread = tuple(
        Unread(**{key: item_at.required(item, key) for key in UNREAD_FIELDS})
        for item, item_at in (at / "unread").objects(at.optional(doc, "unread", list) or [])
    )
    return Inventory(
        subscription_id=at.required(doc, "subscription_id"),
        taken_at=at.required(doc, "taken_at"),
        resource_groups=_strings(doc, "resource_groups", at),
        bodies=bodies,
        coverage=Coverage(
            frozenset(_pairs(at / "coverage", coverage, "listed")),
            frozenset(key.lower() for key in _strings(coverage, "fetched", at / "coverage")),
            frozenset(_pairs(at / "coverage", coverage, "subtree")),
        ),
        unread=unread,
        unknown=thin_keys(bodies),
        changes=_changes(at, doc),
    )


UNREAD_FIELDS = tuple(field.name for field in fields(Unread))
# The parts of an ARM body every resource type has, with the JSON type each must be.
_ENVELOPE: dict[str, type] = {
    "name": str,
    "type": str,
    "location": str,
    "kind": str,
    "properties": dict,
    "tags": dict,
    "sku": dict,
    "identity": dict,
}


def _bodies(items: list[Any], at: Where) -> Iterator[dict[str, Any]]:
    for body, body_at in at.objects(items):
        try:
            ResourceId.parse(body_at.required(body, "id"))
        except ValueError:
            raise (body_at / "id").problem(f"is not an Azure resource ID: {body['id']!r}") from None
        for key, kind in _ENVELOPE.items():
            body_at.optional(body, key, kind)
        yield body


def _strings(record: dict[str, Any], key: str, at: Where) -> tuple[str, ...]:
    values = at.optional(record, key, list) or []
    if not all(isinstance(v, str) for v in values):
        raise (at / key).problem("must be an array of strings")
    return tuple(values)


def _pairs(at: Where, coverage: dict[str, Any], key: str) -> Iterator[tuple[str, str]]:
    """`coverage.listed` / `.subtree`: [parent ID, ARM type] pairs, each a list that succeeded."""
    for i, pair in enumerate(at.optional(coverage, key, list) or []):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise (at / key / i).problem("must be a [parent ID, ARM type] pair of strings")
        yield pair[0].lower(), pair[1].lower()


def _changes(at: Where, doc: dict[str, Any]) -> tuple[dict[str, Any], ...] | None:
    """The change records kept with the snapshot (null: they were not read)."""
    rows = at.optional(doc, "changes", list)
    if rows is None:
        return None
    return tuple(row for row, _ in (at / "changes").objects(rows))
