"""Project settings from `azprov.toml` (all optional; the defaults fit the bundled stack)."""

from __future__ import annotations

import tomllib
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


@dataclass(frozen=True)
class Settings:
    terraform_dir: Path
    environments: dict[str, Environment] = field(default_factory=dict)
    # `[backend]` settings passed to `terraform init` as -backend-config (never the key).
    backend: dict[str, str] = field(default_factory=dict)

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
    )


def _backend_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
