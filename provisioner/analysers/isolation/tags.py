"""Environment tags: an `environment`/`env` tag must name the environment the resource is in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from provisioner.analysers.isolation.owned import Index
from provisioner.analysers.isolation.sources import EnvironmentData, Source, where
from provisioner.model import Finding, FindingKind, Severity

ENV_TAGS = ("environment", "env")


def tag_findings(
    target: EnvironmentData,
    others: Sequence[EnvironmentData],
    sources: Sequence[Source],
    index: Index,
) -> list[Finding]:
    """A finding per environment tag of the target's resources that names another
    environment (medium) or none (low); shared resources are left alone."""
    names = {o.name.lower(): o.name for o in others if o.name.lower() != target.name.lower()}
    seen: dict[tuple[str, str, str], int] = {}
    out: list[Finding] = []
    origins: list[list[str]] = []
    env_tags: dict[tuple[Any, ...], list[Any]] = {}  # tag names -> the environment tags
    for source in sources:
        tags = source.doc.get("tags")
        if not isinstance(tags, Mapping):
            continue
        named = tuple(tags)  # resources share their sets of tag names: each is read once
        if (ours := env_tags.get(named)) is None:
            ours = env_tags[named] = [t for t in named if str(t).lower() in ENV_TAGS]
        for tag in ours:
            raw = tags[tag]
            if not isinstance(raw, str):
                continue
            value = raw.strip()
            if value.lower() == target.name.lower() or index.is_shared(source.key):
                continue
            dedup = (source.key, str(tag).lower(), value.lower())
            if dedup in seen:
                origins[seen[dedup]].append(source.origin)
                continue
            seen[dedup] = len(out)
            origins.append([source.origin])
            other = names.get(value.lower())
            out.append(
                Finding(
                    kind=FindingKind.ISOLATION,
                    severity=Severity.MEDIUM if other else Severity.LOW,
                    resource_id=source.resource_id,
                    address=source.address,
                    type=source.tf_type,
                    attribute=f"tags.{tag}",
                    actual=value,
                    message=f"tag {tag}={value!r} names "
                    + (f"{other}, but the resource belongs to {target.name}" if other
                       else f"no environment; expected {target.name!r}"),
                )
            )  # fmt: skip
    return [
        replace(f, message=f"{f.message}; {where(tuple(dict.fromkeys(o)))}")
        for f, o in zip(out, origins, strict=True)
    ]
