"""The policy rule catalogue: one entry per rule, each with its own small check function.

A check reads one normalized `Resource` (plan, live or state side alike) and yields a
`Violation` per breach. Checks never judge what they cannot see: a value known only after
apply, a value Terraform marks sensitive, or an absent attribute yields nothing (except
`app-no-plain-secrets`, where the *presence* of a plain value is the breach).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from provisioner.model import (
    REDACTED,
    Resource,
    Sensitive,
    Severity,
    carries_credentials,
    secret_like_name,
)
from provisioner.registry import TYPES, MapOf
from provisioner.state.plan import UNKNOWN  # how a plan's value known only after apply reads

PROD = "prod"

PG_SERVER = "azurerm_postgresql_flexible_server"
PG_FIREWALL_RULE = "azurerm_postgresql_flexible_server_firewall_rule"
REGISTRY = "azurerm_container_registry"
CONTAINER_APP = "azurerm_container_app"
LINUX_WEB_APP = "azurerm_linux_web_app"
KEY_VAULT = "azurerm_key_vault"
STORAGE_ACCOUNT = "azurerm_storage_account"
REDIS_CACHE = "azurerm_redis_cache"
# Every type whose mapping table reads tags: the required-tags rule applies to exactly these.
TAGGED_TYPES = frozenset(
    spec.tf_type
    for spec in TYPES
    if any(isinstance(e, MapOf) and e.name == "tags" for e in spec.attributes)
)

SettingKind = Literal["bool", "int", "strings"]


@dataclass(frozen=True)
class Setting:
    """One tunable of a rule, as `[policy.<rule>] <name> = ...` sets it."""

    name: str
    kind: SettingKind
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Violation:
    """One breach a check found; the engine turns it into a `Finding`."""

    attribute: str
    expected: Any
    actual: Any
    detail: str


Check = Callable[[Resource, Mapping[str, Any]], Iterator[Violation]]


@dataclass(frozen=True)
class Rule:
    """A policy rule: what it checks, how bad a breach is, and its defaults.

    `defaults` hold every setting (and `enabled`) for every environment; `prod` holds
    the values that differ in the environment named `prod`.
    """

    id: str
    severity: Severity
    tf_types: frozenset[str]
    rationale: str
    check: Check
    settings: tuple[Setting, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    prod: Mapping[str, Any] = field(default_factory=dict)

    def defaults_for(self, environment: str) -> dict[str, Any]:
        values = {"enabled": True, **self.defaults}
        if environment == PROD:
            values.update(self.prod)
        return values


# -- value helpers ----------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value == UNKNOWN


def _hidden(value: Any) -> bool:
    return isinstance(value, Sensitive) or value == REDACTED


def _judgeable(value: Any) -> bool:
    """A value a rule may compare: present, known now and not hidden."""
    return value is not None and not is_unknown(value) and not _hidden(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not _judgeable(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _shown(value: float) -> int | float:
    return int(value) if value.is_integer() else value


# -- PostgreSQL -------------------------------------------------------------------------


def check_not_burstable(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    sku = res.attributes.get("sku_name")
    if _judgeable(sku) and str(sku).upper().startswith("B_"):
        yield Violation(
            "sku_name",
            "General Purpose or Memory Optimized (not B_)",
            sku,
            f"PostgreSQL SKU {sku} is Burstable",
        )


def check_backup_retention(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    days = _number(res.attributes.get("backup_retention_days"))
    minimum = settings["min_days"]
    if days is not None and days < minimum:
        yield Violation(
            "backup_retention_days",
            f">= {minimum}",
            _shown(days),
            f"backups are kept {_shown(days)} days, fewer than {minimum}",
        )


def check_geo_redundant_backup(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    if res.attributes.get("geo_redundant_backup_enabled") is False:
        yield Violation(
            "geo_redundant_backup_enabled", True, False, "backups are not geo-redundant"
        )


def check_public_network_access(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    if settings["allowed"]:
        return
    if res.attributes.get("public_network_access_enabled") is True:
        yield Violation(
            "public_network_access_enabled",
            False,
            True,
            "the server accepts connections from public networks",
        )


def _ip_range(res: Resource) -> tuple[int, int] | None:
    start, end = res.attributes.get("start_ip_address"), res.attributes.get("end_ip_address")
    if not (_judgeable(start) and _judgeable(end)):
        return None
    try:
        return int(ipaddress.IPv4Address(str(start))), int(ipaddress.IPv4Address(str(end)))
    except ValueError:
        return None


def _range_text(res: Resource) -> str:
    start, end = res.attributes.get("start_ip_address"), res.attributes.get("end_ip_address")
    return f"{start}-{end}"


ALL_IPV4 = (0, 2**32 - 1)


def check_open_range(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    found = _ip_range(res)
    if found is None or found == (0, 0):  # 0.0.0.0-0.0.0.0 is Azure services: its own rule
        return
    size = found[1] - found[0] + 1
    prefix = settings["min_prefix_length"]
    if size <= 2 ** (32 - prefix):
        return
    if found == ALL_IPV4:
        detail = "the firewall rule opens the server to the whole internet"
    else:
        detail = f"the firewall rule admits {size:,} addresses, more than a /{prefix}"
    yield Violation(
        "start_ip_address", f"a range no wider than a /{prefix}", _range_text(res), detail
    )


def check_azure_services(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    if not settings["allowed"] and _ip_range(res) == (0, 0):
        yield Violation(
            "start_ip_address",
            "no 0.0.0.0-0.0.0.0 rule",
            _range_text(res),
            "the firewall admits every Azure service, in any tenant",
        )


# -- registry ---------------------------------------------------------------------------


def check_acr_admin(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    if res.attributes.get("admin_enabled") is True:
        yield Violation("admin_enabled", False, True, "the registry's admin user is enabled")


# -- Key Vault, storage, Redis ----------------------------------------------------------


def check_purge_protection(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    if res.attributes.get("purge_protection_enabled") is False:
        yield Violation(
            "purge_protection_enabled", True, False, "the vault's purge protection is off"
        )


# `TLS1_2` (storage), `1.2` (Redis): the major and minor version.
_TLS_VERSION = re.compile(r"(?:TLS)?(\d+)[._](\d+)", re.IGNORECASE)
MIN_TLS = (1, 2)


def _below_tls_floor(res: Resource, attribute: str) -> Iterator[Violation]:
    value = res.attributes.get(attribute)
    found = _TLS_VERSION.fullmatch(str(value).strip()) if _judgeable(value) else None
    if found is None:
        return
    version = (int(found[1]), int(found[2]))
    if version < MIN_TLS:
        yield Violation(
            attribute,
            f">= TLS {MIN_TLS[0]}.{MIN_TLS[1]}",
            value,
            f"clients may still connect with TLS {version[0]}.{version[1]}",
        )


def check_storage_min_tls(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _below_tls_floor(res, "min_tls_version")


def check_redis_min_tls(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    yield from _below_tls_floor(res, "minimum_tls_version")


def check_no_public_blobs(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    if res.attributes.get("allow_nested_items_to_be_public") is True:
        yield Violation(
            "allow_nested_items_to_be_public",
            False,
            True,
            "a container in the account may be opened to anonymous readers",
        )


# -- container apps ---------------------------------------------------------------------


def _members(attributes: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = attributes.get(name)
    return tuple(str(v) for v in value) if isinstance(value, tuple) else ()


def check_plain_secrets(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    allowed = {n.upper() for n in settings["allow_names"]}
    attrs = res.attributes
    for container in _members(attrs, "template.container"):
        prefix = f"template.container[{container}].env"
        for env_name in _members(attrs, prefix):
            if env_name.upper() in allowed:
                continue
            attribute = f"{prefix}[{env_name}].value"
            why = _plain_secret_reason(env_name, attrs.get(attribute))
            if why:
                yield Violation(
                    attribute,
                    "secret_name",
                    REDACTED,
                    f"env {env_name} of container {_label(container)} {why}",
                )


def _label(container: str) -> str:
    # A container named by an expression known only after apply is keyed `None` on the
    # plan side (the mapping tables key list members by str(name)).
    return "(name known after apply)" if container == "None" else container


def _plain_secret_reason(env_name: str, value: Any) -> str | None:
    """Why a plain env value is a secret, or None; the value itself is never quoted."""
    if value is None or value == "":
        return None
    if _hidden(value):
        return "is a plain value Terraform marks sensitive"
    if secret_like_name(env_name):
        # Known after apply or not, a plain value is set where a secret belongs.
        return "is a plain value, and its name says it is a secret"
    if isinstance(value, str) and not is_unknown(value) and carries_credentials(value):
        return "is a plain value that embeds credentials"
    return None


def check_min_replicas(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    replicas = _number(res.attributes.get("template.min_replicas"))
    minimum = settings["min"]
    if replicas is not None and replicas < minimum:
        yield Violation(
            "template.min_replicas",
            f">= {minimum}",
            _shown(replicas),
            f"min replicas is {_shown(replicas)}, below {minimum}",
        )


# -- web apps ---------------------------------------------------------------------------

MIN_TLS = (1, 2)


def tls_version(value: Any) -> tuple[int, ...] | None:
    """A TLS version as numbers: `1.2`, `TLS1_2` and `TLS1.2` read (1, 2); else None."""
    if not isinstance(value, str) or not _judgeable(value):
        return None
    parts = value.strip().upper().removeprefix("TLS").replace("_", ".").split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def check_web_min_tls(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    attribute = "site_config.minimum_tls_version"
    shown = res.attributes.get(attribute)
    version = tls_version(shown)
    if version is not None and version < MIN_TLS:
        yield Violation(attribute, ">= 1.2", shown, f"the web app accepts TLS {shown}")


def check_web_https_only(res: Resource, _: Mapping[str, Any]) -> Iterator[Violation]:
    if res.attributes.get("https_only") is False:
        yield Violation("https_only", True, False, "the web app answers plain HTTP")


# -- every taggable resource ------------------------------------------------------------


def check_required_tags(res: Resource, settings: Mapping[str, Any]) -> Iterator[Violation]:
    attrs = res.attributes
    if is_unknown(attrs.get("tags")) or _hidden(attrs.get("tags")):
        return
    # Azure treats tag names case-insensitively.
    present = {
        key[len("tags[") : -1].lower()
        for key, value in attrs.items()
        if key.startswith("tags[") and value not in (None, "")
    }
    missing = [t for t in settings["tags"] if t.lower() not in present]
    if missing:
        yield Violation(
            "tags",
            ", ".join(settings["tags"]),
            "missing: " + ", ".join(missing),
            "required tags missing: " + ", ".join(missing),
        )


# -- the catalogue ----------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        "pg-not-burstable",
        Severity.HIGH,
        frozenset({PG_SERVER}),
        "Burstable servers run on CPU credits and slow down sharply under sustained load.",
        check_not_burstable,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "pg-backup-retention",
        Severity.HIGH,
        frozenset({PG_SERVER}),
        "Point-in-time restore reaches back only as far as backups are kept.",
        check_backup_retention,
        (Setting("min_days", "int", 1, 35),),
        defaults={"min_days": 7},
        prod={"min_days": 30},
    ),
    Rule(
        "pg-geo-redundant-backup",
        Severity.HIGH,
        frozenset({PG_SERVER}),
        "Without geo-redundant backups a regional outage can lose the database.",
        check_geo_redundant_backup,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "pg-public-network-access",
        Severity.MEDIUM,
        frozenset({PG_SERVER}),
        "A server reachable from public networks depends on its firewall rules alone.",
        check_public_network_access,
        (Setting("allowed", "bool"),),
        defaults={"allowed": True},
    ),
    Rule(
        "pg-firewall-open-range",
        Severity.HIGH,
        frozenset({PG_FIREWALL_RULE}),
        "No single organisation's network is wider than a /8, so such a rule opens the "
        "database to strangers.",
        check_open_range,
        (Setting("min_prefix_length", "int", 0, 32),),
        defaults={"min_prefix_length": 8},
    ),
    Rule(
        "pg-firewall-azure-services",
        Severity.LOW,
        frozenset({PG_FIREWALL_RULE}),
        "0.0.0.0-0.0.0.0 admits any Azure service of any tenant, leaving the password as "
        "the only guard.",
        check_azure_services,
        (Setting("allowed", "bool"),),
        defaults={"allowed": True},
    ),
    Rule(
        "acr-admin-user-disabled",
        Severity.HIGH,
        frozenset({REGISTRY}),
        "The admin user is one shared password with push rights that no audit log ties to "
        "a person.",
        check_acr_admin,
    ),
    Rule(
        "kv-purge-protection",
        Severity.HIGH,
        frozenset({KEY_VAULT}),
        "Without purge protection a deleted vault, key or secret can be purged at once, by "
        "mistake or by an attacker, and nothing brings it back.",
        check_purge_protection,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "storage-min-tls",
        Severity.MEDIUM,
        frozenset({STORAGE_ACCOUNT}),
        "TLS 1.0 and 1.1 have known weaknesses and are being retired across Azure; an "
        "account that still accepts them lets clients keep using them.",
        check_storage_min_tls,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "storage-no-public-blobs",
        Severity.HIGH,
        frozenset({STORAGE_ACCOUNT}),
        "Once the account allows it, one container set to public serves its blobs to anyone "
        "with the URL, no credentials asked.",
        check_no_public_blobs,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "redis-min-tls",
        Severity.MEDIUM,
        frozenset({REDIS_CACHE}),
        "TLS 1.0 and 1.1 have known weaknesses and are being retired across Azure; a cache "
        "that still accepts them lets clients keep using them.",
        check_redis_min_tls,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "app-no-plain-secrets",
        Severity.HIGH,
        frozenset({CONTAINER_APP}),
        "Plain env values show in the portal, revisions and logs; secrets belong in the "
        "app's secret store (secret_name).",
        check_plain_secrets,
        (Setting("allow_names", "strings"),),
        defaults={"allow_names": ()},
    ),
    Rule(
        "app-min-replicas",
        Severity.MEDIUM,
        frozenset({CONTAINER_APP}),
        "An app scaled to zero answers its first request only after a cold start.",
        check_min_replicas,
        (Setting("min", "int", 0, 300),),
        defaults={"enabled": False, "min": 1},
        prod={"enabled": True},
    ),
    Rule(
        "webapp-https-only",
        Severity.HIGH,
        frozenset({LINUX_WEB_APP}),
        "Over plain HTTP, session cookies and tokens cross the network readable by anyone "
        "on the path.",
        check_web_https_only,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "webapp-min-tls",
        Severity.HIGH,
        frozenset({LINUX_WEB_APP}),
        "TLS 1.0 and 1.1 are deprecated (RFC 8996) and fail current compliance baselines; "
        "1.2 is the floor.",
        check_web_min_tls,
        defaults={"enabled": False},
        prod={"enabled": True},
    ),
    Rule(
        "required-tags",
        Severity.MEDIUM,
        TAGGED_TYPES,
        "Costs, ownership and isolation checks rely on every resource naming its "
        "environment and app.",
        check_required_tags,
        (Setting("tags", "strings"),),
        defaults={"tags": ("environment", "app", "managed-by")},
    ),
)

RULES_BY_ID: Mapping[str, Rule] = {rule.id: rule for rule in RULES}
