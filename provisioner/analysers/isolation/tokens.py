"""The shapes of identifiers in text: ARM IDs, host names, IPv4 addresses and networks, GUIDs.

Every piece of the isolation analyser reads text with these patterns, so an owned value, a
reference and a value shown in a finding are all recognised the same way.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Characters that end an ARM ID (besides `/`, which separates its segments). No token of any
# kind contains one, so text split at them keeps every token whole (see scanner.py).
ID_END = r"\s\"'<>;,?#&|"
ARM_ID = re.compile(rf"/subscriptions/[^/{ID_END}]+(?:/[^/{ID_END}]+)*", re.I)
HOST = re.compile(
    r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62})(?![\w-])", re.I
)
IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?(?!\w|\.\d)")
GUID = re.compile(
    r"(?<![\w-])[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}(?![\w-])", re.I
)
GUID_LENGTH = 36
# A URL whose host is plain (no user, brackets, whitespace or odd port): its host is group 1.
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]\S*)?")


def id_key(raw: str) -> str | None:
    """`raw` as a lower-case ID key, or None when it is not a resource-group-deep ARM ID."""
    clean = raw.startswith("/subscriptions/") and "//" not in raw and raw[-1] != "/"
    if clean and not raw[-1].isspace():  # as almost every ID is: its key is it in lower case
        return raw.lower() if raw.count("/") >= 4 else None
    parts = [p for p in raw.strip().split("/") if p]
    if len(parts) < 4 or parts[0].lower() != "subscriptions":
        return None
    return "/" + "/".join(parts).lower()


def host_of(raw: str) -> str | None:
    """The host name `raw` is or (as a URL) names, lower case; None if it names none."""
    text = raw.strip()
    if "://" in text:
        plain = _PLAIN_URL.fullmatch(text)  # as urlsplit reads it, and ten times faster
        try:
            text = plain.group(1) if plain else urlsplit(text).hostname or ""
        except ValueError:
            return None
    text = text.rstrip(".").lower()
    return text if HOST.fullmatch(text) else None


def ip_of(raw: str) -> Address | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def ip_number(raw: str) -> tuple[int, int] | None:
    """(IP version, address as an integer) of what `ip_of` reads in `raw`, or None. An IPv4
    address (almost every one met) is read here: `ipaddress` is slow to make objects."""
    text = raw.strip()
    if ":" in text:  # IPv6, or nothing
        ip = ip_of(text)
        return (ip.version, int(ip)) if ip is not None else None
    number = ipv4_number(text)
    return (4, number) if number is not None else None


def ipv4_number(text: str) -> int | None:
    """Dotted-quad `text` as an integer, refused where `ipaddress.IPv4Address` refuses it
    (an octet empty, not ASCII digits, longer than 3, above 255, or with a leading zero)."""
    octets = text.split(".")
    if len(octets) != 4:
        return None
    number = 0
    for octet in octets:
        if not (octet.isascii() and octet.isdigit()) or len(octet) > 3:
            return None
        if octet[0] == "0" and len(octet) > 1:
            return None
        value = int(octet)
        if value > 255:
            return None
        number = number << 8 | value
    return number
