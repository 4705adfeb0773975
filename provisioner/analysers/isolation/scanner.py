"""Finding references to other environments in text, touching each distinct string once.

`Scanner.matches` tokenizes one string (a leaf or a map key) into ARM IDs, host names,
IPv4 addresses or networks, a whole-string IPv6 address, and GUIDs, and resolves each token
against the owned index. Its answer depends on the string alone, so it is cached. A pattern
runs only where its token can be: each needs a character (a `/`, a dot, a colon) or a length
a cheap test in C finds first, and a token names another environment only if the text holds
one of its resource groups (IDs) or one of its words (a host's or domain's first label, a
GUID), known from the index. Most strings are passed over by these tests alone.

Most documents point nowhere else, and walking every leaf of every one of them (building
each leaf's attribute path) is what made the analyser slow. `Scanner.may_point_elsewhere`
decides that for a whole document at once: it gathers the document's keys and string leaves
(the objects themselves, no copies) and, since most strings repeat across documents (tags,
locations, SKUs, the IDs a state record and its Azure body share), looks each up in one set
of strings known to point nowhere (in C); only the strings it has not seen before are
resolved.
`start…ip…`/`end…ip…` pairs (firewall rules) are checked as ranges where they are. A
document is walked leaf by leaf, to say where each reference is, only when one of its
strings or ranges points at another environment, or when it is not plain JSON (a tuple,
another kind of mapping, a subclass of str: the walk knows those). The check errs only
towards walking: it reads the two ends of a pair as strings as well.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import filterfalse
from typing import Any

from provisioner.analysers.isolation.owned import Index, Kind, Owned
from provisioner.analysers.isolation.tokens import (
    ARM_ID,
    GUID,
    GUID_LENGTH,
    HOST,
    IPV4,
    ip_number,
    ip_of,
    ipv4_number,
)

Hit = tuple[Owned, bool]  # an owned identifier a token names, and whether it names it exactly

# Leaves that hold no text: a document made of these, str, dict and list is plain JSON.
_NO_TEXT = frozenset({int, float, bool, type(None)})
_ID_START = re.compile(ARM_ID.pattern[: len("/subscriptions/")], re.I)  # as ARM_ID reads it
_DIGIT_DOT = re.compile(r"\d\.\d")  # in every IPv4 address
_WORD = re.compile(r"[a-z0-9-]+")  # a label of a host, a GUID: in lower-case ASCII text
_IPV6_SHAPE = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def starts_ip_pair(key: str) -> bool:
    """Whether `key` reads as the start of a `start…ip…`/`end…ip…` pair."""
    if "p" not in key and "P" not in key:  # most keys: no "ip" in any case
        return False
    low = key.lower().replace("_", "")
    return "start" in low and "ip" in low


class Scanner:
    """Resolves the strings of the target's documents against the owned index."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._hits: dict[str, tuple[Hit, ...]] = {}  # strings that point elsewhere, pair keys
        self._quiet: set[object] = set()  # strings known to point nowhere else
        # What another environment's identifiers look like from outside, to pass over text
        # that cannot name one before any costly pattern runs: the resource groups their IDs
        # lie in, the first labels of their hosts and domains, their GUIDs (a GUID has no dot).
        self._foreign_groups = {_group_of(key) for key in index.foreign(Kind.ID)}
        self._foreign_words = {
            value.partition(".")[0]
            for kind in (Kind.HOST, Kind.DOMAIN, Kind.GUID)
            for value in index.foreign(kind)
        }

    def matches(self, text: str) -> tuple[Hit, ...]:
        """The other environments' identifiers `text` names, in the order it names them."""
        hits = self._hits.get(text)
        if hits is None:
            if text in self._quiet:
                return ()
            hits = self._hits[text] = tuple(self._resolve(text))
        return hits

    def may_point_elsewhere(self, doc: Mapping[str, Any]) -> bool:
        """False only if walking `doc` would find nothing: no key or string leaf points at
        another environment, no IP range admits one, and it is plain JSON (as the walk
        would read it). True may still find nothing (see the module's note)."""
        strings = _strings_of(doc)
        if strings is None:
            return True
        quiet, ranges = self._quiet, False
        for text in filterfalse(quiet.__contains__, strings):  # the few not known quiet
            if type(text) is not str:
                return True
            hits = self._hits.get(text)  # resolved already by a walk, or a pair's key
            if hits is None:
                found = self._resolve(text)
                if not found and not starts_ip_pair(text):
                    quiet.add(text)  # the common case: a new string that points nowhere
                    continue
                hits = self._hits[text] = tuple(found)
            if hits:
                return True
            if starts_ip_pair(text):
                ranges = True  # a pair's key is never quiet: what it admits is its pair's
            else:
                quiet.add(text)  # read by a walk before, and quiet
        return ranges and any(
            hits for node in _objects_of(doc) for _, _, _, hits in self.ip_ranges(node)
        )

    def ip_ranges(self, node: Mapping[str, Any]) -> list[tuple[str, str, str, list[Hit]]]:
        """The `start…ip…`/`end…ip…` pairs of one object whose ends are both IP addresses:
        (start key, end key, the range as written, the identifiers it admits)."""
        found = []
        for start_key, end_key in _ip_pairs(node):
            first, last = ip_number(str(node[start_key])), ip_number(str(node[end_key]))
            if first is None or last is None:
                continue
            admitted = []
            if first[0] == last[0]:  # one IP version
                admitted = [(o, True) for o in self.index.resolve_span(*first, last[1])]
            found.append((start_key, end_key, f"{node[start_key]}-{node[end_key]}", admitted))
        return found

    def _resolve(self, text: str) -> list[Hit]:
        """Hits of every token of `text`, and of the whole of it as an IPv6 address.

        Each pattern runs only on text that has what every token of it has: an ID starts
        `/subscriptions/`, a host has a dot, an IPv4 address three and a digit beside one, a
        GUID four hyphens in 36 characters, an IPv6 address a colon. Hosts and GUIDs are
        looked for only beside a word of another environment's, a whole ID resolved only in
        one of its resource groups: elsewhere the answer would be nothing, or the target's."""
        if len(text) < GUID_LENGTH and "." not in text and "/" not in text and ":" not in text:
            return []  # no token of any kind fits: most strings end here
        index, found = self.index, list[Hit]()
        scrubbed = text
        if "/" in text and _ID_START.search(text):
            whole_id = ARM_ID.fullmatch(text) is not None  # the common case, and one pass
            if not whole_id:
                for token in ARM_ID.findall(text):
                    owners, exact = index.resolve_id(token)
                    found += [(o, exact) for o in owners]
            elif _group_of(text.lower()) in self._foreign_groups:
                owners, exact = index.resolve_id(text)
                found += [(o, exact) for o in owners]
            # an ID's `Microsoft.App` segment is no host
            scrubbed = " " if whole_id else ARM_ID.sub(" ", text)
        if scrubbed == " ":
            return found  # a whole ID holds nothing else
        dotted = "." in scrubbed
        guids = len(scrubbed) >= GUID_LENGTH and scrubbed.count("-") >= 4
        # A host or GUID of another environment shows as a word: a run of [a-z0-9-] (in
        # ASCII text, which is all but the rarest). Text with none of theirs names none.
        words = (dotted or guids) and (
            not text.isascii() or not self._foreign_words.isdisjoint(_WORD.findall(text.lower()))
        )
        if dotted:
            if words:
                for token in HOST.findall(scrubbed):
                    if owners := index.resolve_host(token):
                        found += [(o, True) for o in owners]
            if scrubbed.count(".") >= 3 and _DIGIT_DOT.search(scrubbed):
                for ip_text, prefix in IPV4.findall(scrubbed):
                    span = _ipv4_span(ip_text, prefix)
                    if span is not None and (owners := index.resolve_span(4, *span)):
                        found += [(o, True) for o in owners]
        if ":" in text and (ip6 := _ipv6_of(text)) is not None:
            found += [(o, True) for o in index.resolve_network(ip6, ip6)]
        if guids and words:
            for token in GUID.findall(scrubbed):
                if owners := index.resolve_guid(token):
                    found += [(o, True) for o in owners]
        return found


def _group_of(key: str) -> str:
    """The resource group an ID key lies in (its first four segments), or the key itself."""
    return "/".join(key.split("/", 5)[:5])


def _strings_of(doc: Mapping[str, Any]) -> list[object] | None:
    """Every key and string leaf of `doc`, or None if it is not plain JSON."""
    if type(doc) is not dict:
        return None
    found: list[object] = [*doc]
    try:
        _add_strings(doc.values(), found)
    except (_NotPlain, RecursionError):  # the walk decides, as it reads such documents
        return None
    return found


class _NotPlain(Exception):
    """A value the walk reads differently from plain JSON (a tuple, a str subclass…)."""


def _add_strings(values: Iterable[Any], found: list[object]) -> None:
    for value in values:
        kind = type(value)
        if kind is str:
            found.append(value)
        elif kind is dict:
            found += value  # its keys
            _add_strings(value.values(), found)
        elif kind is list:
            _add_strings(value, found)
        elif kind not in _NO_TEXT:
            raise _NotPlain


def _objects_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every object of plain-JSON `doc`, itself included."""
    found: list[Mapping[str, Any]] = []
    todo: list[Any] = [doc]
    for node in todo:
        if type(node) is dict:
            found.append(node)
            node = node.values()
        todo += [value for value in node if type(value) is dict or type(value) is list]
    return found


def _ip_pairs(node: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Keys of `start…ip…`/`end…ip…` pairs in one object (firewall rules, IP rules)."""
    lowered = {str(k).lower().replace("_", ""): str(k) for k in node}
    for low, key in lowered.items():
        if "start" in low and "ip" in low:
            end = lowered.get(low.replace("start", "end"))
            if end is not None:
                yield key, end


def _ipv4_span(address: str, prefix: str) -> tuple[int, int] | None:
    """The first and last address, as integers, of IPv4 network `address`/`prefix` (an empty
    prefix is /32), or None where `ipaddress.ip_network(..., strict=False)` would refuse it."""
    number = ipv4_number(address)
    if number is None:
        return None
    if not prefix:
        return number, number
    if not (prefix.isascii() and prefix.isdigit()) or int(prefix) > 32:
        return None
    host_bits = (1 << (32 - int(prefix))) - 1
    first = number & ~host_bits
    return first, first | host_bits


def _ipv6_of(text: str) -> ipaddress.IPv6Address | None:
    """`text` as an IPv6 address (a scope allowed), or None; most text fails the cheap test."""
    if not _IPV6_SHAPE.fullmatch(text.strip().partition("%")[0]):
        return None
    ip = ip_of(text)
    return ip if isinstance(ip, ipaddress.IPv6Address) else None
