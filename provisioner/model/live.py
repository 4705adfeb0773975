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
    `subtree` holds the same pairs for lists that return the type at any depth under the
    parent (role assignments listed at a resource group). `fetched` holds ID keys read one
    by one, found or not.
    """

    listed: frozenset[tuple[str, str]] = frozenset()
    fetched: frozenset[str] = frozenset()
    subtree: frozenset[tuple[str, str]] = frozenset()

    def covers(self, rid: ResourceId) -> bool:
        """Whether a read that succeeded would have returned `rid` if it existed."""
        if rid.key in self.fetched:
            return True
        parent = rid.parent
        if parent is None:
            return False
        arm_type = rid.arm_type.lower()
        if (parent.key, arm_type) in self.listed:
            return True
        top_level = parent.resource_group is not None and parent.arm_type.endswith("resourceGroups")
        if top_level and (parent.key, ANY_TOP_LEVEL) in self.listed:
            return True
        ancestor: ResourceId | None = parent
        while self.subtree and ancestor is not None:
            if (ancestor.key, arm_type) in self.subtree:
                return True
            ancestor = ancestor.parent
        return False

    def union(self, other: Coverage) -> Coverage:
        return Coverage(
            self.listed | other.listed, self.fetched | other.fetched, self.subtree | other.subtree
        )
