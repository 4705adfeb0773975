"""Project settings from `azprov.toml` (all optional; the defaults fit the bundled stack)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.errors import ConfigError

CONFIG_FILE = "azprov.toml"
DEFAULT_ENVIRONMENTS = ("test", "prod")


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

    def environment(self, name: str) -> Environment:
        """The named environment, or a one-line error listing the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments))
            raise ConfigError(f"unknown environment {name!r} (known: {known})") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _rule_tables(value: Any, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{where} must hold one table per rule, e.g. [{where}.RULE_ID]")
    return {str(rule): dict(body) for rule, body in value.items()}


def load_settings(path: Path | None = None, root: Path = Path()) -> Settings:
    """Read `path` (or `./azprov.toml` when present); defaults cover test and prod."""
    explicit = path is not None
    path = path or root / CONFIG_FILE
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    elif explicit:
        raise ConfigError(f"config file not found: {path}")
    tf_dir = Path(raw.get("terraform", {}).get("dir", "terraform"))
    envs_raw = raw.get("environments") or {name: {} for name in DEFAULT_ENVIRONMENTS}
    environments = {}
    for name, body in envs_raw.items():
        where = f"{path}: environments.{name}"
        if not isinstance(body, dict):
            raise ConfigError(f"{where} must be a table")
        environments[name] = Environment(
            name=name,
            state_key=str(body.get("state_key", f"{name}.tfstate")),
            var_file=str(body.get("var_file", f"{name}.tfvars")),
            resource_groups=_strings(body.get("resource_groups", []), f"{where}.resource_groups"),
            ignore=_strings(body.get("ignore", []), f"{where}.ignore"),
            policy=_rule_tables(body.get("policy", {}), f"environments.{name}.policy"),
        )
    backend = raw.get("backend", {})
    if not isinstance(backend, dict) or not all(
        isinstance(v, str | int | bool) for v in backend.values()
    ):
        raise ConfigError(f"{path}: [backend] must be a table of plain values")
    return Settings(
        terraform_dir=root / tf_dir,
        environments=environments,
        backend={str(k): _backend_value(v) for k, v in backend.items()},
        policy=_rule_tables(raw.get("policy", {}), "policy"),
        shared=_shared(raw.get("isolation", {}), path),
    )


def _shared(isolation: Any, path: Path) -> tuple[str, ...]:
    if not isinstance(isolation, dict) or set(isolation) - {"shared"}:
        raise ConfigError(f"{path}: [isolation] must be a table holding only `shared`")
    return _strings(isolation.get("shared", []), f"{path}: isolation.shared")


def _backend_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
