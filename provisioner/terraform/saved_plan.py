"""What `azprov plan` records next to a saved plan, and when `azprov apply` must refuse it.

A saved plan is only safe to apply in the environment, at the commit and with the
configuration it was made from; `stale_reason` says in one line why it is not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from provisioner.errors import AzprovError
from provisioner.input_files import parse_json

FORMAT = "azprov-plan-meta/1"
PLAN_DIR = Path(".azprov")


class SavedPlanError(AzprovError):
    """There is no usable saved plan for the environment."""


@dataclass(frozen=True)
class SavedPlanPaths:
    directory: Path

    @classmethod
    def for_env(cls, environment: str, root: Path = PLAN_DIR) -> SavedPlanPaths:
        return cls(root / environment)

    @property
    def planfile(self) -> Path:
        return self.directory / "tfplan"

    @property
    def plan_json(self) -> Path:
        return self.directory / "tfplan.json"

    @property
    def meta(self) -> Path:
        return self.directory / "plan-meta.json"


@dataclass(frozen=True)
class PlanMeta:
    """Where a saved plan came from."""

    environment: str
    state_key: str
    git_commit: str | None
    var_file: str
    var_file_sha256: str
    config_sha256: str
    created_at: str
    has_changes: bool
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> PlanMeta:
        raw: Any = parse_json(text, source, SavedPlanError)
        try:
            if raw.get("format") != FORMAT:
                raise ValueError(f"format {raw.get('format')!r}")
            return cls(**raw)
        except (ValueError, TypeError, AttributeError) as exc:
            raise SavedPlanError(
                f"{source} is not an azprov plan record ({exc}): run `azprov plan` again"
            ) from None


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_sha256(terraform_dir: Path) -> str:
    """One hash over every `*.tf` file of the configuration (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(terraform_dir.glob("*.tf")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stale_reason(saved: PlanMeta, current: PlanMeta) -> str | None:
    """Why the saved plan must not be applied now, or None when it still fits."""
    if saved.environment != current.environment:
        return (
            f"the saved plan is for environment {saved.environment!r}, not {current.environment!r}"
        )
    if saved.state_key != current.state_key:
        return f"the saved plan was made against state {saved.state_key}, not {current.state_key}"
    if saved.git_commit != current.git_commit:
        return (
            f"the saved plan was made at commit {_short(saved.git_commit)}, "
            f"but the checkout is at {_short(current.git_commit)}"
        )
    if saved.var_file_sha256 != current.var_file_sha256:
        return f"{current.var_file} changed since the plan was made"
    if saved.config_sha256 != current.config_sha256:
        return "the Terraform configuration (*.tf) changed since the plan was made"
    return None


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(no git commit)"
