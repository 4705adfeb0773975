"""One resource as either side sees it, normalized to azurerm attribute names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.model.resource_id import ResourceId


@dataclass(frozen=True)
class Resource:
    """A resource from Terraform state or from Azure.

    `attributes` maps normalized attribute names (`sku_name`,
    `template.container[api].image`) to comparable values; secrets are already
    redacted or wrapped in `Sensitive`.
    """

    id: ResourceId
    arm_type: str
    tf_type: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    address: str | None = None


@dataclass(frozen=True)
class StateResource:
    """One managed resource instance as Terraform recorded it, before normalization."""

    address: str
    tf_type: str
    attributes: Mapping[str, Any]
    # Dotted attribute paths Terraform marks sensitive (`administrator_password`, `secret.0`).
    sensitive_paths: frozenset[str] = frozenset()

    @property
    def id(self) -> str | None:
        value = self.attributes.get("id")
        return value if isinstance(value, str) and value else None
