"""The live side: Azure through one ARM client (Resource Graph or lists), or a snapshot.

Nothing outside this package talks HTTP; what leaves it is ARM JSON with secrets redacted.
"""

from provisioner.live.arm import DEFAULT_ARM_ENDPOINT, ArmClient, Connection
from provisioner.live.credentials import credential_from_environment
from provisioner.live.inventory import Confirmation, Inventory, Progress, Scope, read_inventory
from provisioner.live.snapshot import load_snapshot, snapshot_to_json
from provisioner.live.throttle import DEFAULT_TIMEOUT_S, Deadline, OutOfTime, Throttle

__all__ = [
    "DEFAULT_ARM_ENDPOINT",
    "DEFAULT_TIMEOUT_S",
    "ArmClient",
    "Confirmation",
    "Connection",
    "Deadline",
    "Inventory",
    "OutOfTime",
    "Progress",
    "Scope",
    "Throttle",
    "credential_from_environment",
    "load_snapshot",
    "read_inventory",
    "snapshot_to_json",
]
