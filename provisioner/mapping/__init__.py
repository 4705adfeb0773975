"""Both sides into one model: registry tables walked over state records and ARM bodies."""

from __future__ import annotations

from provisioner.mapping.flatten import Side, coerce, flatten, get_path
from provisioner.mapping.normalize import from_arm, from_state, lookups_for

__all__ = ["Side", "coerce", "flatten", "from_arm", "from_state", "get_path", "lookups_for"]
