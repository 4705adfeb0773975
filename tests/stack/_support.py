"""Helpers for the stack checks: paths, HCL loading, external tools."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
DOCKERFILES = ROOT / "dockerfiles"
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / "scripts"

# Set by `python3 tasks.py test`: a missing linter is then a failure, not a skip.
REQUIRE_TOOLS_ENV = "AZPROV_REQUIRE_TOOLS"
# Tools tasks.py could not install here (chromium without root): skipped even when required.
OPTIONAL_TOOLS_ENV = "AZPROV_OPTIONAL_TOOLS"

_META_KEYS = {"__is_block__", "__comments__", "__start_line__", "__end_line__"}


def require_tool(name: str, env_var: str | None = None) -> str:
    """Path of an external tool: `env_var` if set, else `name` on PATH.

    Missing: `pytest.fail` when AZPROV_REQUIRE_TOOLS=1 (the project's test command sets it,
    so CI cannot pass without the check), `pytest.skip` otherwise.
    """
    candidate = os.environ.get(env_var, "") if env_var else ""
    found = (candidate if candidate and Path(candidate).is_file() else None) or shutil.which(name)
    if found:
        return found
    where = f"${env_var} or PATH" if env_var else "PATH"
    message = f"{name} not found on {where}"
    optional = os.environ.get(OPTIONAL_TOOLS_ENV, "").split(",")
    if os.environ.get(REQUIRE_TOOLS_ENV) == "1" and name not in optional:
        pytest.fail(f"{message} ({REQUIRE_TOOLS_ENV}=1 makes it required)")
    pytest.skip(message)


def optional_tool(name: str) -> str:
    """Path of a tool the suite can do without (skipped when absent, whatever the env)."""
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} not on PATH (optional check)")
    return found


# --- HCL ---------------------------------------------------------------------------------


def unquote(text: str) -> str:
    """A python-hcl2 string as Terraform means it.

    python-hcl2 8 keeps a literal's quotes (`"test"`) and wraps bare expressions in
    `${...}`; version 7 drops the quotes. After this, literals are plain text and
    expressions stay `${...}` in both.
    """
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def clean(node: Any) -> Any:
    """Drop python-hcl2's bookkeeping keys and unquote every key and string."""
    if isinstance(node, dict):
        return {unquote(k): clean(v) for k, v in node.items() if k not in _META_KEYS}
    if isinstance(node, list):
        return [clean(item) for item in node]
    if isinstance(node, str):
        return unquote(node)
    return node


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = clean(hcl2.load(handle))
    assert isinstance(data, dict)
    return data


def refs(value: Any) -> set[str]:
    """Every `var.x`, `local.x` and `<type>.<name>` reference inside a value."""
    text = repr(value)
    return set(re.findall(r"\b(?:var|local|azurerm_[a-z_]+)\.[A-Za-z0-9_]+", text))


@dataclass
class TerraformConfig:
    """The parsed `*.tf` files of terraform/."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        assert (type_, name) in self.resources, f"{type_}.{name} is not declared"
        return self.resources[(type_, name)]

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == type_}


def load_terraform(directory: Path = TERRAFORM) -> TerraformConfig:
    config = TerraformConfig()
    for path in sorted(directory.glob("*.tf")):
        data = load_hcl(path)
        for block in data.get("resource", []):
            for type_, named in block.items():
                for name, body in named.items():
                    assert (type_, name) not in config.resources, f"{type_}.{name} twice"
                    config.resources[(type_, name)] = body
        for block in data.get("variable", []):
            config.variables.update(block)
        for block in data.get("output", []):
            config.outputs.update(block)
        for block in data.get("locals", []):
            config.locals.update(block)
        config.terraform.extend(data.get("terraform", []))
        config.providers.extend(data.get("provider", []))
    return config


def required_version(config: TerraformConfig) -> SpecifierSet:
    """The terraform block's required_version (">= 1.11.0, < 2.0.0") as a specifier set."""
    return SpecifierSet(one(config.terraform, "terraform")["required_version"])


def one(blocks: Any, what: str) -> dict[str, Any]:
    """The single block of a repeated-block list (`ingress`, `template`, ...)."""
    assert isinstance(blocks, list), f"{what} is not a block"
    assert len(blocks) == 1, f"expected one {what} block, found {len(blocks)}"
    block = blocks[0]
    assert isinstance(block, dict)
    return block
