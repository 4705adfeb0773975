"""The live side: Azure through the SDK (Resource Graph or lists), or a snapshot of it.

SDK objects stay in here.
"""

from provisioner.live.clients import (
    DEFAULT_ARM_ENDPOINT,
    AzureClients,
    Connection,
    credential_from_environment,
)
from provisioner.live.inventory import Confirmation, Inventory, Progress, read_inventory
from provisioner.live.snapshot import load_snapshot, snapshot_to_json
from provisioner.live.throttle import RetryBudgetExhausted, Throttle

__all__ = [
    "DEFAULT_ARM_ENDPOINT",
    "AzureClients",
    "Confirmation",
    "Connection",
    "Inventory",
    "Progress",
    "RetryBudgetExhausted",
    "Throttle",
    "credential_from_environment",
    "load_snapshot",
    "read_inventory",
    "snapshot_to_json",
]
