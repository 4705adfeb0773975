"""Attribute values as the model holds them, with secrets kept out of every output."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

REDACTED = "***"

# scheme://user:password@host  ->  scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)")
# Password=...; / pwd=... in ADO.NET / libpq key-value connection strings
# and token=/sig=/code=/key=... in URL query strings (SAS tokens, function keys, webhooks)
_KV_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|pwd|passwd|secret|client_secret|accountkey|sharedaccesskey"
    r"|sharedaccesssignature|sig|token|access_token|code|apikey|api_key|key)\s*=\s*)"
    r"(?:'[^']*'|\"[^\"]*\"|[^;&\s]+)",
    re.IGNORECASE,
)


def redact_text(text: str) -> str:
    """Replace passwords embedded in connection strings or URLs with `***`."""
    if "@" not in text and "=" not in text:  # neither pattern can match: the common case
        return text
    text = _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)
    return _KV_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)


@dataclass(frozen=True)
class Sensitive:
    """A value Terraform marks sensitive. Only its fingerprint is kept; it prints as `***`."""

    fingerprint: int

    @classmethod
    def of(cls, value: Any) -> Sensitive:
        return cls(hash(repr(value)))

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return REDACTED


def redact_value(value: Any) -> Any:
    """Make a normalized value safe to print, recursively."""
    if isinstance(value, Sensitive):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


# Tokens of an env var name that say it holds a secret (`DB_PASSWORD`, `apiKey`, `PGPASS`).
_SECRET_TOKENS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "DSN",
        "CONNSTR",
        "CONNECTIONSTRING",
        "SAS",
        "PRIVATEKEY",
        "CLIENTSECRET",
        "JWT",
        "COOKIE",
    }
)
_SECRET_PHRASES = (("DATABASE", "URL"), ("DB", "URL"), ("CONNECTION", "STRING"), ("CONN", "STR"))
# KEY next to these names something public (a public key, a Key Vault's name or URL).
_PUBLIC_KEY_NEIGHBOURS = frozenset({"PUBLIC", "VAULT", "ID", "NAME", "URL", "URI"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# user:password@ in a URL; Password=/AccountKey=/SharedAccessKey=/sig= in a connection string.
# Both still match once the password itself has been redacted to `***`.
_URL_CREDENTIALS = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:[^@\s/]+@")
_KV_CREDENTIALS = re.compile(
    r"\b(?:password|pwd|passwd|accountkey|sharedaccesskey|sig)\s*=", re.IGNORECASE
)


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^A-Z0-9]+", _CAMEL.sub("_", name).upper()) if t]


def secret_like_name(name: str) -> bool:
    """Whether an env var's name says it holds a secret (`DATABASE_URL`, `GEMINI_API_KEY`)."""
    tokens = _tokens(name)
    for i, token in enumerate(tokens):
        if token == "KEY":  # noqa: S105 - a word of a variable name, not a password
            neighbours = set(tokens[max(i - 1, 0) : i]) | set(tokens[i + 1 : i + 2])
            if neighbours & _PUBLIC_KEY_NEIGHBOURS:
                continue
            return True
        if token in _SECRET_TOKENS:
            return True
    pairs = set(itertools.pairwise(tokens))
    return any(phrase in pairs for phrase in _SECRET_PHRASES)


def carries_credentials(value: str) -> bool:
    """Whether a plain value embeds credentials (`postgres://user:pass@host`, `Password=`)."""
    return bool(_URL_CREDENTIALS.search(value) or _KV_CREDENTIALS.search(value))
