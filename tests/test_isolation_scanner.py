"""The reference scanner: tokens in one string, and the one-pass check of a whole document.

The document check may only err towards "maybe": whenever walking a document leaf by leaf
finds a reference, the check must have said the document may point elsewhere. The last
test holds it to that on documents built to be awkward (escapes, odd whitespace, keys that
are IDs, IDs inside URLs, scopes on IPv6 addresses).
"""

from __future__ import annotations

import ipaddress
import random
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest

from provisioner.analysers.isolation.owned import Index, Owned, index_of
from provisioner.analysers.isolation.references import reference_findings
from provisioner.analysers.isolation.scanner import Scanner
from provisioner.analysers.isolation.sources import EnvironmentData, Source, sources
from provisioner.analysers.isolation.tokens import (
    ARM_ID,
    GUID,
    HOST,
    IPV4,
    host_of,
    id_key,
    ip_number,
    ip_of,
)
from provisioner.model import StateResource
from provisioner.state.reader import StateDocument

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
PROD_RG = f"{SUB}/resourceGroups/rg-prod"
TEST_RG = f"{SUB}/resourceGroups/rg-test"
PROD_VAULT = f"{PROD_RG}/providers/Microsoft.KeyVault/vaults/kv-prod"
PROD_HOST = "psql-prod.postgres.database.azure.com"
PROD_PRINCIPAL = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PROD_IPV6 = "2603:1020:201:10::1f4"


def record(address: str, attributes: dict[str, Any]) -> StateResource:
    return StateResource(address, address.split(".")[0], attributes)


def environment(name: str, *records: StateResource) -> EnvironmentData:
    return EnvironmentData(name, f"{name}.tfstate", StateDocument(f"{name}.tfstate", records))


@pytest.fixture(scope="module")
def index() -> Index:
    prod = environment(
        "prod",
        record("azurerm_resource_group.rg", {"id": PROD_RG}),
        record("azurerm_key_vault.main", {"id": PROD_VAULT}),
        record("azurerm_postgresql_flexible_server.db", {
            "id": f"{PROD_RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-prod",
            "fqdn": PROD_HOST}),
        record("azurerm_user_assigned_identity.apps", {
            "id": f"{PROD_RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
            "principal_id": PROD_PRINCIPAL}),
        record("azurerm_container_app.api", {
            "id": f"{PROD_RG}/providers/Microsoft.App/containerApps/api",
            "outbound_ip_addresses": ["20.23.45.100", PROD_IPV6]}),
    )  # fmt: skip
    test = environment(
        "test",
        record("azurerm_resource_group.rg", {"id": TEST_RG}),
        record("azurerm_postgresql_flexible_server.db", {
            "id": f"{TEST_RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-test",
            "fqdn": "psql-test.postgres.database.azure.com"}),
    )  # fmt: skip
    return index_of("test", [sources(test), sources(prod)], ())


def named(scanner: Scanner, text: str) -> list[str]:
    return [
        f"{o.kind} {o.value}" + ("" if exact else " (under)") for o, exact in scanner.matches(text)
    ]


# -- tokens in one string -----------------------------------------------------------------


def test_every_kind_of_token_is_found_in_one_string_in_a_fixed_order(index: Index) -> None:
    text = (
        f"{PROD_PRINCIPAL} via https://{PROD_HOST}:5432, 20.23.45.96/28 and {PROD_VAULT}/secrets/x"
    )
    assert named(Scanner(index), text) == [
        f"resource ID {PROD_VAULT.lower()} (under)",  # IDs, hosts, IPs, then GUIDs
        f"host {PROD_HOST}",
        "IP 20.23.45.100",
        f"GUID {PROD_PRINCIPAL}",
    ]


def test_an_ipv6_address_counts_only_as_a_whole_string(index: Index) -> None:
    scanner = Scanner(index)
    assert named(scanner, f" {PROD_IPV6.upper()}%eth0 ") == [f"IP {PROD_IPV6}"]
    assert named(scanner, f"allow {PROD_IPV6}") == []


@pytest.mark.parametrize(
    "text",
    [
        "psql-prod",  # a bare name
        SUB,  # a subscription
        "westeurope",
        "20.23.45.100.7",  # a version, not an address
        f"x{PROD_PRINCIPAL}",  # a GUID inside a longer word
        "psql-prod.postgres.database.azure.com.example.com",
        "psql-test.postgres.database.azure.com",  # the target's own
        f"{TEST_RG}/providers/Microsoft.KeyVault/vaults/kv-prod",
    ],
)
def test_near_misses_name_nothing(index: Index, text: str) -> None:
    assert Scanner(index).matches(text) == ()


def test_the_microsoft_segment_of_an_id_is_not_a_host() -> None:
    zone = {"id": f"{PROD_RG}/providers/Microsoft.Network/dnsZones/z", "default_domain": "network"}
    prod = environment("prod", record("azurerm_dns_zone.main", zone))
    built = index_of("test", [sources(environment("test")), sources(prod)], ())
    assert Scanner(built).matches(f"{TEST_RG}/providers/Microsoft.Network/x/y") == ()


# -- a whole document at once -------------------------------------------------------------


def own_body() -> dict[str, Any]:
    return {
        "id": f"{TEST_RG}/providers/Microsoft.App/containerApps/api",
        "tags": {"environment": "test", "hidden-link:/app": "Resource"},
        "properties": {
            "env": [
                {"name": "DB", "value": "psql-test.postgres.database.azure.com"},
                {"name": "VERSION", "value": "20.23.45.100.7"},
                {"name": "NOTE", "value": 'said "hi"\n\tthen left'},
                {"name": "GREETING", "value": "Grüße – café"},
            ],
            "scale": {"minReplicas": 0, "maxReplicas": 3.5, "enabled": True, "rules": None},
        },
    }


def test_a_document_of_its_own_references_is_quiet(index: Index) -> None:
    scanner = Scanner(index)
    assert scanner.may_point_elsewhere(own_body()) is False
    assert scanner.may_point_elsewhere(own_body()) is False  # and again, from the cache


def found_in(index: Index, body: Any) -> list[str]:
    """The attributes of `body` the analyser reports, scanned as it scans the target's."""
    source = Source("test", "Azure", body["id"].lower(), body["id"], None, None, frozenset(), body)
    return [f.attribute or "" for f in reference_findings([source], Scanner(index))]


@pytest.mark.parametrize(
    ("change", "attribute"),
    [
        (lambda b: b["properties"]["env"].append({"value": f"https://{PROD_HOST}"}),
         "properties.env.4.value"),
        (lambda b: b.update(identity={"userAssignedIdentities": {PROD_VAULT.upper(): {}}}),
         "identity.userAssignedIdentities"),
        (lambda b: b["tags"].update(note=f'see "{PROD_HOST}"\nplease'), "tags.note"),
        (lambda b: b["tags"].update(note=f"line\n{PROD_HOST}"), "tags.note"),
        (lambda b: b["tags"].update(scope=f"{PROD_IPV6}%eth0"), "tags.scope"),
        (lambda b: b["tags"].update(scope=f'{PROD_IPV6}%"'), "tags.scope"),
        (lambda b: b["tags"].update(owner=PROD_PRINCIPAL.upper()), "tags.owner"),
        # escapes the one-pass check cannot see through: the document is walked instead
        (lambda b: b["tags"].update(share=f"\\\\{PROD_HOST}\\share"), "tags.share"),
        (lambda b: b["tags"].update(bell=f"\x07{PROD_HOST}"), "tags.bell"),
        (lambda b: b["tags"].update(bs=f"\x08{PROD_HOST}"), "tags.bs"),
        # a range that admits prod's IP, though neither end is one
        (lambda b: b["properties"].update(startIpAddress="20.23.45.0", endIpAddress="20.23.45.255"),
         "properties.startIpAddress"),
        (lambda b: b.update(extra=MappingProxyType({"db": PROD_HOST})), "extra.db"),
    ],
    ids=["value", "map key", "behind quotes", "after a newline", "ipv6 with a scope",
         "ipv6 with a quote for a scope", "guid", "backslashes", "bell", "backspace", "range",
         "not plain json"],
)  # fmt: skip
def test_a_reference_anywhere_in_a_document_is_found(
    index: Index, change: Any, attribute: str
) -> None:
    body = own_body()
    assert found_in(index, body) == []
    change(body)
    assert found_in(index, body) == [attribute]


TOKENS = [
    PROD_HOST, PROD_HOST.upper() + ".", PROD_VAULT, PROD_VAULT.lower() + "/secrets/s",
    PROD_PRINCIPAL,
    "20.23.45.100", "20.23.45.96/30", PROD_IPV6, f"https://{PROD_HOST}:5432/db", "psql-prod",
    "psql-test.postgres.database.azure.com", f"{TEST_RG}/providers/X/y/z", SUB, "10.0.0.0/8",
    f"x{PROD_PRINCIPAL}", "20.23.45.100.7", "startIp", "end_ip",
]  # fmt: skip
JOINS = [
    "", " ", "\n", "\t", '"', "\\", "/", ".", "-", "%", "%eth0", "@", "=", "?", ";", ",", ":",
    "\u00a0", "\u2028", "\x0b", "\x1c", "\x08", "é", "ſ", "K",
]  # fmt: skip


def awkward(rng: random.Random, depth: int = 0) -> Any:
    """A document of strings joined from tokens, in places a reference can hide."""
    text = "".join(rng.choice(TOKENS) + rng.choice(JOINS) for _ in range(rng.randint(1, 3)))
    if depth > 2 or rng.random() < 0.3:
        return rng.choice([text, text, text, 7, None, True, 1.5])
    if rng.random() < 0.3:
        return [awkward(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    return {
        rng.choice(["name", "value", text, "endIp"]): awkward(rng, depth + 1)
        for _ in range(rng.randint(1, 4))
    }


def test_the_document_check_never_hides_what_the_walk_finds(index: Index) -> None:
    rng = random.Random(15)  # noqa: S311 - reproducible documents, not secrets
    flagged = quiet = 0
    scanner = Scanner(index)
    for i in range(600):
        doc = {"id": f"{TEST_RG}/providers/X/y/d{i}", "properties": awkward(rng)}
        source = Source("test", "Azure", doc["id"].lower(), doc["id"], None, None, frozenset(), doc)
        walked = reference_findings([source], _Always(index))
        if scanner.may_point_elsewhere(doc):
            flagged += 1
        else:
            quiet += 1
            assert walked == [], doc
    assert flagged > 100 and quiet > 100  # both answers were put to the test


class _Always(Scanner):
    """A scanner that walks every document: the reference the fast check is held to."""

    def may_point_elsewhere(self, doc: Any) -> bool:
        return True


# -- the shortcuts, held to the plain reading ---------------------------------------------


def plain_hits(index: Index, text: str) -> list[tuple[str, str, bool]]:
    """What `text` names, read the plain way: every pattern on the whole text, every IP
    through `ipaddress`, no test first of whether a token could be there."""
    found: list[tuple[Owned, bool]] = []
    ids = ARM_ID.findall(text)
    for token in ids:
        owners, exact = index.resolve_id(token)
        found += [(o, exact) for o in owners]
    scrubbed = ARM_ID.sub(" ", text)
    for token in HOST.findall(scrubbed):
        found += [(o, True) for o in index.resolve_host(token)]
    for address, prefix in IPV4.findall(scrubbed):
        try:
            net = ipaddress.ip_network(f"{address}/{prefix or 32}", strict=False)
        except ValueError:
            continue
        found += [(o, True) for o in index.resolve_network(net[0], net[-1])]
    whole = ip_of(text)  # IPv6 only as the whole string
    if isinstance(whole, ipaddress.IPv6Address):
        found += [(o, True) for o in index.resolve_network(whole, whole)]
    for token in GUID.findall(scrubbed):
        found += [(o, True) for o in index.resolve_guid(token)]
    return [(o.kind, o.value, exact) for o, exact in found]


AWKWARD = [*JOINS, "İ", "ı", "Σ", "\u0307", "_", "1", "0", "256", "/24", "/33", ":443", "://"]


def test_the_scanner_names_what_the_plain_reading_names(index: Index) -> None:
    rng = random.Random(16)  # noqa: S311 - reproducible text, not secrets
    pieces = [*TOKENS, PROD_HOST.replace("s", "ſ"), PROD_VAULT.replace("s", "ſ", 1),
              PROD_HOST.upper(), "20.23.45.100/30", "20.23.045.1", f"{PROD_IPV6}%eth0",
              "https://user@" + PROD_HOST, "kv-prod.vault.azure.net"]  # fmt: skip
    named = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(AWKWARD) for _ in range(rng.randint(1, 3)))
        text = text if rng.random() < 0.8 else text.strip()
        found = [(o.kind, o.value, exact) for o, exact in Scanner(index).matches(text)]
        assert found == plain_hits(index, text), text
        named += bool(found)
    assert named > 1000


@pytest.mark.parametrize(
    "raw",
    [f"{PROD_RG}/providers/X/y/z", f"{PROD_RG}/", f" {PROD_RG}\u2028", f"{SUB}//resourceGroups/rg",
     "/Subscriptions/x/resourceGroups/rg", "/subscriptions/x/rg", "subscriptions/x/y/z", "/", ""],
)  # fmt: skip
def test_an_id_key_is_the_id_cleaned_and_lower_cased(raw: str) -> None:
    parts = [p for p in raw.strip().split("/") if p]
    plain = (
        "/" + "/".join(parts).lower()
        if len(parts) >= 4 and parts[0].lower() == "subscriptions"
        else None
    )
    assert id_key(raw) == plain


def test_addresses_and_hosts_read_as_ipaddress_and_urlsplit_read_them() -> None:
    rng = random.Random(17)  # noqa: S311 - reproducible text, not secrets
    octets = ["0", "00", "1", "01", "255", "256", "1000", "", "٣", "a", " "]
    for _ in range(5000):
        text = ".".join(rng.choice(octets) for _ in range(rng.randint(3, 5)))
        text = rng.choice(["", " ", "::1", "fe80::1%"]) + text + rng.choice(["", " ", "%x"])
        ip = ip_of(text)
        assert ip_number(text) == ((ip.version, int(ip)) if ip else None), text
    parts = ["https://", "HTTP://", "x+y://", "1://", "a", "B.", "b.io", "-", "@", "[::1]",
             ":", "443", "/", "?q", "#f", " ", "\t", "é", "_"]  # fmt: skip
    for _ in range(5000):
        url = "".join(rng.choice(parts) for _ in range(rng.randint(2, 7)))
        try:
            name = urlsplit(url.strip()).hostname or "" if "://" in url else url.strip()
        except ValueError:
            assert host_of(url) is None, url
            continue
        name = name.rstrip(".").lower()
        assert host_of(url) == (name if HOST.fullmatch(name) else None), url
