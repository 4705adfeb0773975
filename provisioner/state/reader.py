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
from provisioner.model import StateResource


@dataclass(frozen=True)
class StateDocument:
    """The managed resources of one state, with where they came from."""

    source: str
    resources: tuple[StateResource, ...]
    terraform_version: str | None = None


def load_state(path: Path) -> StateDocument:
    """Read a state or `show -json` file; every failure is a one-line `StateError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StateError(f"state file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read state file {path}: {exc}") from None
    return parse_state(text, source=str(path))


def parse_state(text: str, source: str) -> StateDocument:
    """Parse the JSON text of a state, `show -json` output or plan JSON."""
    if not text.strip():
        raise StateError(f"{source} is empty: expected Terraform state JSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"{source} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise StateError(f"{source} is not a Terraform state: expected a JSON object")
    version = doc.get("terraform_version")
    if "prior_state" in doc or "planned_values" in doc:
        doc = doc.get("prior_state") or {"values": {}}  # a plan made with no state yet
    if "values" in doc or "format_version" in doc:
        root = (doc.get("values") or {}).get("root_module") or {}
        return StateDocument(source, tuple(_show_json_resources(root)), version)
    if "resources" in doc or "version" in doc:
        if doc.get("version") != 4:
            raise StateError(
                f"{source}: state format version {doc.get('version')!r} is not supported "
                "(azprov reads version 4, written by Terraform 0.12 and later)"
            )
        return StateDocument(source, tuple(_v4_resources(doc.get("resources") or [])), version)
    raise StateError(
        f"{source} is not a Terraform state: no 'resources' (state file) or 'values' "
        "(terraform show -json) found"
    )


def _index_suffix(key: Any) -> str:
    if key is None:
        return ""
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


def _v4_resources(resources: list[Any]) -> Iterator[StateResource]:
    for res in resources:
        if not isinstance(res, Mapping) or res.get("mode", "managed") != "managed":
            continue
        base = f"{res['type']}.{res['name']}"
        if res.get("module"):
            base = f"{res['module']}.{base}"
        for inst in res.get("instances") or []:
            yield StateResource(
                address=base + _index_suffix(inst.get("index_key")),
                tf_type=res["type"],
                attributes=inst.get("attributes") or {},
                sensitive_paths=frozenset(_v4_sensitive(inst.get("sensitive_attributes"))),
            )


def _v4_sensitive(paths: Any) -> Iterator[str]:
    """`[[{"type": "get_attr", "value": "secret"}, {"type": "index", ...}]]` -> `secret.0`."""
    for path in paths or []:
        steps = path if isinstance(path, list) else [path]
        parts = []
        for step in steps:
            value = step.get("value") if isinstance(step, Mapping) else None
            if isinstance(value, Mapping):  # index steps wrap the key: {"value": 0, ...}
                value = value.get("value")
            parts.append(str(value))
        if parts:
            yield ".".join(parts)


def _show_json_resources(module: Mapping[str, Any]) -> Iterator[StateResource]:
    for res in module.get("resources") or []:
        if res.get("mode", "managed") != "managed":
            continue
        yield StateResource(
            address=res["address"],
            tf_type=res["type"],
            attributes=res.get("values") or {},
            sensitive_paths=frozenset(_tree_paths(res.get("sensitive_values"), "")),
        )
    for child in module.get("child_modules") or []:
        yield from _show_json_resources(child)


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
