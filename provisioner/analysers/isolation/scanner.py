"""Finding references to other environments in text, touching each distinct string once.

`Scanner.matches` tokenizes one string (a leaf or a map key) into ARM IDs, host names,
IPv4 addresses or networks, a whole-string IPv6 address, and GUIDs, and resolves each token
against the owned index. Its answer depends on the string alone, so it is cached.

Most documents point nowhere else, and walking every leaf of every one of them in Python
is what made the analyser slow. `Scanner.may_point_elsewhere` decides that for a whole
document at once: it serializes the document with the C JSON encoder, which lists every key
and string leaf between quotes, and resolves each string the run has not seen before
(strings too short and plain to hold a token are passed over by the regex that lists them). No
token contains a quote or whitespace (the characters JSON escapes inside a string), so the
strings of the serialized text hold exactly the tokens of the document's strings. The
answer errs only towards "maybe": a document is walked leaf by leaf, to say where each
reference is, only when one of its strings points at another environment, when it holds a
`start…ip…` key (a firewall pair, checked as a range by the walk), or when it is not plain
JSON.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from provisioner.analysers.isolation.owned import Index, Owned
from provisioner.analysers.isolation.tokens import (
    ARM_ID,
    GUID,
    GUID_LENGTH,
    HOST,
    IPV4,
    ip_of,
)

Hit = tuple[Owned, bool]  # an owned identifier a token names, and whether it names it exactly

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
# JSON's escapes of characters that end every token (a quote, whitespace), and so may stand
# for any other character that does. Any other escape (a backslash, a control character)
# sends the document to the walk.
_NEUTRAL_ESCAPES = ('\\"', "\\n", "\\r", "\\t", "\\f")
# One whole string of the serialized text per match, so matches stay aligned on its quotes.
# A string is captured unless it is too short for a GUID and has no `.`, `/` or `:` (every
# host and IPv4 address has a dot, every ID a slash, every IPv6 address a colon) and no `p`
# (every `start…ip…` key has one); the rest come back empty.
_CANDIDATE = re.compile(rf'"(?:[^"./:pP]{{0,{GUID_LENGTH - 1}}}"|([^"]*)")')
_IPV6_SHAPE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def starts_ip_pair(key: str) -> bool:
    """Whether `key` reads as the start of a `start…ip…`/`end…ip…` pair."""
    low = key.lower().replace("_", "")
    return "start" in low and "ip" in low


class Scanner:
    """Resolves the strings of the target's documents against the owned index."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._hits: dict[str, tuple[Hit, ...]] = {}
        self._quiet: set[str] = {""}  # strings known to point nowhere else
        self._ipv6 = index.has_ipv6()

    def matches(self, text: str) -> tuple[Hit, ...]:
        """The other environments' identifiers `text` names, in the order it names them."""
        hits = self._hits.get(text)
        if hits is None:
            hits = self._hits[text] = tuple(self._resolve(text, whole=True))
        return hits

    def may_point_elsewhere(self, doc: Mapping[str, Any]) -> bool:
        """False only if no key or string leaf of `doc` can point at another environment."""
        try:
            text = _ENCODER.encode(doc)
        except (TypeError, ValueError, RecursionError):
            return True  # not plain JSON: the walk decides
        if "\\" in text:
            if "\\\\" in text or "\\u" in text or "\\b" in text:
                return True
            for escape in _NEUTRAL_ESCAPES:
                text = text.replace(escape, " ")
        strings = set(_CANDIDATE.findall(text))
        strings -= self._quiet
        for string in strings:
            if starts_ip_pair(string) or self._points(string):
                return True
            self._quiet.add(string)
        return False

    def _points(self, text: str) -> bool:
        """Whether `text`, a document's string with quotes and whitespace made spaces, points
        at another environment (as the string leaf or key it stands for would)."""
        if self._ipv6 and ":" in text:
            # as a leaf, the test is on the whole string, which may end in a scope (`%eth0`)
            ip = _ipv6_of(text.partition("%")[0])
            if ip is not None and self.index.resolve_network(ip, ip):
                return True
        return bool(self._resolve(text, whole=False))

    def _resolve(self, text: str, whole: bool) -> list[Hit]:
        """Hits of every token of `text`; of the whole of it as an IPv6 address if `whole`."""
        index, found = self.index, list[Hit]()
        scrubbed = text
        if "/" in text:  # every ARM ID has one
            whole_id = ARM_ID.fullmatch(text) is not None  # the common case, and one pass
            for token in [text] if whole_id else ARM_ID.findall(text):
                owners, exact = index.resolve_id(token)
                found += [(o, exact) for o in owners]
            # an ID's `Microsoft.App` segment is no host
            scrubbed = " " if whole_id else ARM_ID.sub(" ", text)
        if "." in scrubbed:  # every host and IPv4 address has one
            for token in HOST.findall(scrubbed):
                found += [(o, True) for o in index.resolve_host(token)]
            for ip_text, prefix in IPV4.findall(scrubbed):
                try:
                    net = ipaddress.ip_network(f"{ip_text}/{prefix or 32}", strict=False)
                except ValueError:
                    continue
                found += [(o, True) for o in index.resolve_network(net[0], net[-1])]
        if whole and ":" in text and (ip6 := _ipv6_of(text)) is not None:
            found += [(o, True) for o in index.resolve_network(ip6, ip6)]
        if len(scrubbed) >= GUID_LENGTH and "-" in scrubbed:
            for token in GUID.findall(scrubbed):
                found += [(o, True) for o in index.resolve_guid(token)]
        return found


def _ipv6_of(text: str) -> ipaddress.IPv6Address | None:
    """`text` as an IPv6 address (a scope allowed), or None; most text fails the cheap test."""
    if not _IPV6_SHAPE.fullmatch(text.strip().partition("%")[0]):
        return None
    ip = ip_of(text)
    return ip if isinstance(ip, ipaddress.IPv6Address) else None
