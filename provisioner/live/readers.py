"""One list call per Azure service and resource type, returning ARM JSON as Azure sent it.

Adding a type: one function here and one entry in `PER_RESOURCE_GROUP` or `PER_SERVER`.
The SDK deserializes each page; `as_dict()` turns the model back into the wire JSON at
once, so nothing outside this package ever holds an SDK object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from provisioner.live.clients import AzureClients

Body = dict[str, Any]


class _Model(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


def _bodies(models: Iterable[_Model]) -> Iterator[Body]:
    for model in models:
        yield model.as_dict()


def read_resource_group(clients: AzureClients, name: str) -> list[Body]:
    return [clients.resources.resource_groups.get(name).as_dict()]


def list_all_resources(clients: AzureClients, resource_group: str) -> list[Body]:
    """Every top-level resource of any type: how hand-made resources are found."""
    return list(_bodies(clients.resources.resources.list_by_resource_group(resource_group)))


def list_workspaces(clients: AzureClients, resource_group: str) -> list[Body]:
    return list(_bodies(clients.log_analytics.workspaces.list_by_resource_group(resource_group)))


def list_managed_environments(clients: AzureClients, resource_group: str) -> list[Body]:
    return list(_bodies(clients.apps.managed_environments.list_by_resource_group(resource_group)))


def list_container_apps(clients: AzureClients, resource_group: str) -> list[Body]:
    return list(_bodies(clients.apps.container_apps.list_by_resource_group(resource_group)))


def list_registries(clients: AzureClients, resource_group: str) -> list[Body]:
    return list(_bodies(clients.registries.registries.list_by_resource_group(resource_group)))


def list_postgres_servers(clients: AzureClients, resource_group: str) -> list[Body]:
    return list(_bodies(clients.postgres.servers.list_by_resource_group(resource_group)))


def list_firewall_rules(clients: AzureClients, resource_group: str, server: str) -> list[Body]:
    return list(_bodies(clients.postgres.firewall_rules.list_by_server(resource_group, server)))


def list_databases(clients: AzureClients, resource_group: str, server: str) -> list[Body]:
    return list(_bodies(clients.postgres.databases.list_by_server(resource_group, server)))


PER_RESOURCE_GROUP: dict[str, Callable[[AzureClients, str], list[Body]]] = {
    "Microsoft.OperationalInsights/workspaces": list_workspaces,
    "Microsoft.App/managedEnvironments": list_managed_environments,
    "Microsoft.App/containerApps": list_container_apps,
    "Microsoft.ContainerRegistry/registries": list_registries,
    "Microsoft.DBforPostgreSQL/flexibleServers": list_postgres_servers,
}

PARENT_OF_CHILDREN = "Microsoft.DBforPostgreSQL/flexibleServers"
PER_SERVER: dict[str, Callable[[AzureClients, str, str], list[Body]]] = {
    "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules": list_firewall_rules,
    "Microsoft.DBforPostgreSQL/flexibleServers/databases": list_databases,
}
