"""Fixtures for the checks of terraform/, dockerfiles/, .github/ and scripts/."""

from __future__ import annotations

from typing import Any

import pytest

from ._support import TERRAFORM, TerraformConfig, load_hcl, load_terraform

ENVIRONMENTS = ("test", "prod")


@pytest.fixture(scope="session")
def tf() -> TerraformConfig:
    return load_terraform()


@pytest.fixture(scope="session")
def tfvars() -> dict[str, dict[str, Any]]:
    return {env: load_hcl(TERRAFORM / f"{env}.tfvars") for env in ENVIRONMENTS}
