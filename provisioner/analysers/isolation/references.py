"""References: attributes of the target that point at another environment's resources.

Every string leaf and map key of the target's state attributes, Azure bodies and planned
values is matched against what the other environments own; firewall-style `start…`/`end…`
IP pairs are checked as ranges. One finding per reference: the state's, with Azure and the
plan adding where else it was seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from provisioner.analysers.isolation.masking import shown
from provisioner.analysers.isolation.owned import Owned
from provisioner.analysers.isolation.scanner import Hit, Scanner
from provisioner.analysers.isolation.sources import Source, where
from provisioner.model import Finding, FindingKind, Severity


@dataclass(frozen=True)
class Reference:
    """One attribute of the target that points at one other environment."""

    source: Source
    attribute: str
    actual: str
    targets: tuple[tuple[Owned, bool], ...]  # (owned identifier, exact match)
    verb: str = "points at"
    origins: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return self.targets[0][0].env

    @property
    def owner_keys(self) -> frozenset[str]:
        return frozenset(o.owner_key for o, _ in self.targets)


def reference_findings(sources: Sequence[Source], scanner: Scanner) -> list[Finding]:
    """One finding per attribute of `sources` that points at another environment."""
    references = [
        ref
        for source in sources
        if scanner.may_point_elsewhere(source.doc)
        for ref in _walk(source, source.doc, (), scanner)
    ]
    return [_finding(ref) for ref in _merged(references)]


def _walk(
    source: Source, node: Any, path: tuple[str, ...], scanner: Scanner
) -> Iterator[Reference]:
    if isinstance(node, Mapping):
        paired: set[str] = set()
        for start_key, end_key, value, admitted in scanner.ip_ranges(node):
            paired |= {start_key, end_key}
            yield from _by_env(source, (*path, start_key), value, admitted, "admits")
        for key, sub in node.items():
            key = str(key)
            if key in paired:
                continue
            if key_hits := scanner.matches(key):  # ARM keys user-assigned identities by ID
                yield from _by_env(source, path, key, key_hits, "points at")
            yield from _walk(source, sub, (*path, key), scanner)
    elif isinstance(node, list | tuple):
        for i, sub in enumerate(node):
            yield from _walk(source, sub, (*path, str(i)), scanner)
    elif isinstance(node, str) and node.strip() and (found := scanner.matches(node)):
        value = shown(node, path, source.sensitive)
        yield from _by_env(source, path, value, found, "points at")


def _by_env(
    source: Source, path: tuple[str, ...], value: str, found: Sequence[Hit], verb: str
) -> Iterator[Reference]:
    envs: dict[str, dict[tuple[str, str], tuple[Owned, bool]]] = {}
    for owned, exact in found:  # one mention per identifier, however often it appears
        envs.setdefault(owned.env, {}).setdefault((owned.kind, owned.value), (owned, exact))
    for targets in envs.values():
        yield Reference(
            source, _attribute(path), value, tuple(targets.values()), verb, (source.origin,)
        )


def _attribute(path: tuple[str, ...]) -> str:
    return ".".join(f"[{p}]" if "/" in p or "." in p else p for p in path).replace(".[", "[")


def _merged(references: Iterable[Reference]) -> list[Reference]:
    """One finding per reference: state first; Azure and the plan add to what the state says."""
    kept: list[Reference] = []
    by_resource: dict[tuple[str, str], list[int]] = {}
    for ref in references:
        group = by_resource.setdefault((ref.source.key, ref.env), [])
        same = [
            i
            for i in group
            if kept[i].source.origin != ref.source.origin and ref.owner_keys <= kept[i].owner_keys
        ]
        for i in same:
            if ref.source.origin not in kept[i].origins:
                kept[i] = replace(kept[i], origins=(*kept[i].origins, ref.source.origin))
        if not same:
            group.append(len(kept))
            kept.append(ref)
    return kept


def _finding(ref: Reference) -> Finding:
    targets = "; ".join(o.describe(exact) for o, exact in ref.targets)
    what = "range " + ref.actual + " " if ref.verb == "admits" else ""
    return Finding(
        kind=FindingKind.ISOLATION,
        severity=Severity.HIGH,
        resource_id=ref.source.resource_id,
        address=ref.source.address,
        type=ref.source.tf_type,
        attribute=ref.attribute,
        actual=ref.actual,
        message=f"{ref.attribute} {what}points at {targets}; {where(ref.origins)}",
    )
