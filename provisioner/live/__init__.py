"""The live side: Azure through the SDK, or a snapshot of it. SDK objects stay in here."""

from provisioner.live.clients import (
    DEFAULT_ARM_ENDPOINT,
    AzureClients,
    Connection,
    credential_from_environment,
)
from provisioner.live.inventory import Inventory, Progress, read_inventory
from provisioner.live.snapshot import load_snapshot, snapshot_to_json

__all__ = [
    "DEFAULT_ARM_ENDPOINT",
    "AzureClients",
    "Connection",
    "Inventory",
    "Progress",
    "credential_from_environment",
    "load_snapshot",
    "read_inventory",
    "snapshot_to_json",
]
