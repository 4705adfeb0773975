"""What an isolation finding may show of the value that points elsewhere.

A value is shown as far as it says *where* it points: host, port, database, user. A password,
key or token inside it becomes `***`; a value that cannot be taken apart safely is `***` as
a whole. Which attribute names hold secrets and which key=value keys are safe to show is
decided by `secret_name` and `safe_key` alone; `secret_name` asks azprov's one vocabulary of
secret names (`provisioner.model.redaction`).
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qsl, urlsplit

from provisioner.analysers.isolation.tokens import ARM_ID, HOST, ip_of
from provisioner.model import REDACTED, is_secret_key, redact_text

# Connection-string keys and URL query keys whose values say where, not how to get in.
_SAFE_KEYS = frozenset(
    {
        "host", "hostname", "server", "datasource", "address", "addr", "port", "database",
        "dbname", "initialcatalog", "userid", "uid", "user", "username", "sslmode", "ssl",
        "encrypt", "endpoint", "accountname", "defaultendpointsprotocol", "endpointsuffix",
        "applicationname", "application_name", "connect_timeout", "target_session_attrs",
    }
)  # fmt: skip


def secret_name(name: str) -> bool:
    """Whether an attribute called `name` holds a secret (`administrator_password`, not
    `secret_name`, which only says which secret)."""
    return is_secret_key(name)


def safe_key(key: str) -> bool:
    """Whether a connection-string or query key's value says where rather than how to get in."""
    return key.strip().lower().replace(" ", "") in _SAFE_KEYS


def is_secret(path: tuple[str, ...], sensitive: Collection[str]) -> bool:
    """Whether the attribute at `path` is marked sensitive, or lies under a secret's name."""
    dotted = [".".join(path[:n]) for n in range(1, len(path) + 1)]
    if any(d in sensitive for d in dotted):
        return True
    return any(secret_name(p) for p in path if not p.isdigit())


def shown(text: str, path: tuple[str, ...], sensitive: Collection[str]) -> str:
    """`text`, found at `path`, as a finding may show it."""
    # Anything that can carry a credential (userinfo, key=value pairs, a query string)
    # is shown only as far as it says where it points.
    if is_secret(path, sensitive) or any(char in text for char in "@=?"):
        return masked(text)
    return redact_text(text)


def masked(text: str) -> str:
    """A secret value shown only as far as it says where it points."""
    value = text.strip()
    if ARM_ID.fullmatch(value) or HOST.fullmatch(value) or ip_of(value):
        return value  # a bare ID, host or IP is an address, not a secret
    if "://" in value:
        return _masked_url(value)
    if "=" in value:
        return _masked_pairs(value)
    return REDACTED


def _masked_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        return REDACTED
    if not host:
        return REDACTED
    user = ""
    if parts.password is not None:
        user = f"{parts.username}:{REDACTED}@"
    elif parts.username is not None:
        user = f"{REDACTED}@"  # a lone user part is often a token
    netloc = f"{user}{host}" + (f":{port}" if port else "")
    # The path names the database of a connection URL or the secret of a Key Vault reference;
    # elsewhere (webhooks) it can be the credential itself.
    keep_path = parts.password is not None or host.endswith(".vault.azure.net")
    path = parts.path if keep_path or parts.path in ("", "/") else f"/{REDACTED}"
    query = "&".join(
        f"{k}={v if safe_key(k) else REDACTED}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _masked_pairs(value: str) -> str:
    separator = ";" if ";" in value else " "
    kept = []
    for part in value.split(separator):
        if not part.strip():
            kept.append(part)
            continue
        key, eq, sub = part.partition("=")
        kept.append(f"{key}={sub}" if eq and safe_key(key) else f"{key}={REDACTED}")
    return separator.join(kept)
