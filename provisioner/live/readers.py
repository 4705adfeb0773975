"""One list call per Azure service and resource type, returning ARM JSON as Azure sent it.

Adding a type: one function here and one entry in `PER_RESOURCE_GROUP` or `PER_SERVER`,
plus its typed GET in `GET_ONE` (used to confirm what the Resource Graph screen flags).
The SDK deserializes each page; `as_dict()` turns the model back into the wire JSON at
once, so nothing outside this package ever holds an SDK object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from provisioner.live.clients import AzureClients
from provisioner.model import ResourceId

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


# -- one resource by ID: how a flagged resource is confirmed --------------------------------

Get = Callable[[AzureClients, ResourceId], Body]


def _rg_and_name(rid: ResourceId) -> tuple[str, str]:
    if rid.resource_group is None:
        raise ValueError(f"not a resource-group-scoped ID: {rid}")
    return rid.resource_group, rid.name


def get_resource_group(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.resources.resource_groups.get(rid.name).as_dict()


def get_workspace(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.log_analytics.workspaces.get(*_rg_and_name(rid)).as_dict()


def get_managed_environment(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.apps.managed_environments.get(*_rg_and_name(rid)).as_dict()


def get_container_app(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.apps.container_apps.get(*_rg_and_name(rid)).as_dict()


def get_registry(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.registries.registries.get(*_rg_and_name(rid)).as_dict()


def get_postgres_server(clients: AzureClients, rid: ResourceId) -> Body:
    return clients.postgres.servers.get(*_rg_and_name(rid)).as_dict()


GET_ONE: dict[str, Get] = {
    "microsoft.resources/resourcegroups": get_resource_group,
    "microsoft.operationalinsights/workspaces": get_workspace,
    "microsoft.app/managedenvironments": get_managed_environment,
    "microsoft.app/containerapps": get_container_app,
    "microsoft.containerregistry/registries": get_registry,
    "microsoft.dbforpostgresql/flexibleservers": get_postgres_server,
}

# GA api-versions for the generic GET of types azprov only checks for presence; any other
# type asks its provider once per run (`providers.get`) for the newest stable version.
GENERIC_API_VERSIONS = {
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.managedidentity/userassignedidentities": "2023-01-31",
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.insights/components": "2020-02-02",
    "microsoft.network/virtualnetworks": "2023-09-01",
    "microsoft.network/networksecuritygroups": "2023-09-01",
    "microsoft.network/publicipaddresses": "2023-09-01",
    "microsoft.network/privateendpoints": "2023-09-01",
    "microsoft.network/privatednszones": "2020-06-01",
    "microsoft.cache/redis": "2023-08-01",
    "microsoft.web/staticsites": "2023-01-01",
    "microsoft.app/jobs": "2024-03-01",
}


class ApiVersions:
    """The api-version to GET a resource type with, asking its provider at most once."""

    def __init__(self, clients: AzureClients) -> None:
        self._clients = clients
        self._known = dict(GENERIC_API_VERSIONS)
        self._lock = threading.Lock()

    def for_type(self, arm_type: str) -> str:
        key = arm_type.lower()
        with self._lock:
            if key not in self._known:
                self._learn(arm_type.split("/", 1)[0])
            if key not in self._known:
                raise LookupError(f"provider lists no stable api-version for {arm_type}")
            return self._known[key]

    def _learn(self, namespace: str) -> None:
        provider = self._clients.resources.providers.get(namespace).as_dict()
        for item in provider.get("resourceTypes") or ():
            versions = [v for v in item.get("apiVersions") or () if "preview" not in v.lower()]
            if versions:
                name = f"{namespace}/{item.get('resourceType')}".lower()
                self._known.setdefault(name, max(versions))


def get_any(clients: AzureClients, rid: ResourceId, versions: ApiVersions) -> Body:
    """A resource of a type azprov has no typed reader for, by ID."""
    api_version = versions.for_type(rid.arm_type)
    return clients.resources.resources.get_by_id(str(rid), api_version=api_version).as_dict()
