"""What azprov never shows, in one vocabulary: secrets, and text that could forge output.

Everything that leaves azprov passes through here: values Terraform marks sensitive
(`Sensitive`), keys whose values are secrets wherever they appear (`is_secret_key`),
names that say a value is a secret (`secret_like_name`), secrets inside free text
(`redact_text`: passwords in URLs and connection strings, SAS signatures, GitHub tokens,
JWTs, bearer tokens, private keys), and terminal control characters in text from Azure or
from files (`clean_text`), which could clear the screen, set the title, plant links or
forge a verdict line. `sanitize_text` does both for one line of display.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

REDACTED = "***"

# scheme://user:password@host -> scheme://user:***@host; the password runs to the last `@`
# of the authority, so a password holding `@` is hidden whole.
_IN_URL = r"(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^\s/?#]*(?=@)"
# Password=...; / pwd=... in ADO.NET / libpq key-value connection strings, and
# token=/sig=/code=/key=... in URL query strings (SAS tokens, function keys, webhooks).
_IN_KEY_VALUES = (
    r"(?P<kv>\b(?:password|pwd|passwd|secret|client_secret|accountkey|sharedaccesskey"
    r"|sharedaccesssignature|sig|token|access_token|code|apikey|api_key|key)\s*=\s*)"
    r"(?:'[^']*'|\"[^\"]*\"|[^;&\s]+)"
)
_BEARER = r"(?P<bearer>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}"
_GITHUB = r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"
_JWT = r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
_PRIVATE_KEY = r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
_SECRETS_IN_TEXT = re.compile(
    "|".join([_IN_URL, _IN_KEY_VALUES, _BEARER, _GITHUB, _JWT, _PRIVATE_KEY]),
    re.IGNORECASE | re.DOTALL,
)


def _redact_match(match: re.Match[str]) -> str:
    head = match["url"] or match["kv"] or match["bearer"] or ""
    return head + REDACTED


# What every pattern above needs to match, lower-cased: a text holding none of these cannot
# hold a secret, and most of a body's strings (names, SKUs, locations, IDs) do not.
_NEEDED = ("=", "://", "bearer", "basic", "gh", "github_pat_", "eyj", "-----begin")


@lru_cache(maxsize=65536)
def redact_text(text: str) -> str:
    """Replace secrets embedded in free text (connection strings, URLs, tokens) with `***`."""
    # Only ASCII text is screened: Unicode case folding can match more than `lower()` finds.
    if text.isascii():
        folded = text.lower()
        if not any(needed in folded for needed in _NEEDED):
            return text
    return _SECRETS_IN_TEXT.sub(_redact_match, text)


# C0 and C1 control characters, DEL, and the Unicode controls that reorder or hide text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in "\t\n\r":
        return " "  # a line of its own could pass for one of azprov's
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(text: str) -> str:
    """`text` on one line, every other control character shown as an escape (`\\x1b`)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def sanitize_text(text: str) -> str:
    """One string from Azure or a file, fit to print: secrets redacted, controls escaped."""
    return clean_text(redact_text(text))


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


# -- names that say a value is a secret ----------------------------------------------------

# Tokens of a name that say it holds a secret (`DB_PASSWORD`, `apiKey`, `PGPASS`).
_SECRET_TOKENS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN",
        "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS", "DSN", "CONNSTR", "CONNECTIONSTRING",
        "SAS", "PRIVATEKEY", "CLIENTSECRET", "JWT", "COOKIE", "KUBECONFIG", "ACCESSKEY",
        "SHAREDKEY", "ACCOUNTKEY", "CERTIFICATE",
    }
)  # fmt: skip
# In a document's keys these still say "secret" glued inside a longer word (`adminpassword`,
# `sastoken`, `primarysharedkey`, `api_keys`); the short ones (`KEY`, `PASS`, `SAS`) only as
# words of their own, as `monkey`, `bypass` and `kansas` show.
_GLUED_SECRET_WORDS = (
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "CONNECTIONSTRING",
    "PRIVATEKEY", "ACCESSKEY", "SHAREDKEY", "ACCOUNTKEY", "APIKEY",
)  # fmt: skip
_SECRET_PHRASES = (
    ("DATABASE", "URL"),
    ("DB", "URL"),
    ("CONNECTION", "STRING"),
    ("CONN", "STR"),
    ("KUBE", "CONFIG"),
    ("INSTRUMENTATION", "KEY"),
    ("KUBE", "ADMIN"),
)
# KEY next to these names something public (a public key, a Key Vault's name or URL).
_PUBLIC_KEY_NEIGHBOURS = frozenset({"PUBLIC", "VAULT", "ID", "NAME", "URL", "URI", "VERSION"})
# A last token that makes the name describe a secret rather than hold it (`secret_name`,
# `key_vault_secret_id`, `secretRef`, `password_auth_enabled`, `keyVaultUrl`).
_DESCRIBING = frozenset(
    {
        "NAME", "NAMES", "ID", "IDS", "REF", "URL", "URI", "TYPE", "MODE", "AUTH", "ENABLED",
        "DISABLED", "POLICY", "VERSION", "EXPIRY", "EXPIRATION", "SOURCE", "LENGTH", "COUNT",
        "STORE", "PERMISSIONS", "ACCESS", "ROTATION", "HASH", "IDENTIFIER", "SIZE", "OPS",
        "ENDPOINT", "SETTINGS", "PROPERTIES",
    }
)  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=8192)
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in _NON_ALNUM.split(_CAMEL.sub("_", name).upper()) if t)


def secret_like_name(name: str) -> bool:
    """Whether an env var's or a key's name says it holds a secret (`DATABASE_URL`, `apiKey`)."""
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


# Keys Azure computes that azurerm marks sensitive although their names do not say so.
_SENSITIVE_KEYS = frozenset({"CUSTOMDOMAINVERIFICATIONID"})


def describes_secret(key: str) -> bool:
    """Whether a key's last word says it names, locates or configures a secret rather than
    holding one (`secret_name`, `key_vault_secret_id`, `secretRef`, `keyVaultUrl`)."""
    tokens = _tokens(key)
    return bool(tokens) and tokens[-1] in _DESCRIBING


@lru_cache(maxsize=8192)
def is_secret_key(key: str) -> bool:
    """Whether a document key's value is a secret wherever it appears.

    `administratorLoginPassword`, `primarySharedKey`, `connection_string`, `STRIPE_KEY`,
    `adminpassword`: yes. Keys that name, locate or configure a secret (`secret_name`,
    `key_vault_secret_id`, `secretRef`, `passwordAuth`, `keyVaultUrl`): no.
    """
    tokens = _tokens(key)
    joined = "".join(tokens)
    if joined in _SENSITIVE_KEYS:
        return True
    if not tokens or describes_secret(key):
        return False
    return secret_like_name(key) or any(word in joined for word in _GLUED_SECRET_WORDS)


def carries_credentials(value: str) -> bool:
    """Whether a plain value embeds credentials (`postgres://user:pass@host`, `Password=`)."""
    return redact_text(value) != value or REDACTED in value


def redact_body(value: Any, secret_context: bool = False) -> Any:
    """Copy an ARM body with its secrets replaced by `***`, keeping its shape.

    A key in the vocabulary hides its string value; under such a key (`secrets: [...]`) a
    member's `value` is hidden too, and so is the value of anything referring to Key
    Vault. Passwords and tokens inside other strings are redacted where they sit.
    """
    # Exact type checks first: every body is decoded JSON, and this runs on each of its
    # nodes, where an ABC isinstance check costs more than the rest of the work.
    kind = type(value)
    if kind is str:
        return redact_text(value)
    if kind is list:
        return [redact_body(v, secret_context) for v in value]
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, Any] = {}
        hide_value = secret_context or "secretRef" in value or "keyVaultUrl" in value
        for key, sub in value.items():
            secret = is_secret_key(str(key))
            if sub is None or sub == "":
                out[key] = sub
            elif (hide_value and key == "value") or (secret and isinstance(sub, str)):
                out[key] = REDACTED
            elif type(sub) is str:
                out[key] = redact_text(sub)
            else:
                out[key] = redact_body(sub, secret and isinstance(sub, list | dict))
        return out
    if isinstance(value, str):  # a str subclass
        return redact_text(value)
    if isinstance(value, list):
        return [redact_body(v, secret_context) for v in value]
    return value


class _Unreadable:
    """A value present in a document but not of the kind its attribute declares."""

    _instance: _Unreadable | None = None

    def __new__(cls) -> _Unreadable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(unreadable)"

    __str__ = __repr__


# Never equal to a real value; drift and policy treat it as "not known", never as a change.
UNREADABLE: Final = _Unreadable()
