"""Project settings from `azprov.toml` (all optional; the defaults fit the bundled stack)."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from provisioner.errors import ConfigError
from provisioner.input_files import MAX_DEPTH, kind_of, nesting_depth, read_text

CONFIG_FILE = "azprov.toml"
DEFAULT_ENVIRONMENTS = ("test", "prod")


@dataclass(frozen=True)
class Suppression:
    """A known finding accepted for a while: `[[environments.NAME.suppress]]`."""

    match: str  # a Terraform address or an ARM ID (any case)
    reason: str
    attribute: str | None = None  # only this attribute's findings; all of them when None
    owner: str | None = None
    expires: date | None = None  # on and after this day the finding is reported again


@dataclass(frozen=True)
class Environment:
    """One deployment environment and where its Terraform state lives."""

    name: str
    state_key: str
    var_file: str
    # Resource groups scanned besides those the state names (to catch hand-made ones).
    resource_groups: tuple[str, ...] = ()
    # Terraform addresses or ARM IDs never reported (deliberate exceptions).
    ignore: tuple[str, ...] = ()
    # `[environments.<name>.policy.<RULE>]` tables: per-environment rule overrides, raw;
    # `provisioner.analysers.policy` validates them (it knows the rules and their settings).
    policy: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    suppress: tuple[Suppression, ...] = ()


@dataclass(frozen=True)
class Settings:
    terraform_dir: Path
    environments: dict[str, Environment] = field(default_factory=dict)
    # `[backend]` settings passed to `terraform init` as -backend-config (never the key).
    backend: dict[str, str] = field(default_factory=dict)
    # `[policy.<RULE>]` tables: overrides for every environment (an environment's own win).
    policy: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # `[isolation] shared`: ARM IDs, names, FQDNs or login servers deliberately shared
    # between environments; references to them are not isolation findings.
    shared: tuple[str, ...] = ()
    # `[attribution] system_severity`: the severity of drift the platform or Azure Policy
    # made (never raised above the finding's own).
    system_severity: str = "low"

    def environment(self, name: str) -> Environment:
        """The named environment, or a one-line error listing the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments))
            raise ConfigError(f"unknown environment {name!r} (known: {known})") from None


# What azprov.toml may hold. `[backend]` is passed to terraform as it is (any names), and
# policy tables are checked by `analysers.policy`, which knows the rules.
TABLES = ("terraform", "environments", "backend", "policy", "isolation", "attribution")
TERRAFORM_KEYS = ("dir",)
ENVIRONMENT_KEYS = (
    "state_key", "var_file", "resource_groups", "ignore", "policy", "enabled", "suppress",
)  # fmt: skip
ISOLATION_KEYS = ("shared",)
ATTRIBUTION_KEYS = ("system_severity",)
SUPPRESS_KEYS = ("match", "attribute", "reason", "owner", "expires")
SEVERITIES = ("high", "medium", "low")
# Environment names become file names (`imports.<env>.tf`, `.azprov/<env>/`) and tag values.
ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def load_settings(path: Path | None = None, root: Path = Path()) -> Settings:
    """Read `path` (or `./azprov.toml` when present); defaults cover test and prod.

    The environments `test` and `prod` always exist; `[environments.NAME]` adds one or
    changes a default's settings, and `enabled = false` switches a default off. An unknown
    table or setting is refused with the closest known name, so a typo never silently
    turns off an ignore list or an environment.
    """
    explicit = path is not None
    path = path or root / CONFIG_FILE
    raw: dict[str, Any] = {}
    if explicit or path.exists():
        raw = _parse_toml(read_text(path, "config file", ConfigError), path)
    _refuse_unknown(raw, TABLES, path, "")
    terraform = _table(raw, "terraform", path)
    _refuse_unknown(terraform, TERRAFORM_KEYS, path, "[terraform]")
    tf_dir = _text(terraform, "dir", path, "[terraform]") or "terraform"
    isolation = _table(raw, "isolation", path)
    _refuse_unknown(isolation, ISOLATION_KEYS, path, "[isolation]")
    attribution = _table(raw, "attribution", path)
    _refuse_unknown(attribution, ATTRIBUTION_KEYS, path, "[attribution]")
    system_severity = _text(attribution, "system_severity", path, "[attribution]") or "low"
    if system_severity not in SEVERITIES:
        raise ConfigError(
            f"{path}: [attribution] system_severity must be one of {', '.join(SEVERITIES)}, "
            f"not {system_severity!r}"
        )
    backend = _table(raw, "backend", path)
    for name, value in backend.items():
        if not isinstance(value, str | int | bool):
            raise ConfigError(
                f"{path}: [backend] {name} must be a string, number or boolean, "
                f"not {kind_of(value)}"
            )
    return Settings(
        terraform_dir=root / tf_dir,
        environments=_environments(_table(raw, "environments", path), path),
        backend={str(k): _backend_value(v) for k, v in backend.items()},
        policy=_rule_tables(_table(raw, "policy", path), path, "policy"),
        shared=_strings(isolation, "shared", path, "[isolation]"),
        system_severity=system_severity,
    )


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ConfigError(f"{path} nests deeper than {MAX_DEPTH} levels") from None
    if nesting_depth(raw) > MAX_DEPTH:
        raise ConfigError(f"{path} nests deeper than {MAX_DEPTH} levels")
    return raw


def _environments(tables: dict[str, Any], path: Path) -> dict[str, Environment]:
    """The defaults, then each `[environments.NAME]` table adding to or changing them."""
    bodies: dict[str, dict[str, Any]] = {name: {} for name in DEFAULT_ENVIRONMENTS}
    for name, body in tables.items():
        where = f"[environments.{name}]"
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: {where} must be a table, not {kind_of(body)}")
        if not ENVIRONMENT_NAME.match(name):
            raise ConfigError(
                f"{path}: {where}: an environment name is letters, digits, '-' and '_' "
                "(it names files and tags)"
            )
        _refuse_unknown(body, ENVIRONMENT_KEYS, path, where)
        bodies[name] = body
    environments = {}
    for name, body in bodies.items():
        where = f"[environments.{name}]"
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{path}: {where} enabled must be true or false, not {enabled!r}")
        if not enabled:
            continue
        environments[name] = Environment(
            name=name,
            state_key=_text(body, "state_key", path, where) or f"{name}.tfstate",
            var_file=_text(body, "var_file", path, where) or f"{name}.tfvars",
            resource_groups=_strings(body, "resource_groups", path, where),
            ignore=_strings(body, "ignore", path, where),
            policy=_rule_tables(body.get("policy", {}), path, f"environments.{name}.policy"),
            suppress=_suppressions(body.get("suppress", []), path, name),
        )
    if not environments:
        raise ConfigError(f"{path}: every environment is switched off (enabled = false)")
    return environments


def _suppressions(value: Any, path: Path, env: str) -> tuple[Suppression, ...]:
    """`[[environments.ENV.suppress]]` entries: what, why (required), who, until when."""
    where = f"[[environments.{env}.suppress]]"
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: {where} must be an array of tables (write [[...]])")
    found = []
    for body in value:
        _refuse_unknown(body, SUPPRESS_KEYS, path, where)
        match = _text(body, "match", path, where)
        reason = _text(body, "reason", path, where)
        if not match or not reason:
            missing = "match" if not match else "reason"
            raise ConfigError(
                f"{path}: {where} needs {missing}: a suppression names what it hides and why"
            )
        expires = body.get("expires")
        if isinstance(expires, datetime) or not isinstance(expires, date | None):
            raise ConfigError(
                f"{path}: {where} expires must be a TOML date (expires = 2027-01-31), "
                f"not {expires!r}"
            )
        found.append(
            Suppression(
                match=match,
                reason=reason,
                attribute=_text(body, "attribute", path, where),
                owner=_text(body, "owner", path, where),
                expires=expires,
            )
        )
    return tuple(found)


def _refuse_unknown(table: dict[str, Any], known: Sequence[str], path: Path, where: str) -> None:
    """One line for the first key `table` should not hold, with the closest known one."""
    for key in table:
        if key in known:
            continue
        if not where:  # the top level: tables, and settings that belong in one
            raise ConfigError(f"{path}: unknown {_top_level_hint(key, table[key])}")
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
        raise ConfigError(f"{path}: unknown setting '{key}' in {where} ({hint})")


def _top_level_hint(key: str, value: Any) -> str:
    """`[isolaton]` -> "table [isolaton] (did you mean [isolation]?)"; a setting written
    outside its table (`ignore = [...]` above `[environments.prod]`) is pointed there."""
    what = f"table [{key}]" if isinstance(value, dict) else f"setting '{key}' at the top level"
    close = difflib.get_close_matches(key, TABLES, n=1)
    if close:
        return f"{what} (did you mean [{close[0]}]?)"
    homes = {
        "[terraform]": TERRAFORM_KEYS,
        "an [environments.NAME] table": ENVIRONMENT_KEYS,
        "[isolation]": ISOLATION_KEYS,
        "[attribution]": ATTRIBUTION_KEYS,
    }
    for home, keys in homes.items():
        close = difflib.get_close_matches(key, keys, n=1)
        if close:
            return f"{what} (did you mean '{close[0]}' in {home}?)"
    return f"{what} (known tables: {', '.join(f'[{t}]' for t in TABLES)})"


def _table(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {name} must be a table ([{name}]), not {kind_of(value)}")
    return value


def _text(table: dict[str, Any], key: str, path: Path, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not (isinstance(value, str) and value):
        raise ConfigError(f"{path}: {where} {key} must be a non-empty string, not {value!r}")
    return value


def _strings(table: dict[str, Any], key: str, path: Path, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {where} {key} must be a list of strings")
    return tuple(value)


def _rule_tables(value: Any, path: Path, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{path}: {where} must hold one table per rule, e.g. [{where}.RULE_ID]")
    return {str(rule): dict(body) for rule, body in value.items()}


def _backend_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
