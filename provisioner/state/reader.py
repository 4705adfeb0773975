"""Read Terraform's JSON documents into `StateResource` records.

Three shapes are accepted, detected by their keys:

* a state file (`terraform.tfstate`, format version 4): `resources[].instances[]`;
* `terraform show -json` of a state: `values.root_module` with nested `child_modules`;
* `terraform show -json` of a plan: its `prior_state` is read like the above.

Data sources are skipped; `count`/`for_each` keys stay in the address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.errors import StateError
from provisioner.input_files import Where, kind_of, parse_json, read_text
from provisioner.model import StateResource


@dataclass(frozen=True)
class StateDocument:
    """The managed resources of one state, with where they came from."""

    source: str
    resources: tuple[StateResource, ...]
    terraform_version: str | None = None


def load_state(path: Path) -> StateDocument:
    """Read a state or `show -json` file; every failure is a one-line `StateError`."""
    return parse_state(read_text(path, "state file", StateError), source=str(path))


def parse_state(text: str, source: str) -> StateDocument:
    """Parse the JSON text of a state, `show -json` output or plan JSON.

    A document of the right shape with a field of the wrong type (a resource without
    `type`, an instance that is a string) is refused with the field's path, never skipped:
    a resource read past silently would be a resource never checked.
    """
    if not text.strip():
        raise StateError(f"{source} is empty: expected Terraform state JSON")
    return state_from_document(parse_json(text, source, StateError), source)


def state_from_document(doc: Any, source: str) -> StateDocument:
    """The state in an already-decoded document (state, `show -json`, or a plan's
    `prior_state`), with the same checks as `parse_state`."""
    if not isinstance(doc, dict):
        raise StateError(f"{source} is not a Terraform state: expected a JSON object")
    at = Where(source, StateError)
    version = at.optional(doc, "terraform_version", str)
    if "prior_state" in doc or "planned_values" in doc:
        # A plan made with no state yet has no prior_state: nothing is managed.
        doc = at.optional(doc, "prior_state", dict) or {"values": {}}
        at = at / "prior_state"
    if "values" in doc or "format_version" in doc:
        values = at.optional(doc, "values", dict) or {}
        root = (at / "values").optional(values, "root_module", dict) or {}
        found = _show_json_resources(root, at / "values" / "root_module")
        return StateDocument(source, tuple(found), version)
    if "resources" in doc or "version" in doc:
        if doc.get("version") != 4 or isinstance(doc.get("version"), bool):
            raise StateError(
                f"{source}: state format version {doc.get('version')!r} is not supported "
                "(azprov reads version 4, written by Terraform 0.12 and later)"
            )
        resources = at.optional(doc, "resources", list) or []
        return StateDocument(source, tuple(_v4_resources(resources, at / "resources")), version)
    raise StateError(
        f"{source} is not a Terraform state: no 'resources' (state file) or 'values' "
        "(terraform show -json) found"
    )


def _index_suffix(key: Any, where: Where) -> str:
    if key is None:
        return ""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    if isinstance(key, str):
        return f"[{json.dumps(key)}]"
    raise (where / "index_key").problem(f"must be a number or a string, not {kind_of(key)}")


def _v4_resources(resources: list[Any], where: Where) -> Iterator[StateResource]:
    for res, at in where.objects(resources):
        if (at.optional(res, "mode", str) or "managed") != "managed":
            continue
        tf_type = at.required(res, "type")
        base = f"{tf_type}.{at.required(res, 'name')}"
        module = at.optional(res, "module", str)
        if module:
            base = f"{module}.{base}"
        instances = at.optional(res, "instances", list) or []
        for inst, inst_at in (at / "instances").objects(instances):
            sensitive = inst_at.optional(inst, "sensitive_attributes", list) or []
            yield StateResource(
                address=base + _index_suffix(inst.get("index_key"), inst_at),
                tf_type=tf_type,
                attributes=inst_at.optional(inst, "attributes", dict) or {},
                sensitive_paths=frozenset(_v4_sensitive(sensitive)),
            )


def _v4_sensitive(paths: list[Any]) -> Iterator[str]:
    """`[[{"type": "get_attr", "value": "secret"}, {"type": "index", ...}]]` -> `secret.0`."""
    for path in paths:
        steps = path if isinstance(path, list) else [path]
        parts = []
        for step in steps:
            value = step.get("value") if isinstance(step, dict) else None
            if isinstance(value, dict):  # index steps wrap the key: {"value": 0, ...}
                value = value.get("value")
            parts.append(str(value))
        if parts:
            yield ".".join(parts)


def _show_json_resources(module: Mapping[str, Any], where: Where) -> Iterator[StateResource]:
    resources = where.optional(module, "resources", list) or []
    for res, at in (where / "resources").objects(resources):
        if (at.optional(res, "mode", str) or "managed") != "managed":
            continue
        yield StateResource(
            address=at.required(res, "address"),
            tf_type=at.required(res, "type"),
            attributes=at.optional(res, "values", dict) or {},
            sensitive_paths=frozenset(_tree_paths(res.get("sensitive_values"), "")),
        )
    children = where.optional(module, "child_modules", list) or []
    for child, at in (where / "child_modules").objects(children):
        yield from _show_json_resources(child, at)


def _tree_paths(tree: Any, prefix: str) -> Iterator[str]:
    """`{"secret": [{"value": true}]}` -> `secret.0.value` (show -json's sensitive_values)."""
    if tree is True:
        yield prefix
    elif isinstance(tree, Mapping):
        for key, sub in tree.items():
            yield from _tree_paths(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(tree, list):
        for i, sub in enumerate(tree):
            yield from _tree_paths(sub, f"{prefix}.{i}" if prefix else str(i))
