"""The one stage that keeps findings out of the report, and says which and why.

Three sources, in this order (the first that matches wins):

- `lifecycle`: Terraform's own `lifecycle { ignore_changes = ... }` on the resource's
  block: a change Terraform itself would not undo is not drift (changed findings only);
- `ignore`: the environment's `ignore` list in azprov.toml (every finding on a resource);
- `suppress`: `[[environments.ENV.suppress]]` entries, each with a reason and optionally an
  attribute, an owner and an expiry date. An expired one leaves the finding reported, with
  a note saying since when.

Nothing is dropped silently: every finding kept out is in `Analysis.suppressed` with what
kept it out, and an `ignore` or `suppress` entry that matches nothing is a note (a typo
there would otherwise hide nothing and say nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from provisioner.config import Environment, Suppression
from provisioner.model import Finding, FindingKind, Suppressed
from provisioner.registry import by_tf_type
from provisioner.terraform.configuration import IgnoreChanges

# `azurerm_container_app.backend["x"]` / `[0]`: the instance key a block's address lacks.
_INSTANCE = re.compile(r"\[[^\]]*\]$")


@dataclass(frozen=True)
class Filtered:
    kept: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FindingFilter:
    """What keeps findings out of one environment's report."""

    ignore: tuple[str, ...] = ()
    suppress: tuple[Suppression, ...] = ()
    # Root-module resource blocks' `ignore_changes`, by `TYPE.NAME`.
    lifecycle: Mapping[str, IgnoreChanges] = field(default_factory=dict)
    today: Callable[[], date] = date.today

    @classmethod
    def of(
        cls,
        env: Environment,
        lifecycle: Mapping[str, IgnoreChanges] | None = None,
        today: Callable[[], date] = date.today,
    ) -> FindingFilter:
        return cls(env.ignore, env.suppress, lifecycle or {}, today)

    def apply(self, findings: Iterable[Finding]) -> Filtered:
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        used: set[int] = set()
        expired: dict[int, Suppression] = {}
        today = self.today()
        for finding in findings:
            held = self._lifecycle(finding) or self._ignored(finding)
            if held is None:
                for i, entry in enumerate(self.suppress):
                    if not _suppresses(entry, finding):
                        continue
                    used.add(i)
                    if entry.expires is not None and entry.expires <= today:
                        expired[i] = entry
                        continue
                    held = Suppressed(
                        finding, "suppress", entry.reason, entry.owner,
                        entry.expires.isoformat() if entry.expires else None,
                    )  # fmt: skip
                    break
            if held is None:
                kept.append(finding)
            else:
                suppressed.append(held)
        notes = [
            f"suppression of {entry.match}"
            + (f" ({entry.attribute})" if entry.attribute else "")
            + f" expired on {entry.expires}: reported again ({entry.reason})"
            for entry in expired.values()
        ]
        notes += [
            f"suppression of {entry.match} matches no finding; remove it or fix its match"
            for i, entry in enumerate(self.suppress)
            if i not in used
        ]
        return Filtered(tuple(kept), tuple(suppressed), tuple(notes))

    def _lifecycle(self, finding: Finding) -> Suppressed | None:
        """A change the resource block's `ignore_changes` tells Terraform to leave alone."""
        if finding.kind is not FindingKind.CHANGED or not finding.address:
            return None
        ignores = self.lifecycle.get(_INSTANCE.sub("", finding.address))
        spec = by_tf_type(finding.type or "")
        if ignores is None or spec is None or finding.attribute is None:
            return None
        path = spec.state_path(finding.attribute)
        if path is None or not ignores.covers(path):
            return None
        what = "all" if ignores.everything else path
        return Suppressed(
            finding, "lifecycle", f"lifecycle {{ ignore_changes = {what} }} in the configuration"
        )

    def _ignored(self, finding: Finding) -> Suppressed | None:
        names = {finding.resource_id.lower(), (finding.address or "").lower()}
        for entry in self.ignore:
            if entry.lower() in names:
                return Suppressed(
                    finding, "ignore", f"listed under ignore in azprov.toml ({entry})"
                )
        return None


def _suppresses(entry: Suppression, finding: Finding) -> bool:
    match = entry.match.lower()
    if match not in (finding.resource_id.lower(), (finding.address or "").lower()):
        return False
    return entry.attribute is None or entry.attribute == finding.attribute


def unmatched_ignores(ignore: Sequence[str], seen: Iterable[str]) -> list[str]:
    """A note for each `ignore` entry that names nothing azprov saw (address or ARM ID)."""
    known = {name.lower() for name in seen}
    return [
        f"ignore entry {entry!r} matches no resource in the state or in what was read of Azure"
        for entry in ignore
        if entry.lower() not in known
    ]
