"""What the live side covered: which lists and reads succeeded, so absence means deletion."""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.model.resource_id import ResourceId

ANY_TOP_LEVEL = "*"


@dataclass(frozen=True)
class Coverage:
    """The parts of Azure azprov read completely.

    `listed` holds (parent ID key, ARM type key) pairs whose list call succeeded; the type
    `*` means every top-level type in a resource group (the generic resources list).
    `fetched` holds ID keys read one by one, found or not.
    """

    listed: frozenset[tuple[str, str]] = frozenset()
    fetched: frozenset[str] = frozenset()

    def covers(self, rid: ResourceId) -> bool:
        if rid.key in self.fetched:
            return True
        parent = rid.parent
        if parent is None:
            return False
        if (parent.key, rid.arm_type.lower()) in self.listed:
            return True
        top_level = parent.resource_group is not None and parent.arm_type.endswith("resourceGroups")
        return top_level and (parent.key, ANY_TOP_LEVEL) in self.listed
