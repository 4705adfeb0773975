"""Computed names of the newer types are owned: a reference to another environment's is caught.

Prod is each type's registry fixture (state and Azure, shaped like the REST examples); test is
the factories' environment, whose backend app is made to name one of prod's computed values
in an env var, in the state and in Azure alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.model import Finding
from provisioner.state import parse_state
from tests.factories import Environment, dumps
from tests.test_registry import FIXTURES_BY_TYPE

APP_INSIGHTS = FIXTURES_BY_TYPE["azurerm_application_insights"]
INSTRUMENTATION_KEY = APP_INSIGHTS.doc["resource"]["attributes"]["instrumentation_key"]
CONNECTION_STRING = APP_INSIGHTS.doc["resource"]["attributes"]["connection_string"]


def data(env: Environment) -> EnvironmentData:
    state = parse_state(dumps(env.state_v4()), f"{env.name}.tfstate")
    return EnvironmentData(env.name, f"{env.name}.tfstate", state, tuple(env.bodies.values()))


def leak(test: Environment, value: str) -> None:
    """test's backend names `value` in an env var, in the state and in Azure."""
    record = next(r for r in test.state_resources if r["name"] == "backend")
    container = record["instances"][0]["attributes"]["template"][0]["container"][0]
    container["env"].append({"name": "UPSTREAM", "secret_name": "", "value": value})
    body = test.find("/containerApps/ca-stockapp-backend-test")
    body["properties"]["template"]["containers"][0]["env"].append(
        {"name": "UPSTREAM", "value": value}
    )


def findings(tf_type: str, value: str) -> list[Finding]:
    prod = FIXTURES_BY_TYPE[tf_type].world()
    test = Environment(name="test").build()
    clean = isolation_findings(data(test), [data(prod)])
    assert clean == []
    leak(test, value)
    return isolation_findings(data(test), [data(prod)])


@pytest.mark.parametrize(
    ("tf_type", "value", "said"),
    [
        ("azurerm_linux_web_app", "https://app-stockapp-web-prod.azurewebsites.net/api",
         "prod's default host name app-stockapp-web-prod.azurewebsites.net "
         "(azurerm_linux_web_app.web)"),
        # one of the comma-separated outbound IPs, and one only possible
        ("azurerm_linux_web_app", "20.50.2.11/32", "prod's outbound IP 20.50.2.11"),
        ("azurerm_linux_web_app", "20.50.2.13", "prod's possible outbound IP 20.50.2.13"),
        ("azurerm_storage_account", "https://ststockappprod.blob.core.windows.net/exports",
         "prod's storage blob endpoint ststockappprod.blob.core.windows.net "
         "(azurerm_storage_account.main)"),
        ("azurerm_storage_account", "https://ststockappprod.queue.core.windows.net/jobs",
         "prod's storage queue endpoint ststockappprod.queue.core.windows.net"),
        ("azurerm_redis_cache", "redis-stockapp-prod.redis.cache.windows.net:6380",
         "prod's Redis host redis-stockapp-prod.redis.cache.windows.net "
         "(azurerm_redis_cache.main)"),
    ],
)  # fmt: skip
def test_a_reference_to_prods_computed_name_is_one_finding(
    tf_type: str, value: str, said: str
) -> None:
    [finding] = findings(tf_type, value)
    assert finding.address == "azurerm_container_app.backend"
    assert said in finding.message
    assert finding.message.endswith("found in the state and Azure")


def test_prods_app_insights_connection_string_is_caught_by_its_application_id() -> None:
    [finding] = findings("azurerm_application_insights", CONNECTION_STRING)
    assert "prod's Application Insights app ID 5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a" in (
        finding.message
    )
    assert "(azurerm_application_insights.main)" in finding.message
    text = json.dumps([vars(finding)], default=str)
    assert INSTRUMENTATION_KEY not in text  # the key is never shown


def test_the_shared_ingestion_endpoint_is_nobodys() -> None:
    """Every component in the region sends to the same ingestion host: not prod's."""
    endpoint = "https://westeurope-5.in.applicationinsights.azure.com/"
    assert findings("azurerm_application_insights", endpoint) == []


def test_a_web_apps_outbound_ips_in_one_string_are_each_owned() -> None:
    prod = FIXTURES_BY_TYPE["azurerm_linux_web_app"].world()
    body: dict[str, Any] = prod.find("/sites/app-stockapp-web-prod")
    body["properties"]["outboundIpAddresses"] = "20.50.9.1, 20.50.9.2"
    test = Environment(name="test").build()
    leak(test, "20.50.9.2")
    [finding] = isolation_findings(data(test), [data(prod)])
    assert "prod's outbound IP 20.50.9.2" in finding.message
