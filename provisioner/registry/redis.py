"""Microsoft.Cache: Azure Cache for Redis.

azurerm writes its own value for what the cache's GET leaves out (its read): minimum TLS
1.2, public network access on, the non-SSL port off; the same defaults stand in here.
The access keys and the connection strings built from them come only from the listKeys
POST, which azprov never sends: they are in the state (sensitive) and never compared.
"""

from __future__ import annotations

from provisioner.model import Severity
from provisioner.registry import convert as c
from provisioner.registry._common import LOCATION, PUBLIC_NETWORK_ACCESS, TAGS
from provisioner.registry.spec import Attr, TypeSpec

HIGH = Severity.HIGH

REDIS_CACHE = TypeSpec(
    tf_type="azurerm_redis_cache",
    arm_type="Microsoft.Cache/redis",
    api_version="2024-11-01",
    attributes=(
        LOCATION,
        Attr("sku_name", "sku_name", "properties.sku.name", canon=c.caseless),
        Attr("family", "family", "properties.sku.family", canon=c.caseless),
        Attr("capacity", "capacity", "properties.sku.capacity", kind=int),
        Attr(
            "minimum_tls_version",
            "minimum_tls_version",
            "properties.minimumTlsVersion",
            default="1.2",
            severity=HIGH,
        ),
        Attr(
            "non_ssl_port_enabled",
            "non_ssl_port_enabled",
            "properties.enableNonSslPort",
            kind=bool,
            default=False,
            severity=HIGH,
        ),
        PUBLIC_NETWORK_ACCESS,
        # Where clients connect: Azure's, read for the isolation check, never drift.
        Attr("hostname", "hostname", "properties.hostName", compare=False),
        Attr("port", "port", "properties.port", kind=int, compare=False),
        Attr("ssl_port", "ssl_port", "properties.sslPort", kind=int, compare=False),
        TAGS,
    ),
)

TYPES = (REDIS_CACHE,)
