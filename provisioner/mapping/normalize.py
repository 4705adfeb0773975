"""Both sides into one model: Terraform records and ARM bodies -> `Resource`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.mapping.flatten import Side, flatten
from provisioner.model import (
    Resource,
    Sensitive,
    StateResource,
    carries_credentials,
    secret_like_name,
)
from provisioner.registry import by_tf_type, canonical_id, for_body, tf_type_for_arm
from provisioner.registry.spec import Lookups

# `template.container[api].env[DB_PASSWORD].value`
_ENV_VALUE = re.compile(r"\.env\[(?P<name>[^\]]+)\]\.value$")


def _protected(attributes: dict[str, Any]) -> dict[str, Any]:
    """Plain env values that are secrets by name or content, held as `Sensitive`.

    Both sides get the same treatment, so a change is still found (fingerprints differ)
    but never shown: such a value is a policy finding, and must not become a leak too.
    """
    for name, value in attributes.items():
        found = _ENV_VALUE.search(name) if ".env[" in name else None
        if not (found and isinstance(value, str) and value):
            continue
        if secret_like_name(found["name"]) or carries_credentials(value):
            attributes[name] = Sensitive.of(value)
    return attributes


def from_state(record: StateResource) -> Resource | None:
    """Normalize one state instance; None when it has no ARM ID (not an Azure resource)."""
    if record.id is None:
        return None
    try:
        rid = canonical_id(record.id)
    except ValueError:
        return None
    spec = by_tf_type(record.tf_type)
    side = Side(is_state=True, sensitive=record.sensitive_paths)
    attributes = flatten(spec.attributes, record.attributes, side) if spec else {}
    return Resource(rid, rid.arm_type, record.tf_type, _protected(attributes), record.address)


def lookups_for(bodies: Iterable[Mapping[str, Any]]) -> Lookups:
    """Facts that span resources: Log Analytics customerId -> workspace ID."""
    workspaces = {
        str(body["properties"]["customerId"]): str(canonical_id(str(body["id"])))
        for body in bodies
        if str(body.get("type", "")).lower() == "microsoft.operationalinsights/workspaces"
        and (body.get("properties") or {}).get("customerId")
    }
    return Lookups(workspaces)


def from_arm(body: Mapping[str, Any], lookups: Lookups) -> Resource:
    """Normalize one ARM body (as Azure returned it, secrets already redacted)."""
    rid = canonical_id(str(body["id"]))
    spec = for_body(body)
    attributes = (
        flatten(spec.attributes, body, Side(is_state=False, lookups=lookups)) if spec else {}
    )
    tf_type = spec.tf_type if spec else tf_type_for_arm(rid.arm_type)
    return Resource(rid, rid.arm_type, tf_type, _protected(attributes))
