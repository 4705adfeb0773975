"""Policy: rules with an ID, a severity and per-environment settings, on either side.

The same rules run on the plan's planned values (`planned_resources`, what an apply will
deploy), on live Azure (`pipeline.live_resources`, what runs now) and on the state. The
catalogue is `policy_rules.RULES`; `azprov.toml` switches rules off or retunes them per
environment, always with a reason that reports print::

    [policy.pg-backup-retention]                 # every environment
    min_days = 14
    reason = "restores older than two weeks are never asked for"

    [environments.test.policy.pg-public-network-access]   # one environment; wins
    allowed = false
    reason = "test runs inside the VNet"
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from provisioner.analysers.policy_rules import (
    PROD,
    RULES,
    RULES_BY_ID,
    Rule,
    Setting,
    Violation,
)
from provisioner.config import Settings
from provisioner.errors import ConfigError
from provisioner.mapping import Side, flatten, get_path
from provisioner.model import (
    REDACTED,
    Finding,
    FindingKind,
    Resource,
    ResourceId,
    Sensitive,
    redact_text,
    redact_value,
)
from provisioner.registry import Each, Entry, MapOf, by_tf_type, canonical_id
from provisioner.state.plan import UNKNOWN, Action, Plan, ResourceChange

__all__ = [
    "RULES",
    "ActiveRule",
    "Override",
    "RuleSet",
    "Source",
    "catalogue_markdown",
    "planned_resources",
    "policy_findings",
    "rules_for",
]

Source = Literal["plan", "live", "state"]
_WHERE: Mapping[str, str] = {
    "plan": "planned (what this apply deploys)",
    "live": "live (what runs now)",
    "state": "in the state (what Terraform last applied)",
}
REASON = "reason"
ENABLED = "enabled"


# -- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """One `[policy.<rule>]` or `[environments.<env>.policy.<rule>]` table that applied."""

    rule: str
    table: str
    environment: str
    changes: Mapping[str, Any]
    reason: str

    @property
    def line(self) -> str:
        """`rule X off in prod: <reason>` / `rule Y retuned (min_days=14) in test: <reason>`."""
        parts = []
        if ENABLED in self.changes:
            parts.append("on" if self.changes[ENABLED] else "off")
        tuned = {k: v for k, v in self.changes.items() if k != ENABLED}
        if tuned:
            shown = ", ".join(f"{k}={_setting_text(v)}" for k, v in tuned.items())
            parts.append(f"retuned ({shown})")
        return f"rule {self.rule} {' and '.join(parts)} in {self.environment}: {self.reason}"


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


@dataclass(frozen=True)
class ActiveRule:
    """A rule with the settings in force for one environment."""

    rule: Rule
    enabled: bool
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class RuleSet:
    """Every rule as configured for one environment, and the overrides that shaped it."""

    environment: str
    rules: tuple[ActiveRule, ...]
    overrides: tuple[Override, ...] = ()

    def get(self, rule_id: str) -> ActiveRule:
        return next(active for active in self.rules if active.rule.id == rule_id)

    @property
    def enabled(self) -> tuple[ActiveRule, ...]:
        return tuple(active for active in self.rules if active.enabled)


def rules_for(settings: Settings, env: str) -> RuleSet:
    """The rules for `env`: defaults, then `[policy.*]`, then the environment's own tables.

    Every policy table in the settings is validated (not only `env`'s), so a mistake in
    one environment's table fails every run, early. Raises `ConfigError` naming the table.
    """
    global_tables = _validated(settings.policy, "policy")
    env_tables = {
        name: _validated(environment.policy, f"environments.{name}.policy")
        for name, environment in settings.environments.items()
    }
    layers = [("policy", global_tables), (f"environments.{env}.policy", env_tables.get(env, {}))]
    overrides: list[Override] = []
    values = {rule.id: rule.defaults_for(env) for rule in RULES}
    for prefix, tables in layers:
        for rule_id, (changes, reason) in tables.items():
            values[rule_id].update(changes)
            table = f"{prefix}.{rule_id}"
            overrides.append(Override(rule_id, table, env, MappingProxyType(changes), reason))
    active = tuple(
        ActiveRule(
            rule,
            bool(values[rule.id][ENABLED]),
            MappingProxyType({k: v for k, v in values[rule.id].items() if k != ENABLED}),
        )
        for rule in RULES
    )
    return RuleSet(env, active, tuple(overrides))


def _validated(
    tables: Mapping[str, Mapping[str, Any]], prefix: str
) -> dict[str, tuple[dict[str, Any], str]]:
    """Each table's setting changes and reason; one `ConfigError` line on the first mistake."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for rule_id, table in tables.items():
        where = f"[{prefix}.{rule_id}]"
        rule = RULES_BY_ID.get(rule_id)
        if rule is None:
            known = ", ".join(sorted(RULES_BY_ID))
            raise ConfigError(f"{where}: unknown policy rule {rule_id!r} (known: {known})")
        kinds = {s.name: s for s in (Setting(ENABLED, "bool"), *rule.settings)}
        changes: dict[str, Any] = {}
        for key, value in table.items():
            if key == REASON:
                continue
            setting = kinds.get(key)
            if setting is None:
                known = ", ".join([*kinds, REASON])
                raise ConfigError(f"{where}: unknown setting {key!r} (known: {known})")
            changes[key] = _checked(setting, value, where)
        reason = table.get(REASON)
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(
                f'{where}: an override needs reason = "..." (reports print why the rule differs)'
            )
        if not changes:
            raise ConfigError(f"{where}: changes nothing (set enabled or a setting of the rule)")
        out[rule_id] = (changes, " ".join(reason.split()))
    return out


def _checked(setting: Setting, value: Any, where: str) -> Any:
    name = setting.name
    if setting.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {name} must be true or false, not {value!r}")
        return value
    if setting.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {name} must be a whole number, not {value!r}")
        low, high = setting.minimum, setting.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{where}: {name} must be from {low} to {high}, not {value}")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {name} must be a list of non-empty strings")
    return tuple(value)


# -- evaluation -------------------------------------------------------------------------


def policy_findings(
    resources: Iterable[Resource],
    ruleset: RuleSet,
    source: Source,
    addresses: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every breach of an enabled rule, most severe first.

    `source` says which side the resources come from and is named in each message.
    `addresses` maps ID keys (`ResourceId.key`) to Terraform addresses, for live resources
    the state knows; resources that carry an address (the plan's) keep their own.
    """
    if source not in _WHERE:
        raise ValueError(f"source must be one of {', '.join(_WHERE)}, not {source!r}")
    by_type: dict[str, list[ActiveRule]] = {}
    for active in ruleset.enabled:
        for tf_type in active.rule.tf_types:
            by_type.setdefault(tf_type, []).append(active)
    findings = [
        _finding(res, active.rule, violation, source, addresses or {})
        for res in resources
        for active in by_type.get(res.tf_type or "", ())
        for violation in active.rule.check(res, active.settings)
    ]
    return sorted(findings, key=lambda f: (*f.sort_key, f.rule or ""))


def _finding(
    res: Resource, rule: Rule, violation: Violation, source: str, addresses: Mapping[str, str]
) -> Finding:
    return Finding(
        kind=FindingKind.POLICY,
        severity=rule.severity,
        resource_id=str(res.id),
        address=res.address or addresses.get(res.id.key),
        type=res.tf_type,
        attribute=violation.attribute,
        expected=redact_value(violation.expected),
        actual=redact_value(violation.actual),
        message=redact_text(f"{_WHERE[source]}: {violation.detail}. {rule.rationale}"),
        rule=rule.id,
    )


# -- the plan side ----------------------------------------------------------------------

_EXISTS_AFTER = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE, Action.NO_OP})


def planned_resources(plan: Plan) -> list[Resource]:
    """The managed resources that exist after the apply, normalized like the state.

    Values known only after apply read as `(known after apply)` and sensitive ones as
    `Sensitive`, so no rule judges them. A resource whose ID is not known yet (a create or
    a replacement) gets `ResourceId(address)`: its `id.text` is the Terraform address, not
    an ARM ID (it does not start with `/`), and findings name it by that address.
    """
    return [r for r in map(_planned, plan.resource_changes) if r is not None]


def _planned(change: ResourceChange) -> Resource | None:
    after = change.after
    if (
        change.mode != "managed"
        or change.action not in _EXISTS_AFTER
        or not isinstance(after, Mapping)
    ):
        return None
    rid = _planned_id(after.get("id"), change.address)
    spec = by_tf_type(change.type)
    attributes: dict[str, Any] = {}
    if spec is not None:
        clean = _without_placeholders(after)
        attributes = flatten(spec.attributes, clean, Side(is_state=True))
        attributes.update(_placeholders(spec.attributes, after, clean, ""))
    known_id = rid.text.startswith("/")
    arm_type = rid.arm_type if known_id else spec.arm_type if spec else ""
    return Resource(rid, arm_type, change.type, attributes, change.address)


def _planned_id(raw: Any, address: str) -> ResourceId:
    if isinstance(raw, str) and raw not in (UNKNOWN, REDACTED):
        try:
            return canonical_id(raw)
        except ValueError:
            pass
    return ResourceId(address)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and value in (UNKNOWN, REDACTED)


def _without_placeholders(value: Any) -> Any:
    """The planned values with unknown and redacted parts as None, so tables can read them."""
    if _is_placeholder(value):
        return None
    if isinstance(value, Mapping):
        return {k: _without_placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_placeholders(v) for v in value]
    return value


def _marker(value: Any) -> Any:
    return UNKNOWN if value == UNKNOWN else Sensitive.of(REDACTED)


def _blocked(doc: Any, path: str) -> Any:
    """The placeholder found on the way down `path`, or None when the path is plain."""
    for step in path.split(".") if path else ():
        if _is_placeholder(doc):
            return doc
        doc = get_path(doc, step)
    return doc if _is_placeholder(doc) else None


def _placeholders(
    entries: tuple[Entry, ...], raw: Any, clean: Any, prefix: str
) -> Iterator[tuple[str, Any]]:
    """(normalized name, UNKNOWN or Sensitive) for every value `flatten` could not see.

    Walks the table over the raw planned values beside the cleaned copy that `flatten`
    read, so list members get the same `[key]` names.
    """
    for entry in entries:
        name = f"{prefix}.{entry.name}" if prefix else entry.name
        hidden = _blocked(raw, entry.state)
        if hidden is not None:
            yield name, _marker(hidden)
            continue
        value = get_path(raw, entry.state)
        if isinstance(entry, MapOf) and isinstance(value, Mapping):
            yield from (
                (f"{name}[{key}]", _marker(item))
                for key, item in value.items()
                if _is_placeholder(item)
            )
        elif isinstance(entry, Each) and isinstance(value, list):
            members = get_path(clean, entry.state) or []
            for raw_item, clean_item in zip(value, members, strict=False):
                key = str(get_path(clean_item, entry.state_key))
                yield from _placeholders(entry.attrs, raw_item, clean_item, f"{name}[{key}]")


# -- documentation ----------------------------------------------------------------------


def catalogue_markdown() -> str:
    """The rule catalogue as a Markdown table (ID, severity, prod, elsewhere, rationale)."""
    rows = [
        "| rule | severity | prod | other environments | why |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES:
        prod, rest = rule.defaults_for(PROD), rule.defaults_for("test")
        rows.append(
            f"| `{rule.id}` | {rule.severity.value} | {_defaults_text(prod)} "
            f"| {_defaults_text(rest)} | {rule.rationale} |"
        )
    return "\n".join(rows) + "\n"


def _defaults_text(values: Mapping[str, Any]) -> str:
    if not values[ENABLED]:
        return "off"
    tuned = [f"{k}={_setting_text(v)}" for k, v in values.items() if k != ENABLED]
    return ", ".join(f"`{t}`" for t in tuned) if tuned else "on"
