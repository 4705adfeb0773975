"""`terraform show -json PLANFILE` -> frozen dataclasses. Pure: no subprocess, no I/O.

Reads plan JSON format 0.1 (Terraform 0.12) to 1.2 (Terraform 1.9+). Fields added over
time (`resource_drift`, `replace_paths`, `action_reason`, `importing`, `previous_address`)
are optional. Values Terraform marks sensitive, and values of attributes whose names say
they are secrets, are replaced by `***`; values known only after apply read as
`(known after apply)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from provisioner.errors import StateError
from provisioner.input_files import Where, parse_json
from provisioner.mapping.flatten import get_path
from provisioner.model import REDACTED, is_secret_key, redact_value, secret_like_name

UNKNOWN = "(known after apply)"
SUPPORTED_MAJOR = ("0", "1")


class PlanError(StateError):
    """A plan JSON document could not be read."""


class Action(StrEnum):
    """What the plan does to one resource, with replacements recognised as one action."""

    NO_OP = "no-op"
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    FORGET = "forget"

    @property
    def destructive(self) -> bool:
        return self in (Action.REPLACE, Action.DELETE)

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}.get(self.value, " ")


def action_of(actions: list[str] | tuple[str, ...]) -> Action:
    """Terraform's action list as one action: `["delete", "create"]` is a replacement."""
    kinds = tuple(actions)
    if set(kinds) == {"delete", "create"}:
        return Action.REPLACE
    if not kinds or kinds == ("no-op",):
        return Action.NO_OP
    try:
        return Action(kinds[0])
    except ValueError:
        raise PlanError(f"unknown plan action {list(kinds)!r}") from None


@dataclass(frozen=True)
class AttributeChange:
    """One leaf attribute that differs between `before` and `after` (values redacted)."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    unknown_after: bool = False


@dataclass(frozen=True)
class ResourceChange:
    """One entry of `resource_changes` (or `resource_drift`)."""

    address: str
    type: str
    name: str
    action: Action
    actions: tuple[str, ...]
    mode: str = "managed"
    module_address: str | None = None
    index: Any = None
    provider: str | None = None
    # Attribute paths that force the replacement, e.g. `("zone",)`, `("template", 0, "name")`.
    replace_paths: tuple[tuple[str | int, ...], ...] = ()
    action_reason: str | None = None
    previous_address: str | None = None
    import_id: str | None = None
    deposed: str | None = None
    changes: tuple[AttributeChange, ...] = ()
    # The whole object before and after (planned values), as nested JSON with sensitive and
    # secret-named values replaced by `***` and unknown-after-apply values by UNKNOWN.
    before: Any = None
    after: Any = None

    @property
    def destructive(self) -> bool:
        return self.action.destructive

    @property
    def replace_reasons(self) -> tuple[str, ...]:
        """`replace_paths` as dotted paths (`template.0.name`)."""
        return tuple(".".join(str(p) for p in path) for path in self.replace_paths)


@dataclass(frozen=True)
class OutputChange:
    name: str
    action: Action
    sensitive: bool
    before: Any
    after: Any


@dataclass(frozen=True)
class Plan:
    """A whole plan: what apply will change, and what Terraform saw changed outside it."""

    format_version: str
    terraform_version: str | None
    resource_changes: tuple[ResourceChange, ...]
    resource_drift: tuple[ResourceChange, ...] = ()
    output_changes: tuple[OutputChange, ...] = ()
    errored: bool = False
    applyable: bool | None = None
    # Format 1.2: False when the plan leaves changes for a later run (-target, deferrals).
    complete: bool | None = None
    # When Terraform made the plan (`timestamp`, written since Terraform 1.5), as given.
    timestamp: str | None = None

    @property
    def changes(self) -> tuple[ResourceChange, ...]:
        """Managed resources the apply will touch (data reads and no-ops left out)."""
        return tuple(
            c
            for c in self.resource_changes
            if c.mode == "managed" and c.action not in (Action.NO_OP, Action.READ)
        )

    @property
    def imports(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.resource_changes if c.import_id is not None)

    @property
    def destructive(self) -> tuple[ResourceChange, ...]:
        """Deletions and replacements, deletions first, then by address."""
        found = [c for c in self.changes if c.destructive]
        return tuple(sorted(found, key=lambda c: (c.action is not Action.DELETE, c.address)))

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.changes
            or self.imports
            or any(o.action is not Action.NO_OP for o in self.output_changes)
        )


def parse_plan(text: str, source: str = "plan JSON") -> Plan:
    """Parse `terraform show -json PLANFILE` output; every failure is one `PlanError` line."""
    return plan_from_document(parse_json(text, source, PlanError), source)


def plan_from_document(doc: Any, source: str = "plan JSON") -> Plan:
    """The `Plan` in an already-decoded plan JSON document (decoded by `parse_json`, which
    bounds its nesting: the walks below recurse once per level)."""
    if not isinstance(doc, dict) or not (
        "resource_changes" in doc or "planned_values" in doc or "output_changes" in doc
    ):
        raise PlanError(
            f"{source} is not a Terraform plan (expected `terraform show -json PLANFILE` output)"
        )
    version = str(doc.get("format_version", "0.1"))
    if version.split(".")[0] not in SUPPORTED_MAJOR:
        raise PlanError(f"{source}: plan JSON format {version} is not supported (0.1 to 1.x)")
    at = Where(source, PlanError)
    outputs = at.optional(doc, "output_changes", dict) or {}
    return Plan(
        format_version=version,
        terraform_version=at.optional(doc, "terraform_version", str),
        resource_changes=_changes(doc, "resource_changes", at),
        resource_drift=_changes(doc, "resource_drift", at),
        output_changes=tuple(
            _output(name, (at / "output_changes").optional(outputs, name, dict) or {}, at)
            for name in sorted(outputs)
        ),
        errored=bool(at.optional(doc, "errored", bool)),
        applyable=at.optional(doc, "applyable", bool),
        complete=at.optional(doc, "complete", bool),
        timestamp=at.optional(doc, "timestamp", str),
    )


def _changes(doc: Mapping[str, Any], key: str, at: Where) -> tuple[ResourceChange, ...]:
    items = at.optional(doc, key, list) or []
    return tuple(_change(raw, where) for raw, where in (at / key).objects(items))


def _change(raw: Mapping[str, Any], at: Where) -> ResourceChange:
    change = at.optional(raw, "change", dict)
    if change is None:
        raise (at / "change").problem("is missing")
    actions = _actions(change, at / "change")
    importing = (at / "change").optional(change, "importing", dict) or {}
    before = _redacted(change.get("before"), None, change.get("before_sensitive"))
    after = _redacted(
        change.get("after"), change.get("after_unknown"), change.get("after_sensitive")
    )
    return ResourceChange(
        address=at.required(raw, "address"),
        type=at.required(raw, "type"),
        name=at.required(raw, "name"),
        action=action_of(actions),
        actions=actions,
        mode=at.optional(raw, "mode", str) or "managed",
        module_address=at.optional(raw, "module_address", str),
        index=raw.get("index"),
        provider=at.optional(raw, "provider_name", str),
        replace_paths=_replace_paths(change, at / "change"),
        action_reason=at.optional(raw, "action_reason", str),
        previous_address=at.optional(raw, "previous_address", str),
        import_id=_text_or_none(importing.get("id")),
        deposed=at.optional(raw, "deposed", str),
        changes=tuple(attribute_changes(change, before, after)),
        before=before,
        after=after,
    )


def _actions(change: Mapping[str, Any], at: Where) -> tuple[str, ...]:
    actions = at.optional(change, "actions", list) or []
    if not all(isinstance(a, str) for a in actions):
        raise (at / "actions").problem("must be an array of strings")
    return tuple(actions)


def _replace_paths(change: Mapping[str, Any], at: Where) -> tuple[tuple[str | int, ...], ...]:
    """`[["zone"], ["template", 0, "name"]]`: each path a list of keys and indexes."""
    paths = at.optional(change, "replace_paths", list) or []
    for i, path in enumerate(paths):
        if not isinstance(path, list) or not all(isinstance(p, str | int) for p in path):
            raise (at / "replace_paths" / i).problem("must be an array of keys and indexes")
    return tuple(tuple(p) for p in paths)


def _redacted(value: Any, unknown: Any, sensitive: Any, key: str = "") -> Any:
    """`value` with its sensitive, secret-named and unknown parts replaced, keeping the shape."""
    if unknown is True:
        return UNKNOWN
    if sensitive is True or (key and value is not None and _secret_key(key)):
        return value if value in (None, "") else REDACTED  # nothing to hide in ""
    if isinstance(value, dict):
        unknown_map = unknown if isinstance(unknown, dict) else {}
        hidden_map = sensitive if isinstance(sensitive, dict) else {}
        keys = [*value, *(k for k, v in unknown_map.items() if v is True and k not in value)]
        if isinstance(value.get("name"), str) and secret_like_name(value["name"]):
            hidden_map = {**hidden_map, "value": True}  # {"name": "DB_PASSWORD", "value": ...}
        return {k: _redacted(value.get(k), unknown_map.get(k), hidden_map.get(k), k) for k in keys}
    if isinstance(value, list):
        unknown_list = unknown if isinstance(unknown, list) else []
        hidden_list = sensitive if isinstance(sensitive, list) else []

        def at(marks: list[Any], i: int) -> Any:
            return marks[i] if i < len(marks) else None

        return [
            _redacted(item, at(unknown_list, i), at(hidden_list, i), key)
            for i, item in enumerate(value)
        ]
    return redact_value(value)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _secret_key(key: str) -> bool:
    """A key whose value is a secret: `admin_password`, `STRIPE_KEY` in a map, `JWT_TOKEN`.

    The one vocabulary of `model.redaction`: keys that name or locate a secret
    (`secret_name`, `key_vault_secret_id`) stay shown.
    """
    return is_secret_key(key)


def _output(name: str, raw: Mapping[str, Any], at: Where) -> OutputChange:
    sensitive = bool(raw.get("before_sensitive") or raw.get("after_sensitive"))
    unknown = raw.get("after_unknown") is True
    return OutputChange(
        name=name,
        action=action_of(_actions(raw, at / "output_changes" / name)),
        sensitive=sensitive,
        before=REDACTED if sensitive else redact_value(raw.get("before")),
        after=UNKNOWN if unknown else REDACTED if sensitive else redact_value(raw.get("after")),
    )


def attribute_changes(
    change: Mapping[str, Any], before_tree: Any, after_tree: Any
) -> Iterator[AttributeChange]:
    """Leaf attributes that differ, or become known only after apply, in one change.

    Leaves are taken from the redacted objects (`_redacted` of `before` and `after`), so a
    secret block is one `***` leaf; whether it changed is decided on the raw values, which
    never leave this function.
    """
    raw_before, raw_after = change.get("before"), change.get("after")
    before, after = _leaves(before_tree), _leaves(after_tree)
    for path in sorted(before.keys() | after.keys()):
        shown_before, shown_after = before.get(path), after.get(path)
        unknown = shown_after == UNKNOWN
        if not unknown and get_path(raw_before, path) == get_path(raw_after, path):
            continue
        yield AttributeChange(
            path=".".join(path),
            before=shown_before,
            after=shown_after,
            sensitive=REDACTED in (shown_before, shown_after),
            unknown_after=unknown,
        )


def _leaves(value: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """`{"a": [{"b": 1}]}` -> `{("a", "0", "b"): 1}`; empty containers are leaves themselves."""
    if isinstance(value, dict) and value:
        out: dict[tuple[str, ...], Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, (*prefix, str(key))))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, item in enumerate(value):
            out.update(_leaves(item, (*prefix, str(i))))
        return out
    return {prefix: value}
