"""Isolation through identities: one environment's identity holding a role on another's resource.

prod and test as the factories build them each have a user-assigned identity (distinct
principal IDs) with AcrPull on their own registry: the clean twin. Each case then plants one
cross-environment grant, read from the state only, from Azure only (made by hand), from
both, or from a plan, and through the analyser, `verify` on both read paths and `audit`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import responses
from typer.testing import CliRunner

from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.cli import app
from provisioner.live import ArmClient, Connection, Inventory
from provisioner.live.credentials import StaticTokenCredential
from provisioner.live.roles import RoleNames
from provisioner.live.snapshot import snapshot_to_json
from provisioner.model import Coverage, Finding, FindingKind, Severity
from provisioner.registry import builtin_role_name
from provisioner.state import parse_state
from provisioner.state.plan import plan_from_document
from tests.arm_fake import ArmFake, error_body
from tests.conftest import write_state
from tests.factories import (
    ACR_PULL,
    SUBSCRIPTION,
    Environment,
    _state_entry,
    dumps,
    plan_change,
)
from tests.test_registry import FIXTURES_BY_TYPE

runner = CliRunner()
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"  # Key Vault Secrets User
CUSTOM = "9d3c6e1a-5b7f-4c2d-8e9a-0b1c2d3e4f5a"  # a custom role's definition GUID
LEAK_GUID = "5e1f0c2d-7a8b-4c9d-8e0f-1a2b3c4d5e6f"  # the planted assignment's name
PATHS = {"resource-graph": "--resource-graph", "lists": "--no-resource-graph"}


def definition(guid: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def registry(env: Environment) -> str:
    return str(env.find(f"/registries/acrstockapp{env.name}")["id"])


def principal(env: Environment) -> str:
    return env.identity_ids["principalId"]


def plant(
    holder: Environment | None,
    azure: Environment | None,
    scope: str,
    principal_id: str,
    role: str = ACR_PULL,
    *,
    name: str = "cross_env",
    guid: str = LEAK_GUID,
    state_role_name: str | None = None,
) -> str:
    """A role assignment: in `holder`'s state, and in Azure among `azure`'s bodies (the
    environment whose resource group holds its scope, where Azure lists it)."""
    assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}"
    if holder is not None:
        named = builtin_role_name(role) or state_role_name or ""
        holder.state_resources.append(
            _state_entry(
                "azurerm_role_assignment", name,
                {"id": assignment_id, "name": guid, "scope": scope,
                 "role_definition_name": named, "role_definition_id": definition(role),
                 "principal_id": principal_id, "principal_type": "ServicePrincipal",
                 "condition": "", "condition_version": "", "description": "",
                 "skip_service_principal_aad_check": False},
                [],
            )
        )  # fmt: skip
    if azure is not None:
        azure.bodies[assignment_id.lower()] = {
            "id": assignment_id, "name": guid, "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"roleDefinitionId": definition(role), "principalId": principal_id,
                           "principalType": "ServicePrincipal", "scope": scope,
                           "createdOn": "2026-11-20T08:00:00Z",
                           "updatedOn": "2026-11-20T08:00:00Z"},
        }  # fmt: skip
    return assignment_id


def data(
    env: Environment, *, state: bool = True, live: bool = True, plan: Any = None
) -> EnvironmentData:
    return EnvironmentData(
        env.name,
        f"{env.name}.tfstate",
        parse_state(dumps(env.state_v4()), f"{env.name}.tfstate") if state else None,
        tuple(env.bodies.values()) if live else None,
        plan_from_document(plan) if plan is not None else None,
    )


def isolation(target: EnvironmentData, other: EnvironmentData, **kwargs: Any) -> list[Finding]:
    return isolation_findings(target, [other], **kwargs)


def own_principal(env: Environment, guid: str) -> None:
    """Give `env`'s identity a principal ID of its own, wherever it is written: the factories
    give every environment but prod the same one."""
    old = principal(env)
    env.bodies = json.loads(json.dumps(env.bodies).replace(old, guid))
    env.state_resources = json.loads(json.dumps(env.state_resources).replace(old, guid))


@pytest.fixture
def test_env() -> Environment:
    return Environment(name="test").build()


# -- the analyser -----------------------------------------------------------------------------


def test_the_clean_twin_has_no_finding_either_way(prod: Environment, test_env: Environment) -> None:
    assert isolation(data(prod), data(test_env)) == []
    assert isolation(data(test_env), data(prod)) == []


def test_tests_identity_pulling_from_prods_registry_in_the_state_only(
    prod: Environment, test_env: Environment
) -> None:
    assignment = plant(test_env, None, registry(prod), principal(test_env))
    for target, other in ((prod, test_env), (test_env, prod)):  # either end is the target's
        [finding] = isolation(data(target, live=False), data(other, live=False))
        assert (finding.kind, finding.severity) == (FindingKind.ISOLATION, Severity.HIGH)
        assert (finding.resource_id, finding.address) == (
            assignment,
            "azurerm_role_assignment.cross_env",
        )
        assert (finding.attribute, finding.actual) == ("principal_id", principal(test_env))
        assert finding.message == (
            f"test's identity azurerm_user_assigned_identity.apps (principal "
            f"{principal(test_env)}) holds AcrPull on prod's azurerm_container_registry.acr "
            f"({registry(prod)}); found in test's state"
        )


def test_a_grant_made_by_hand_is_seen_in_azure_only(
    prod: Environment, test_env: Environment
) -> None:
    plant(None, prod, registry(prod), principal(test_env))
    for target, other in ((prod, test_env), (test_env, prod)):
        [finding] = isolation(data(target), data(other))
        assert finding.address is None and finding.type == "azurerm_role_assignment"
        assert finding.message.startswith("test's identity azurerm_user_assigned_identity.apps")
        assert finding.message.endswith("; found in Azure only, not in any state")


def test_a_grant_in_one_state_and_listed_in_the_others_azure_is_one_finding(
    prod: Environment, test_env: Environment
) -> None:
    """Terraform in test made it; Azure lists it under prod's group, where its scope is."""
    assignment = plant(test_env, prod, registry(prod), principal(test_env))
    for target, other in ((prod, test_env), (test_env, prod)):
        [finding] = isolation(data(target), data(other))
        assert finding.resource_id == assignment
        assert finding.message.endswith("; found in test's state and Azure")


def test_prods_identity_reading_tests_vault_names_the_role_and_both_ends(
    prod: Environment, test_env: Environment
) -> None:
    vault = FIXTURES_BY_TYPE["azurerm_key_vault"]
    text = json.dumps(vault.doc["azure"]).replace("-prod", "-test")
    body = json.loads(text)
    test_env.bodies[body["id"].lower()] = body
    test_env.state_resources.append(
        _state_entry(
            "azurerm_key_vault",
            "main",
            json.loads(json.dumps(vault.doc["resource"]["attributes"]).replace("-prod", "-test")),
            [],
        )
    )
    plant(prod, test_env, body["id"], principal(prod), SECRETS_USER)
    [finding] = isolation(data(prod), data(test_env))
    assert finding.message == (
        f"prod's identity azurerm_user_assigned_identity.apps (principal {principal(prod)}) "
        f"holds Key Vault Secrets User on test's azurerm_key_vault.main ({body['id']}); "
        "found in prod's state and Azure"
    )


def test_a_system_assigned_identity_is_named_by_its_resource(
    prod: Environment, test_env: Environment
) -> None:
    system = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    backend = prod.find("/containerApps/ca-stockapp-backend-prod")
    backend["identity"] = {"type": "SystemAssigned", "principalId": system, "tenantId": "t"}
    plant(None, test_env, registry(test_env), system)
    [finding] = isolation(data(test_env), data(prod))
    assert finding.message.startswith(
        f"prod's azurerm_container_app.backend, through its managed identity (principal {system})"
        " holds AcrPull on test's azurerm_container_registry.acr"
    )


def test_a_scope_inside_another_environments_resource_is_shown_with_its_owner(
    prod: Environment, test_env: Environment
) -> None:
    repository = f"{registry(prod)}/repositories/stockapp-backend"
    plant(test_env, None, repository, principal(test_env))
    [finding] = isolation(data(prod), data(test_env))
    assert f"holds AcrPull on {repository}, in prod's azurerm_container_registry.acr (" in (
        finding.message
    )


@pytest.mark.parametrize(
    ("case", "grant"),
    [
        ("a person or group no environment owns", "0f0e0d0c-0b0a-4909-8807-060504030201"),
        ("prod's own identity on prod's registry, kept in test's state", "prod"),
    ],
)
def test_grants_that_cross_no_environment_line_are_not_identity_findings(
    prod: Environment, test_env: Environment, case: str, grant: str
) -> None:
    who = principal(prod) if grant == "prod" else grant
    plant(test_env, None, registry(prod), who)
    found = isolation(data(test_env, live=False), data(prod, live=False))
    assert all(" holds " not in f.message for f in found), case
    if grant == "prod":  # test's state still reaches into prod: the generic check says so
        assert {f.attribute for f in found} == {"id", "scope", "principal_id"}


def test_a_grant_between_two_others_kept_in_the_targets_state_is_still_reported(
    prod: Environment, test_env: Environment
) -> None:
    """test's state holding prod's identity's grant on staging is test's business too."""
    staging = Environment(name="staging").build()
    own_principal(staging, "33333333-2222-3333-4444-555555555555")
    plant(test_env, None, registry(staging), principal(prod))
    found = isolation_findings(data(test_env, live=False), [data(prod), data(staging)])
    assert [(f.attribute, f.message.split(" ")[3]) for f in found] == [
        ("id", "staging's"),  # ... lies under staging's registry
        ("principal_id", "prod's"),  # ... points at prod's principal ID
        ("scope", "staging's"),
    ]


def test_the_grant_replaces_the_generic_findings_on_the_assignment(
    prod: Environment, test_env: Environment
) -> None:
    """Without it, test's report said `lies under prod's registry` and `scope points at it`."""
    plant(test_env, prod, registry(prod), principal(test_env))
    found = isolation(data(test_env), data(prod))
    assert [(f.attribute, " holds AcrPull on " in f.message) for f in found] == [
        ("principal_id", True)
    ]


def test_a_grant_on_a_shared_registry_is_silent(prod: Environment, test_env: Environment) -> None:
    plant(test_env, prod, registry(prod), principal(test_env))
    assert isolation(data(prod), data(test_env), shared=("acrstockappprod.azurecr.io",)) == []


def test_a_grant_between_two_other_environments_is_not_the_targets(
    prod: Environment, test_env: Environment
) -> None:
    staging = Environment(name="staging").build()
    own_principal(staging, "33333333-2222-3333-4444-555555555555")
    plant(test_env, prod, registry(prod), principal(test_env))
    assert isolation_findings(data(staging), [data(prod), data(test_env)]) == []


# -- naming the role --------------------------------------------------------------------------


def test_a_custom_role_is_named_by_the_state_when_it_has_the_name(
    prod: Environment, test_env: Environment
) -> None:
    plant(test_env, None, registry(prod), principal(test_env), CUSTOM, state_role_name="Puller")
    [finding] = isolation(data(prod, live=False), data(test_env, live=False))
    assert " holds Puller on " in finding.message


def test_a_custom_role_is_read_once_per_definition_and_only_for_reported_grants(
    prod: Environment, test_env: Environment
) -> None:
    plant(None, prod, registry(prod), principal(test_env), CUSTOM)
    plant(None, prod, f"{registry(prod)}/repositories/x", principal(test_env), CUSTOM,
          guid="6e1f0c2d-7a8b-4c9d-8e0f-1a2b3c4d5e6f")  # fmt: skip
    # a custom role within test (the twin's own grant, reworded): never looked up
    own = test_env.find("/registries/acrstockapptest/providers/Microsoft.Authorization/"
                        "roleAssignments/1f8b6c1e-3a2d-4e5f-8a9b-1c2d3e4f5a6c")  # fmt: skip
    own["properties"]["roleDefinitionId"] = definition("1" * 8 + CUSTOM[8:])
    asked: list[str] = []

    def names(definition_id: str) -> str:
        asked.append(definition_id)
        return "Image Puller (custom)"

    found = isolation(data(prod), data(test_env), role_names=names)
    assert [" holds Image Puller (custom) on " in f.message for f in found] == [True, True]
    assert asked == [definition(CUSTOM)]


@pytest.mark.parametrize(
    ("role_names", "note"),
    [
        (None, "a custom role; its name is not known from files alone"),
        ("HTTP 403 AuthorizationFailed: no read", "a custom role whose name could not be read: "
         "HTTP 403 AuthorizationFailed: no read"),
    ],
)  # fmt: skip
def test_a_custom_role_that_cannot_be_named_shows_its_guid_with_why(
    prod: Environment, test_env: Environment, role_names: str | None, note: str
) -> None:
    plant(None, prod, registry(prod), principal(test_env), CUSTOM)

    def failing(_: str) -> str:
        raise LookupError(role_names)

    [finding] = isolation(data(prod), data(test_env), role_names=failing if role_names else None)
    assert f" holds role {CUSTOM} ({note}) on prod's " in finding.message


# -- the plan (audit) ------------------------------------------------------------------------


def test_a_plan_granting_tests_identity_on_prod_is_set_by_the_plan(
    prod: Environment, test_env: Environment
) -> None:
    after = {
        "scope": registry(prod), "role_definition_id": definition(ACR_PULL),
        "role_definition_name": "AcrPull", "principal_id": principal(test_env),
        "condition": None, "description": None, "skip_service_principal_aad_check": False,
    }  # fmt: skip
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.8", "applyable": True,
        "complete": True, "errored": False,
        "resource_changes": [
            plan_change(None, ["create"], after, address="azurerm_role_assignment.test_pull",
                        after_unknown={"id": True, "name": True}),
        ],
    }  # fmt: skip
    [finding] = isolation(data(prod, plan=plan), data(test_env))
    assert finding.address == "azurerm_role_assignment.test_pull"
    assert finding.message.startswith("test's identity azurerm_user_assigned_identity.apps")
    assert finding.message.endswith("; set by the plan")


def snapshot(tmp_path: Path, env: Environment) -> Path:
    rg = f"/subscriptions/{env.subscription}/resourcegroups/{env.rg}".lower()
    inventory = Inventory(
        subscription_id=env.subscription,
        taken_at="2026-11-24T10:00:00Z",
        resource_groups=(env.rg,),
        bodies=tuple(env.bodies.values()),
        coverage=Coverage(frozenset({(rg, "*")}), frozenset(env.bodies)),
    )
    path = tmp_path / f"{env.name}.live.json"
    path.write_text(snapshot_to_json(inventory, env.name))
    return path


def test_audit_reports_the_planned_grant_from_files(
    tmp_path: Path, prod: Environment, test_env: Environment
) -> None:
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.8", "applyable": True,
        "complete": True, "errored": False,
        "resource_changes": [
            plan_change(None, ["create"], {
                "scope": registry(prod), "role_definition_id": definition(ACR_PULL),
                "role_definition_name": "AcrPull", "principal_id": principal(test_env),
            }, address="azurerm_role_assignment.test_pull", after_unknown={"id": True}),
        ],
    }  # fmt: skip
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    result = runner.invoke(
        app,
        ["audit", "--env", "prod", "--plan", str(plan_file), "-f", "json",
         "--state", str(write_state(tmp_path, prod, "prod.json")),
         "--live", str(snapshot(tmp_path, prod)),
         "--state", f"test={write_state(tmp_path, test_env, 'test.json')}",
         "--live", f"test={snapshot(tmp_path, test_env)}"],
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    [grant] = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "isolation"]
    assert grant["address"] == "azurerm_role_assignment.test_pull"
    assert " holds AcrPull on prod's azurerm_container_registry.acr " in grant["message"]
    assert grant["message"].endswith("; set by the plan")


# -- verify against Azure, both read paths ----------------------------------------------------


def serve_both(
    rsps: responses.RequestsMock, prod: Environment, test_env: Environment, **fake: Any
) -> ArmFake:
    """One subscription holding both environments' resource groups."""
    both = Environment(name="prod")
    both.bodies = {**prod.bodies, **test_env.bodies}
    served = ArmFake(both, **fake)
    served.install(rsps)
    return served


def verify(tmp_path: Path, prod: Environment, test_env: Environment, *args: str) -> Any:
    result = runner.invoke(
        app,
        ["verify", "--env", "prod", "-f", "json",
         "--state", str(write_state(tmp_path, prod, "prod.json")),
         "--state", f"test={write_state(tmp_path, test_env, 'test.json')}", *args],
    )  # fmt: skip
    assert result.exit_code in (0, 2), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("path", PATHS)
def test_verify_on_the_clean_twin_is_clean(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    prod: Environment,
    test_env: Environment,
    path: str,
) -> None:
    serve_both(rsps, prod, test_env)
    code, report = verify(tmp_path, prod, test_env, PATHS[path])
    assert (code, report["findings"], report["unread"]) == (0, [], [])


@pytest.mark.parametrize("path", PATHS)
def test_verify_reads_the_grant_from_tests_state_and_prods_azure(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    prod: Environment,
    test_env: Environment,
    path: str,
) -> None:
    assignment = plant(test_env, prod, registry(prod), principal(test_env))
    serve_both(rsps, prod, test_env)
    code, report = verify(tmp_path, prod, test_env, PATHS[path])
    assert code == 2 and report["unread"] == []
    kinds = Counter((f["kind"], f["resource_id"]) for f in report["findings"])
    # prod's state does not manage the grant Azure lists in its group: also unmanaged there
    assert kinds == {("isolation", assignment): 1, ("unmanaged", assignment): 1}
    [grant] = [f for f in report["findings"] if f["kind"] == "isolation"]
    assert grant["severity"] == "high" and grant["address"] == "azurerm_role_assignment.cross_env"
    assert grant["message"] == (
        f"test's identity azurerm_user_assigned_identity.apps (principal {principal(test_env)}) "
        f"holds AcrPull on prod's azurerm_container_registry.acr ({registry(prod)}); "
        "found in test's state and Azure"
    )


@pytest.mark.parametrize("path", PATHS)
def test_a_custom_roles_name_is_read_from_azure_once(
    tmp_path: Path,
    rsps: responses.RequestsMock,
    prod: Environment,
    test_env: Environment,
    path: str,
) -> None:
    plant(None, prod, registry(prod), principal(test_env), CUSTOM)
    plant(None, prod, f"{registry(prod)}/repositories/x", principal(test_env), CUSTOM,
          guid="6e1f0c2d-7a8b-4c9d-8e0f-1a2b3c4d5e6f")  # fmt: skip
    custom = {"id": definition(CUSTOM), "name": CUSTOM,
              "type": "Microsoft.Authorization/roleDefinitions",
              "properties": {"roleName": "Image Puller", "type": "CustomRole", "permissions": [],
                             "assignableScopes": [f"/subscriptions/{SUBSCRIPTION}"]}}  # fmt: skip
    served = serve_both(rsps, prod, test_env, role_definitions={CUSTOM: custom})
    code, report = verify(tmp_path, prod, test_env, PATHS[path])
    grants = [f for f in report["findings"] if f["kind"] == "isolation"]
    assert code == 2 and len(grants) == 2
    assert all(" holds Image Puller on " in f["message"] for f in grants)
    reads = [p for p in served.requests if "roleDefinitions" in p]
    assert reads == [definition(CUSTOM)]


def test_a_role_definition_azure_refuses_shows_the_guid_and_the_run_still_completes(
    tmp_path: Path, rsps: responses.RequestsMock, prod: Environment, test_env: Environment
) -> None:
    plant(None, prod, registry(prod), principal(test_env), CUSTOM)
    denied = (403, error_body("AuthorizationFailed", "The client cannot read role definitions."))
    serve_both(rsps, prod, test_env, failures={f"/roledefinitions/{CUSTOM}": denied})
    code, report = verify(tmp_path, prod, test_env)
    assert code == 2 and report["unread"] == []  # a finding, not a failed verify
    [grant] = [f for f in report["findings"] if f["kind"] == "isolation"]
    assert (
        f" holds role {CUSTOM} (a custom role whose name could not be read: HTTP 403 "
        "AuthorizationFailed: The client cannot read role definitions.) on prod's "
    ) in grant["message"]


def test_offline_a_custom_role_is_shown_by_its_guid(
    tmp_path: Path, prod: Environment, test_env: Environment
) -> None:
    plant(None, prod, registry(prod), principal(test_env), CUSTOM)
    code, report = verify(
        tmp_path, prod, test_env,
        "--live", str(snapshot(tmp_path, prod)), "--live", f"test={snapshot(tmp_path, test_env)}",
    )  # fmt: skip
    [grant] = [f for f in report["findings"] if f["kind"] == "isolation"]
    assert code == 2
    assert (
        f"holds role {CUSTOM} (a custom role; its name is not known from files alone)"
        in (grant["message"])
    )


# -- the lookup itself ------------------------------------------------------------------------


def role_names(rsps: responses.RequestsMock, **fake: Any) -> tuple[RoleNames, ArmFake]:
    served = ArmFake(Environment(name="prod").build(), **fake)
    served.install(rsps)
    connection = Connection(SUBSCRIPTION, StaticTokenCredential("test-token-not-real"))
    return RoleNames(ArmClient(connection)), served


def test_a_definition_is_read_once_and_its_name_cleaned(rsps: responses.RequestsMock) -> None:
    body = {"id": definition(CUSTOM), "properties": {"roleName": "Puller\x1b]0;pwned\x07"}}
    names, served = role_names(rsps, role_definitions={CUSTOM: body})
    assert (
        names(definition(CUSTOM))
        == names(definition(CUSTOM).upper())
        == ("Puller\\x1b]0;pwned\\x07")
    )
    assert len(served.requests) == 1


@pytest.mark.parametrize(
    ("definition_id", "reason"),
    [
        ("https://evil.example/providers/Microsoft.Authorization/roleDefinitions/" + CUSTOM,
         "not a role definition ID"),
        ("@evil.example/providers/Microsoft.Authorization/roleDefinitions/" + CUSTOM,
         "not a role definition ID"),
        (definition(CUSTOM), "HTTP 404 RoleDefinitionDoesNotExist"),
    ],
)  # fmt: skip
def test_a_definition_that_cannot_be_read_says_why_and_nothing_leaves_for_a_foreign_host(
    rsps: responses.RequestsMock, definition_id: str, reason: str
) -> None:
    names, served = role_names(rsps)
    with pytest.raises(LookupError, match=reason):
        names(definition_id)
    with pytest.raises(LookupError, match=reason):  # remembered, not asked again
        names(definition_id)
    assert len(served.requests) == (reason.startswith("HTTP"))


def test_the_built_in_role_table_names_the_roles_teams_grant() -> None:
    table = json.loads(
        (Path(__file__).parent.parent / "provisioner/registry/builtin_roles.json").read_text()
    )
    assert "learn.microsoft.com/azure/role-based-access-control/built-in-roles" in table["_source"]
    roles = {k: v for k, v in table.items() if not k.startswith("_")}
    assert all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", k) for k in roles)
    assert len(set(roles.values())) == len(roles)
    for name in ("Owner", "Contributor", "Reader", "User Access Administrator", "AcrPull",
                 "AcrPush", "Key Vault Administrator", "Key Vault Secrets User",
                 "Key Vault Secrets Officer", "Key Vault Crypto User", "Key Vault Reader",
                 "Storage Blob Data Reader", "Storage Blob Data Contributor",
                 "Storage Blob Data Owner", "Storage Queue Data Contributor",
                 "Storage Table Data Reader", "Monitoring Reader", "Monitoring Contributor",
                 "Log Analytics Reader", "Log Analytics Contributor",
                 "Azure Service Bus Data Sender", "Azure Event Hubs Data Receiver",
                 "Redis Cache Contributor", "Website Contributor", "Managed Identity Operator",
                 "Network Contributor"):  # fmt: skip
        assert name in roles.values(), name
    assert builtin_role_name(f"/providers/Microsoft.Authorization/roleDefinitions/{ACR_PULL}") == (
        "AcrPull"
    )
