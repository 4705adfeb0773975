"""The pre-approval audit report: one page a reviewer approves a deploy from.

`build_report` joins a parsed plan with what `verify` learned about the live environment,
the isolation and policy findings, and what another environment runs. It is pure: no
I/O, no clock (the time is passed in). The renderers (`render_markdown`, `render_html`,
`render_json`) only format an `AuditReport`.

Every value that reaches the report has been redacted twice: by the plan reader
(sensitive and secret-named attributes) and here, for what that reader cannot see
(`{"name": "DB_PASSWORD", "value": ...}` pairs, upper-case secret names, outputs named
like secrets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from provisioner.audit.images import (
    ImageChange,
    RunningImage,
    images_in_plan,
    same_build,
)
from provisioner.mapping import Side, flatten, get_path
from provisioner.model import (
    REDACTED,
    Analysis,
    Finding,
    FindingKind,
    Unread,
    is_secret_key,
    redact_text,
    redact_value,
    secret_like_name,
)
from provisioner.registry import by_tf_type
from provisioner.reporters.json_report import finding_dict
from provisioner.state.plan import (
    UNKNOWN,
    Action,
    AttributeChange,
    OutputChange,
    Plan,
    ResourceChange,
)

# Terraform's `action_reason` values, as a reviewer reads them.
ACTION_REASONS = {
    "replace_because_cannot_update": "an attribute cannot be changed in place",
    "replace_because_tainted": "the resource is tainted",
    "replace_by_request": "replacement requested (-replace)",
    "replace_by_triggers": "replace_triggered_by",
    "delete_because_no_resource_config": "removed from the configuration",
    "delete_because_no_module": "its module was removed from the configuration",
    "delete_because_wrong_repetition": "count/for_each changed shape",
    "delete_because_count_index": "count no longer includes this index",
    "delete_because_each_key": "for_each no longer includes this key",
    "delete_because_no_move_target": "the target of its moved block does not exist",
}
_COUNTED = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)
# What `audit --plan-only` leaves out, said wherever the report would otherwise look clean.
PLAN_ONLY_SCOPE = (
    "plan only: live drift and live isolation were not checked "
    "(isolation was checked within the plan)"
)


class DriftFate(StrEnum):
    """What the apply does to one piece of live drift."""

    OVERWRITTEN = "overwritten"  # the live value is lost: reset, rebuilt, deleted
    ADOPTED = "adopted"  # the plan makes the live value the truth (config matches, import)
    STAYS = "stays"  # the apply does not touch it: the drift remains afterwards


@dataclass(frozen=True)
class AttributeRow:
    """One attribute a change sets: before -> after, redacted."""

    path: str
    before: Any
    after: Any
    forces_replacement: bool = False
    sensitive: bool = False
    unknown_after: bool = False


@dataclass(frozen=True)
class ChangeItem:
    """One resource the plan touches, as a reviewer needs to see it."""

    address: str
    type: str
    action: Action
    # The Azure name (or ID) of the resource, for recognising it.
    name: str | None = None
    reason: str | None = None
    replace_paths: tuple[str, ...] = ()
    attributes: tuple[AttributeRow, ...] = ()
    import_id: str | None = None
    previous_address: str | None = None
    deposed: str | None = None


@dataclass(frozen=True)
class DriftItem:
    """A drift finding and what this apply does to it."""

    finding: Finding
    fate: DriftFate
    why: str


@dataclass(frozen=True)
class Comparison:
    """What another environment runs now (e.g. test), to set beside what the plan deploys."""

    environment: str
    source: str
    images: tuple[RunningImage, ...]


@dataclass(frozen=True)
class ComparisonRow:
    slot: str
    other: str | None
    planned: str | None
    # Same repository and tag/digest whatever the registry; None when either is unknown.
    same: bool | None


@dataclass(frozen=True)
class ComparisonResult:
    environment: str
    source: str
    rows: tuple[ComparisonRow, ...]

    @property
    def differing(self) -> int:
        return sum(1 for r in self.rows if r.same is not True)


@dataclass(frozen=True)
class LiveSide:
    """Where verify's view of the live environment came from, and what it could not read."""

    source: str
    taken_at: str | None
    subscription_id: str
    resources_checked: int
    unread: tuple[Unread, ...] = ()
    not_checked: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditReport:
    """Everything the pre-approval report shows, already redacted and ordered."""

    environment: str
    generated_at: str
    plan_source: str
    plan_format: str
    terraform_version: str | None
    plan_errored: bool
    # The plan says it is not the whole story (`complete: false`: -target, deferred changes).
    plan_partial: bool
    counts: tuple[tuple[str, int], ...]
    # Deletions first, then replacements, each by address.
    destructive: tuple[ChangeItem, ...]
    updates: tuple[ChangeItem, ...]
    creates: tuple[ChangeItem, ...]
    # Imports, moves and forgets that change no Azure resource.
    other: tuple[ChangeItem, ...]
    images: tuple[ImageChange, ...]
    drift: tuple[DriftItem, ...]
    # What Terraform itself noticed had changed outside Terraform (`resource_drift`).
    terraform_drift: tuple[ChangeItem, ...]
    # Isolation and policy findings (and any other non-drift kind).
    findings: tuple[Finding, ...]
    comparison: ComparisonResult | None
    outputs: tuple[OutputChange, ...]
    notes: tuple[str, ...]
    live: LiveSide | None
    # When Terraform made the plan (the plan JSON's `timestamp`), and the git commit it was
    # made from (recorded by `azprov plan`), when known.
    plan_made_at: str | None = None
    commit: str | None = None
    # `audit --plan-only`: nothing but the plan was read (no Azure, no other environment).
    plan_only: bool = False

    def count(self, what: str) -> int:
        return dict(self.counts).get(what, 0)

    @property
    def deletes(self) -> tuple[ChangeItem, ...]:
        return tuple(c for c in self.destructive if c.action is Action.DELETE)

    @property
    def replaces(self) -> tuple[ChangeItem, ...]:
        return tuple(c for c in self.destructive if c.action is Action.REPLACE)

    def drift_with(self, fate: DriftFate) -> tuple[DriftItem, ...]:
        return tuple(d for d in self.drift if d.fate is fate)

    def findings_of(self, kind: FindingKind) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind is kind)

    def none_found(self, kind: FindingKind | None) -> str:
        """What an empty findings section says: "None.", unless the check did not run."""
        prefix = f"{kind.value} not checked" if kind else None
        skipped = [n for n in self.notes if prefix and n.startswith(prefix)]
        return "; ".join(n[0].upper() + n[1:] for n in skipped) + "." if skipped else "None."

    @property
    def incomplete(self) -> tuple[str, ...]:
        """Why the report cannot vouch for everything it covers (empty when it can)."""
        reasons = ["the plan errored, so it is partial"] if self.plan_errored else []
        if self.live and self.live.unread:
            reasons.append("parts of live Azure could not be read")
        return tuple(reasons)

    @property
    def exit_code(self) -> int:
        """1 incomplete, 2 a reviewer must look, 0 nothing to look at.

        The verify convention (terraform's -detailed-exitcode): 1 when the report cannot
        vouch for its subject (unread Azure, an errored plan), because a partial report
        must never read as clean; 2 for anything that needs a reviewer's decision:
        destructive changes or any finding (drift of any fate, isolation, policy);
        0 otherwise, so creates and in-place updates of a clean environment pass. A live
        side deliberately not read (`live is None`) is stated in the verdict, not an error.
        """
        if self.incomplete:
            return 1
        return 2 if self.destructive or self.drift or self.findings or self.plan_partial else 0

    @property
    def verdict(self) -> str:
        """One line: the outcome word, why, and the exit code."""
        code = self.exit_code
        if code == 1:
            return f"INCOMPLETE: {'; '.join(self.incomplete)} (exit 1)"
        if code == 0:
            tail = "" if self.live else "; live Azure was not read, so drift is not checked"
            if self.plan_only:
                tail = f"; {PLAN_ONLY_SCOPE}"
            return f"OK: no destructive changes and no findings{tail} (exit 0)"
        tail = f"; {PLAN_ONLY_SCOPE}" if self.plan_only else ""
        return f"REVIEW: {', '.join(self.attention)}{tail} (exit 2)"

    @property
    def attention(self) -> tuple[str, ...]:
        """What makes a reviewer look, most serious first."""
        out = ["a partial plan (-target or deferred changes)"] if self.plan_partial else []
        if self.destructive:
            out.append(
                _plural(len(self.destructive), "destructive change")
                + f" ({len(self.deletes)} delete, {len(self.replaces)} replace)"
            )
        overwritten = len(self.drift_with(DriftFate.OVERWRITTEN))
        if overwritten:
            out.append(f"{_plural(overwritten, 'drift finding')} this apply overwrites")
        others = len(self.drift) - overwritten
        if others:
            out.append(f"{_plural(others, 'drift finding')} this apply keeps")
        for kind in (FindingKind.ISOLATION, FindingKind.POLICY):
            if n := len(self.findings_of(kind)):
                out.append(_plural(n, f"{kind.value} finding"))
        rest = len(self.findings) - sum(
            len(self.findings_of(k)) for k in (FindingKind.ISOLATION, FindingKind.POLICY)
        )
        if rest:
            out.append(_plural(rest, "other finding"))
        return tuple(out)

    @property
    def plan_summary(self) -> str:
        """`Plan: 1 to create, 1 to update, 2 to replace, 1 to delete` (+ imports, moves)."""
        parts = [f"{self.count(a.value)} to {a.value}" for a in _COUNTED]
        parts += [
            f"{n} to {what}" for what in ("import", "move", "forget") if (n := self.count(what))
        ]
        return "Plan: " + ", ".join(parts)

    @property
    def drift_summary(self) -> str:
        if self.live is None:
            why = "--plan-only reads no Azure" if self.plan_only else "live Azure was not read"
            return f"Drift: not checked ({why})"
        fates = ", ".join(f"{len(self.drift_with(fate))} {fate.value}" for fate in DriftFate)
        return f"Drift: {_plural(len(self.drift), 'finding')} ({fates})"

    @property
    def findings_summary(self) -> str:
        parts = [
            f"{kind.value.capitalize()}: {len(self.findings_of(kind))}"
            for kind in (FindingKind.ISOLATION, FindingKind.POLICY)
        ]
        return ". ".join(parts)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --- building ------------------------------------------------------------------------


def build_report(
    environment: str,
    plan: Plan,
    analysis: Analysis | None,
    findings: Sequence[Finding] = (),
    notes: Sequence[str] = (),
    compare: Comparison | None = None,
    *,
    plan_source: str = "plan JSON",
    generated_at: datetime,
    commit: str | None = None,
    made_at: str | None = None,
    plan_only: bool = False,
) -> AuditReport:
    """Assemble the report. Pure: every input is passed in, including the time.

    `analysis` is verify's result for the environment, or None when the live side was
    not read (the report then says drift was not checked). `findings` are isolation and
    policy findings; drift findings are taken from `analysis`. `notes` are printed as
    given (after redaction), followed by the analysis's own notes, each once: policy
    overrides with their reasons, checks left out. `plan_only` marks a report made from
    the plan alone (`audit --plan-only`); `commit` is the git commit the plan was made at,
    `made_at` when (for plans whose JSON has no `timestamp`)."""
    changes = plan.changes
    destructive = [_item(c) for c in plan.destructive]
    updates = sorted((_item(c) for c in changes if c.action is Action.UPDATE), key=_by_address)
    creates = sorted((_item(c) for c in changes if c.action is Action.CREATE), key=_by_address)
    other = sorted(
        (
            _item(c)
            for c in plan.resource_changes
            if c.mode == "managed"
            and (
                c.action is Action.FORGET
                or (c.action is Action.NO_OP and (c.import_id or c.previous_address))
            )
        ),
        key=_by_address,
    )
    counts = {a.value: plan.count(a) for a in _COUNTED}
    counts["import"] = len(plan.imports)
    counts["move"] = sum(1 for c in plan.resource_changes if c.previous_address)
    counts["forget"] = plan.count(Action.FORGET)
    verify_findings = analysis.findings if analysis else ()
    verify_notes = analysis.notes if analysis else ()
    return AuditReport(
        environment=environment,
        generated_at=_utc(generated_at),
        plan_source=plan_source,
        plan_format=plan.format_version,
        terraform_version=plan.terraform_version,
        plan_errored=plan.errored,
        plan_partial=plan.complete is False,
        counts=tuple(counts.items()),
        destructive=tuple(destructive),
        updates=tuple(updates),
        creates=tuple(creates),
        other=tuple(other),
        images=images_in_plan(plan),
        drift=drift_items(verify_findings, plan),
        terraform_drift=tuple(
            sorted(
                (_item(c) for c in plan.resource_drift if c.mode == "managed"),
                key=_by_address,
            )
        ),
        findings=_other_findings([*verify_findings, *findings]),
        comparison=compare_images(compare, plan) if compare else None,
        outputs=tuple(_output(o) for o in plan.output_changes if o.action is not Action.NO_OP),
        notes=tuple(dict.fromkeys(redact_text(n) for n in (*notes, *verify_notes))),
        live=_live(analysis) if analysis else None,
        plan_made_at=plan.timestamp or made_at,
        commit=commit,
        plan_only=plan_only,
    )


def _utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_address(item: ChangeItem) -> str:
    return item.address


def _live(analysis: Analysis) -> LiveSide:
    return LiveSide(
        source=analysis.live_source,
        taken_at=analysis.live_taken_at,
        subscription_id=analysis.subscription_id,
        resources_checked=analysis.resources_checked,
        unread=analysis.unread,
        not_checked=analysis.not_checked,
    )


def _other_findings(found: Sequence[Finding]) -> tuple[Finding, ...]:
    """Non-drift findings once each (verify and the caller may both pass one), kind-major."""
    order = {FindingKind.ISOLATION: 0, FindingKind.POLICY: 1}
    unique: dict[str, Finding] = {}
    for f in found:
        if not f.kind.is_drift:
            unique.setdefault(json.dumps(finding_dict(f), sort_keys=True, default=str), f)
    return tuple(sorted(unique.values(), key=lambda f: (order.get(f.kind, 2), f.sort_key)))


def _output(out: OutputChange) -> OutputChange:
    if out.sensitive or not is_secret_key(out.name):
        return out
    return replace(
        out,
        sensitive=True,
        before=None if out.before is None else REDACTED,
        after=out.after if out.after in (None, UNKNOWN) else REDACTED,
    )


# --- changes -------------------------------------------------------------------------


def _item(change: ResourceChange) -> ChangeItem:
    reasons = change.replace_reasons
    # A creation's attributes are its whole configuration: the plan has them, the reviewer
    # needs the name; a deletion has no after side.
    shown = change.action not in (Action.CREATE, Action.DELETE)
    rows = tuple(_row(change, a, reasons) for a in change.changes) if shown else ()
    return ChangeItem(
        address=change.address,
        type=change.type,
        action=change.action,
        name=_name_of(change),
        reason=ACTION_REASONS.get(change.action_reason or "", change.action_reason),
        replace_paths=reasons,
        attributes=rows,
        import_id=change.import_id,
        previous_address=change.previous_address,
        deposed=change.deposed,
    )


def _name_of(change: ResourceChange) -> str | None:
    for doc in (change.after, change.before):
        if isinstance(doc, Mapping):
            for key in ("name", "id"):
                value = doc.get(key)
                if isinstance(value, str) and value and value not in (UNKNOWN, REDACTED):
                    return value
    return None


def _row(change: ResourceChange, attr: AttributeChange, reasons: tuple[str, ...]) -> AttributeRow:
    secret = attr.sensitive or _secret_path(change, attr.path)
    return AttributeRow(
        path=attr.path,
        before=_hidden(attr.before) if secret else redact_value(attr.before),
        after=attr.after
        if attr.unknown_after
        else _hidden(attr.after)
        if secret
        else redact_value(attr.after),
        forces_replacement=any(attr.path == r or attr.path.startswith(r + ".") for r in reasons),
        sensitive=secret,
        unknown_after=attr.unknown_after,
    )


def _hidden(value: Any) -> Any:
    return None if value is None else REDACTED


def _secret_path(change: ResourceChange, path: str) -> bool:
    """A secret the plan reader let through: a secret-named step, or a secret-named pair.

    `app_settings.DB_PASSWORD`, and `env.1.value` where `env.1.name` is `API_KEY` (the
    name itself stays readable: it says which secret is being set).
    """
    steps = path.split(".")
    if any(is_secret_key(step) for step in steps if not step.isdigit()):
        return True
    if len(steps) < 2 or steps[-1] != "value":
        return False
    sibling = ".".join([*steps[:-1], "name"])
    for doc in (change.before, change.after):
        name = get_path(doc, sibling)
        if isinstance(name, str) and secret_like_name(name):
            return True
    return False


# --- drift ---------------------------------------------------------------------------


def drift_items(found: Sequence[Finding], plan: Plan) -> tuple[DriftItem, ...]:
    """What applying `plan` does to each drift finding (joined on address or import ID)."""
    touched = {c.address: c for c in plan.resource_changes if c.mode == "managed" and not c.deposed}
    importers = {(c.import_id or "").lower(): c.address for c in plan.imports}
    return tuple(
        _fate(f, touched.get(f.address or ""), importers.get(f.resource_id.lower()))
        for f in found
        if f.kind.is_drift
    )


def _fate(finding: Finding, change: ResourceChange | None, importer: str | None) -> DriftItem:
    def item(fate: DriftFate, why: str) -> DriftItem:
        return DriftItem(finding, fate, why)

    if finding.kind is FindingKind.UNMANAGED:
        if importer is not None:
            return item(DriftFate.ADOPTED, f"imported as {importer} by this plan")
        return item(DriftFate.STAYS, "not in the state; this apply leaves it")
    action = change.action if change else Action.NO_OP
    if finding.kind is FindingKind.MISSING:
        if action in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            return item(DriftFate.OVERWRITTEN, "created again by this apply")
        if action in (Action.DELETE, Action.FORGET):
            return item(DriftFate.ADOPTED, "the plan drops it from the state")
        return item(DriftFate.STAYS, "still missing: the plan does not create it")
    if change is None or action in (Action.NO_OP, Action.READ):
        return item(DriftFate.STAYS, "the plan does not touch this resource")
    if action is Action.DELETE:
        return item(DriftFate.OVERWRITTEN, "the resource is deleted by this apply")
    if action is Action.REPLACE:
        return item(DriftFate.OVERWRITTEN, "the resource is rebuilt from the configuration")
    if action is Action.FORGET:
        return item(DriftFate.STAYS, "the plan drops it from the state only")
    return _attribute_fate(finding, change)


def _attribute_fate(finding: Finding, change: ResourceChange) -> DriftItem:
    planned = _planned_value(change, finding.attribute)
    if planned is None:
        return DriftItem(
            finding,
            DriftFate.OVERWRITTEN,
            f"the plan {change.action.value}s this resource; the planned value of "
            f"{finding.attribute or 'this attribute'} is not known, so assume it is reset",
        )
    if _comparable(planned) == _comparable(finding.actual):
        return DriftItem(finding, DriftFate.ADOPTED, "the plan keeps the live value")
    return DriftItem(finding, DriftFate.OVERWRITTEN, f"reset to {_brief(planned)} by this apply")


def _planned_value(change: ResourceChange, attribute: str | None) -> Any:
    """The plan's value for a normalized attribute name, or None when it cannot be known."""
    spec = by_tf_type(change.type)
    if spec is None or attribute is None or not isinstance(change.after, Mapping):
        return None
    value = flatten(spec.attributes, change.after, Side(is_state=True)).get(attribute)
    shown = json.dumps(redact_value(value), default=str)
    if value is None or REDACTED in shown or UNKNOWN in shown:
        return None
    return value


def _comparable(value: Any) -> str:
    return json.dumps(redact_value(value), sort_keys=True, default=str)


def _brief(value: Any) -> str:
    shown = redact_value(value)
    return repr(shown) if isinstance(shown, str) else json.dumps(shown, default=str)


# --- test vs prod --------------------------------------------------------------------


def compare_images(compare: Comparison, plan: Plan) -> ComparisonResult:
    """Line up what `compare.environment` runs with what the plan will run, slot by slot."""
    planned: dict[str, str] = {i.slot: i.after for i in images_in_plan(plan) if i.after is not None}
    other = {i.slot: i.image for i in compare.images}
    rows = []
    for slot in sorted(planned.keys() | other.keys()):
        theirs, ours = other.get(slot), planned.get(slot)
        same = same_build(theirs, ours) if theirs and ours else None
        rows.append(ComparisonRow(slot, theirs, ours, same))
    return ComparisonResult(compare.environment, compare.source, tuple(rows))
