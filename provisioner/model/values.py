"""Attribute values as the model holds them, with secrets kept out of every output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

REDACTED = "***"

# scheme://user:password@host  ->  scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)")
# Password=...; / pwd=... in ADO.NET / libpq key-value connection strings
_KV_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|pwd|passwd|secret|accountkey|sharedaccesskey)\s*=\s*)"
    r"(?:'[^']*'|\"[^\"]*\"|[^;\s]+)",
    re.IGNORECASE,
)


def redact_text(text: str) -> str:
    """Replace passwords embedded in connection strings or URLs with `***`."""
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
