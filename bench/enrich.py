"""What a real estate carries beyond the REST examples' minimal bodies, on both sides alike.

The REST examples are short: three tags, three env vars, an empty network rule set. Real
resources carry 8-15 tags, container apps 10-30 env vars (URLs, host names, connection
strings, IPs, GUIDs, ARM IDs: the strings the isolation check tokenizes) and several
secrets, registries and vaults IP rules, apps several user-assigned identities keyed by ARM
ID. Each enrichment writes the same facts into the state attributes and the ARM body, the
way azurerm and ARM spell them, so the world stays free of drift; `bench.generate` checks
that with azprov's own comparison and leaves an enrichment out for a type where it is not.
Secret values exist only in the state (ARM's GET returns secret names, never values) and
are placeholders shaped like real ones, never real.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench.templates import Member, Stack

Body = dict[str, Any]
ENRICHMENTS = ("tags", "secrets", "env", "network", "identities")  # secrets before env


@dataclass(frozen=True)
class Facts:
    """What the env values of one stack's apps point at: its own resources."""

    stack: Stack
    members: tuple[Member, ...]

    def first(self, arm_type: str) -> Member | None:
        wanted = arm_type.lower()
        return next((m for m in self.members if m.arm_type.lower() == wanted), None)

    def all(self, arm_type: str) -> list[Member]:
        wanted = arm_type.lower()
        return [m for m in self.members if m.arm_type.lower() == wanted]

    def prop(self, arm_type: str, *path: str, default: str = "") -> str:
        member = self.first(arm_type)
        value: Any = member.body if member else None
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        return str(value) if isinstance(value, str | int) and value != "" else default

    @property
    def env(self) -> str:
        return self.stack.environment

    @property
    def token(self) -> str:
        return self.stack.token

    @property
    def server_fqdn(self) -> str:
        return self.prop(
            "Microsoft.DBforPostgreSQL/flexibleServers",
            "properties",
            "fullyQualifiedDomainName",
            default=f"psql-{self.token}-{self.env}.postgres.database.azure.com",
        )

    @property
    def tenant(self) -> str:
        return self.prop(
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "properties",
            "tenantId",
            default="00000000-0000-0000-0000-000000000000",
        )

    @property
    def client_id(self) -> str:
        return self.prop(
            "Microsoft.ManagedIdentity/userAssignedIdentities", "properties", "clientId"
        )

    @property
    def vault_uri(self) -> str:
        return self.prop(
            "Microsoft.KeyVault/vaults",
            "properties",
            "vaultUri",
            default=f"https://kv-{self.token}-{self.env}.vault.azure.net/",
        )

    def resource_id(self, arm_type: str) -> str:
        member = self.first(arm_type)
        return member.id if member else ""


# -- tags --------------------------------------------------------------------------------

_TAGS: tuple[tuple[str, Callable[[Facts, random.Random], str]], ...] = (
    ("owner", lambda f, r: f"team-{f.token}@contoso.example"),
    ("cost-center", lambda f, r: f"CC-{r.randint(1000, 9999)}"),
    ("business-unit", lambda f, r: r.choice(["retail", "logistics", "finance", "platform"])),
    ("service", lambda f, r: f"{f.token}-service"),
    ("tier", lambda f, r: r.choice(["frontend", "backend", "data", "shared"])),
    ("data-classification", lambda f, r: r.choice(["internal", "confidential", "public"])),
    ("criticality", lambda f, r: r.choice(["low", "medium", "high", "mission-critical"])),
    ("repository", lambda f, r: f"https://github.com/contoso/{f.token}-infra"),
    ("runbook", lambda f, r: f"https://wiki.contoso.example/runbooks/{f.token}"),
    ("support-contact", lambda f, r: f"oncall-{f.token}@contoso.example"),
    ("created-by", lambda f, r: "terraform-pipeline"),
    ("project", lambda f, r: f"PRJ-{r.randint(100, 999)}"),
    ("sla", lambda f, r: r.choice(["99.9", "99.95", "99.99"])),
    ("backup-policy", lambda f, r: r.choice(["daily-35d", "daily-7d", "none"])),
    ("maintenance-window", lambda f, r: r.choice(["sun-02:00", "sat-23:00", "wed-03:00"])),
    ("compliance", lambda f, r: r.choice(["iso27001", "soc2", "pci-dss"])),
)


def _tags(member: Member, facts: Facts, rng: random.Random) -> bool:
    body_tags, state_tags = member.body.get("tags"), member.attributes.get("tags")
    if not isinstance(body_tags, dict) or not isinstance(state_tags, dict):
        return False
    wanted = rng.randint(8, 15)
    for key, value in _TAGS:
        if len(body_tags) >= wanted:
            break
        if key not in body_tags:
            body_tags[key] = state_tags[key] = value(facts, rng)
    return True


# -- container apps: env lists, secrets, identities ------------------------------------------

WORKSPACES = "Microsoft.OperationalInsights/workspaces"
REGISTRIES = "Microsoft.ContainerRegistry/registries"
IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities"


def _plain_env(f: Facts, r: random.Random) -> list[tuple[str, str]]:
    """(name, value) of plain env vars; the values point at the stack's own resources."""
    host = f.server_fqdn
    return [
        ("APP_ENVIRONMENT", f.env),
        ("DB_HOST", host),
        ("DB_PORT", "5432"),
        ("DB_NAME", f.token),
        ("DB_SSLMODE", "require"),
        ("PG_CONNINFO", f"host={host} port=5432 dbname={f.token} user=app_{f.token} "
                        "sslmode=require"),
        ("SERVICEBUS_ENDPOINT", f"Endpoint=sb://sb-{f.token}-{f.env}.servicebus.windows.net/;"
                                "Authentication=ManagedIdentity"),
        ("KEY_VAULT_URI", f.vault_uri),
        ("STORAGE_BLOB_ENDPOINT", f"https://st{f.token}{f.env}.blob.core.windows.net/"),
        ("REDIS_HOST", f"redis-{f.token}-{f.env}.redis.cache.windows.net"),
        ("AZURE_CLIENT_ID", f.client_id),
        ("AZURE_TENANT_ID", f.tenant),
        ("AUTH_AUTHORITY", f"https://login.microsoftonline.com/{f.tenant}/v2.0"),
        ("AUTH_AUDIENCE", f"api://{f.client_id}"),
        ("WORKSPACE_RESOURCE_ID", f.resource_id(WORKSPACES)),
        ("REGISTRY_RESOURCE_ID", f.resource_id(REGISTRIES)),
        ("IDENTITY_RESOURCE_ID", f.resource_id(IDENTITIES)),
        ("INTERNAL_CIDR", "10.20.0.0/16"),
        ("SFTP_PARTNER_IP", f"198.51.100.{r.randint(2, 250)}"),
        ("ALLOWED_ORIGINS", f"https://{f.token}.contoso.example,https://admin.contoso.example"),
        ("PARTNER_API_URL", "https://api.partner.example/v2/"),
        ("SMTP_HOST", "smtp.contoso.example"),
        ("SMTP_PORT", "587"),
        ("OTEL_SERVICE_NAME", f"{f.token}-{f.env}"),
        ("OTEL_TRACES_SAMPLER_ARG", r.choice(["0.05", "0.1", "0.25"])),
        ("HTTP_TIMEOUT_SECONDS", str(r.choice([10, 15, 30, 60]))),
        ("WORKER_CONCURRENCY", str(r.randint(2, 16))),
        ("FEATURE_FLAGS", "search,exports,beta-ui"),
        ("CORRELATION_HEADER", "x-correlation-id"),
        ("BUILD_SHA", f"{r.getrandbits(160):040x}"),
        ("TZ", "Europe/Amsterdam"),
        ("LANG", "en_US.UTF-8"),
        ("CACHE_TTL_SECONDS", str(r.choice([60, 300, 900]))),
    ]  # fmt: skip


def _secret_env(f: Facts) -> list[tuple[str, str, str]]:
    """(env name, secret name, placeholder value in the state) of the app's secrets.

    Shaped like real credentials, so that redaction has work; none is real.
    """
    st, host = f"st{f.token}{f.env}", f"{f.token}-{f.env}"
    return [
        ("REDIS_URL", "redis-url",
         f"rediss://:placeholder-{f.token}-not-real@redis-{host}.redis.cache.windows.net:6380/0"),
        ("STORAGE_CONNECTION_STRING", "storage-connection-string",
         f"DefaultEndpointsProtocol=https;AccountName={st};AccountKey="
         "cGxhY2Vob2xkZXIta2V5LW5vdC1yZWFs;EndpointSuffix=core.windows.net"),
        ("EXPORT_SAS_URL", "export-sas-url",
         f"https://{st}.blob.core.windows.net/exports?sv=2022-11-02&sp=rl"
         "&se=2027-01-01T00:00:00Z&sig=cGxhY2Vob2xkZXI%3D"),
        ("APPLICATIONINSIGHTS_CONNECTION_STRING", "appinsights-connection-string",
         f"InstrumentationKey={f.client_id};"
         "IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"),
        ("SENTRY_DSN", "sentry-dsn", "https://placeholder@o450.ingest.sentry.io/4505"),
        ("SQL_CONNECTION_STRING", "sql-connection-string",
         f"Server=tcp:sql-{host}.database.windows.net,1433;Database={f.token};"
         f"User ID=app_{f.token};Password=placeholder-{f.token}-not-real;Encrypt=True"),
        ("EXPORT_FUNCTION_URL", "export-function-url",
         f"https://func-{host}.azurewebsites.net/api/export?code=cGxhY2Vob2xkZXIta2V5"),
        ("UPSTREAM_AUTHORIZATION", "upstream-authorization",
         "Bearer cGxhY2Vob2xkZXItYmVhcmVyLXRva2Vu"),
        ("SERVICE_TOKEN", "service-token",
         "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwbGFjZWhvbGRlciJ9.cGxhY2Vob2xkZXI"),
        ("RELEASE_BOT_TOKEN", "release-bot-token", "ghp_" + "Pl4ceh0lderN0tReal" * 2),
        ("SIGNING_KEY", "signing-key",
         "-----BEGIN PRIVATE KEY-----\ncGxhY2Vob2xkZXI=\n-----END PRIVATE KEY-----"),
    ]  # fmt: skip


def _first_list(doc: Any, *path: str) -> list[Any] | None:
    for step in path:
        if isinstance(doc, list):
            doc = doc[0] if doc and step == "0" else None
        elif isinstance(doc, dict):
            doc = doc.get(step)
        else:
            return None
    return doc if isinstance(doc, list) else None


def _env(member: Member, facts: Facts, rng: random.Random) -> bool:
    """10-30 env vars per container, plain ones and secret references."""
    arm = _first_list(member.body, "properties", "template", "containers")
    state = _first_list(member.attributes, "template", "0", "container")
    if not arm or not state or len(arm) != len(state):
        return False
    secret_names = _secret_names(member)
    for arm_container, state_container in zip(arm, state, strict=True):
        arm_env, state_env = arm_container.get("env"), state_container.get("env")
        if not isinstance(arm_env, list) or not isinstance(state_env, list):
            return False
        taken = {str(e.get("name")) for e in arm_env}
        wanted = rng.randint(10, 30)
        refs = [s for s in _secret_env(facts) if s[1] in secret_names and s[0] not in taken]
        plain = [e for e in _plain_env(facts, rng) if e[0] not in taken]
        rng.shuffle(refs)
        rng.shuffle(plain)
        # Most env vars are plain settings; a few name the app's secrets.
        for name, ref, _ in refs[: max(0, min(wanted // 3, wanted - len(arm_env)))]:
            arm_env.append({"name": name, "secretRef": ref})
            state_env.append({"name": name, "secret_name": ref, "value": ""})
        for name, text in plain[: max(0, wanted - len(arm_env))]:
            arm_env.append({"name": name, "value": text})
            state_env.append({"name": name, "secret_name": "", "value": text})
    return True


def _secret_names(member: Member) -> set[str]:
    return {
        str(s.get("name")) for s in member.attributes.get("secret") or () if isinstance(s, dict)
    }


def _secrets(member: Member, facts: Facts, rng: random.Random) -> bool:
    """The app's secret store: names in ARM, placeholder values in the state only."""
    state = member.attributes.get("secret")
    configuration = (member.body.get("properties") or {}).get("configuration")
    if not isinstance(state, list) or not isinstance(configuration, dict):
        return False
    arm = configuration.setdefault("secrets", [{"name": s.get("name")} for s in state])
    have = _secret_names(member)
    for _, name, value in _secret_env(facts):
        if name not in have:
            state.append({"name": name, "value": value, "identity": "", "key_vault_secret_id": ""})
            arm.append({"name": name})
    return True


def _identities(member: Member, facts: Facts, rng: random.Random) -> bool:
    """Every user-assigned identity of the stack on the app, keyed by ARM ID on both sides."""
    arm = (member.body.get("identity") or {}).get("userAssignedIdentities")
    state = _first_list(member.attributes, "identity")
    if not isinstance(arm, dict) or not state or not isinstance(state[0].get("identity_ids"), list):
        return False
    ids = state[0]["identity_ids"]
    present = {k.lower() for k in arm}
    for identity in facts.all("Microsoft.ManagedIdentity/userAssignedIdentities"):
        if identity.key in present:
            continue
        props = identity.body.get("properties") or {}
        # ARM spells the group keyword in lower case in these keys
        arm[identity.id.replace("/resourceGroups/", "/resourcegroups/")] = {
            "principalId": props.get("principalId"),
            "clientId": props.get("clientId"),
        }
        ids.append(identity.id)
    return True


# -- network rules -------------------------------------------------------------------------

# Where each side keeps a resource's IP allow-list: ARM's rule set and azurerm's block.
_ARM_RULE_SETS = ("networkRuleSet", "networkAcls")
_STATE_RULE_SETS = ("network_rule_set", "network_acls", "network_rules")
# Offices, VPN egress and partners: documentation and benchmarking ranges, owned by no one.
_ALLOWED = ("198.51.100.0/24", "203.0.113.0/27", "192.0.2.0/28", "198.18.4.16/28",
            "198.18.9.0/24", "203.0.113.64/26", "198.19.20.0/24", "192.0.2.128/25")  # fmt: skip


def _network(member: Member, facts: Facts, rng: random.Random) -> bool:
    props = member.body.get("properties")
    arm = next(
        (
            props[k]
            for k in _ARM_RULE_SETS
            if isinstance(props, dict) and isinstance(props.get(k), dict)
        ),
        None,
    )
    block = next((member.attributes[k] for k in _STATE_RULE_SETS if member.attributes.get(k)), None)
    if arm is not None and block is None and "networkRuleSet" in props:
        # azurerm writes a registry's rules as a `network_rule_set` block
        block = member.attributes["network_rule_set"] = [{"default_action": "Allow", "ip_rule": []}]
    if arm is None or not isinstance(block, list) or not isinstance(block[0], dict):
        return False
    state = block[0]
    ranges = rng.sample(_ALLOWED, rng.randint(3, len(_ALLOWED)))
    arm_rules = arm.setdefault("ipRules", [])
    with_action = any("action" in r for r in arm_rules) or "networkRuleSet" in props
    arm_rules += [{"action": "Allow", "value": r} if with_action else {"value": r} for r in ranges]
    arm["defaultAction"] = "Deny"
    for key in ("ip_rules", "ip_rule"):
        if key in state or (key == "ip_rule" and "ip_rules" not in state):
            rules = state.setdefault(key, [])
            if key == "ip_rules":
                rules += ranges
            else:
                rules += [{"action": "Allow", "ip_range": r} for r in ranges]
            break
    state["default_action"] = "Deny"
    return True


_ENRICH: dict[str, Callable[[Member, Facts, random.Random], bool]] = {
    "tags": _tags,
    "secrets": _secrets,
    "env": _env,
    "network": _network,
    "identities": _identities,
}


def enrich(
    members: list[Member], stack: Stack, rng: random.Random, left_out: dict[str, set[str]]
) -> Iterator[tuple[str, str]]:
    """Enrich one stack's members in place; yields (tf_type, enrichment) for each applied.

    `left_out` maps a tf_type to enrichments that are not applied to it.
    """
    facts = Facts(stack, tuple(members))
    for member in members:
        skipped = left_out.get(member.tf_type, set())
        for name in ENRICHMENTS:
            if name not in skipped and _ENRICH[name](member, facts, rng):
                yield member.tf_type, name
