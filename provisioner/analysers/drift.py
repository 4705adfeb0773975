"""Drift: what Azure has that the state does not say, attribute by attribute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.model import (
    UNREADABLE,
    Coverage,
    Finding,
    FindingKind,
    Resource,
    ResourceId,
    Sensitive,
    Severity,
    redact_value,
)
from provisioner.registry import Attr, Each, MapOf, TypeSpec, by_tf_type


@dataclass(frozen=True)
class Unreadable:
    """An attribute the state sets whose value in Azure azprov could not read."""

    resource_id: str
    address: str | None
    attribute: str


@dataclass(frozen=True)
class DriftResult:
    findings: tuple[Finding, ...]
    checked: int
    # State resources azprov has no reader for, by address.
    not_checked: tuple[str, ...]
    # State resources whose part of Azure could not be read, by address.
    unknown: tuple[str, ...]
    # Attributes not compared because a side's value was not of its declared kind.
    unreadable: tuple[Unreadable, ...] = ()


def drift_findings(
    state: Sequence[Resource],
    live: Iterable[Resource],
    coverage: Coverage,
) -> DriftResult:
    """Compare state with live: `changed`, `missing` and `unmanaged` findings."""
    live_by_key = {r.id.key: r for r in live}
    findings: list[Finding] = []
    not_checked: list[str] = []
    unknown: list[str] = []
    unreadable: list[Unreadable] = []
    checked = 0
    for res in state:
        spec = by_tf_type(res.tf_type or "")
        actual = live_by_key.get(res.id.key)
        if actual is not None:
            checked += 1
            if spec is not None:
                findings += _changed(spec, res, actual, unreadable)
        elif coverage.covers(res.id):
            checked += 1
            findings.append(_missing(res, spec))
        elif spec is not None:
            unknown.append(res.address or str(res.id))
        else:
            not_checked.append(res.address or str(res.id))
    managed = {r.id.key for r in state} | _made_along(state, live_by_key.values())
    for res in live_by_key.values():
        if res.id.key in managed:
            continue
        spec = by_tf_type(res.tf_type or "")
        if spec is not None and res.id.name in spec.builtin_names:
            continue
        findings.append(_unmanaged(res, spec))
    return DriftResult(
        tuple(findings), checked, tuple(not_checked), tuple(unknown), tuple(unreadable)
    )


def _made_along(*sides: Iterable[Resource]) -> set[str]:
    """ID keys of resources Azure made along with another (`TypeSpec.creates`).

    A private endpoint's network interface comes and goes with the endpoint: it is the
    endpoint's business, managed with it, or reported with it when the endpoint is unmanaged.
    """
    keys: set[str] = set()
    for res in (r for side in sides for r in side):
        spec = by_tf_type(res.tf_type or "")
        for name in spec.creates if spec else ():
            value = res.attributes.get(name)
            if not isinstance(value, str):
                continue  # absent or unreadable: nothing is exempted
            try:
                keys.add(ResourceId.parse(value).key)
            except ValueError:
                continue
    return keys


def _missing(res: Resource, spec: TypeSpec | None) -> Finding:
    return Finding(
        kind=FindingKind.MISSING,
        severity=spec.missing_severity if spec else Severity.HIGH,
        resource_id=str(res.id),
        address=res.address,
        type=res.tf_type,
        message=f"{res.address} is in the state but does not exist in Azure (deleted out of band)",
    )


def _unmanaged(res: Resource, spec: TypeSpec | None) -> Finding:
    kind = res.tf_type or res.arm_type
    details = ", ".join(
        f"{name}={redact_value(res.attributes.get(name))}"
        for name in (spec.summary if spec else ())
    )
    return Finding(
        kind=FindingKind.UNMANAGED,
        severity=spec.unmanaged_severity if spec else Severity.MEDIUM,
        resource_id=str(res.id),
        type=res.tf_type,
        message=f"{kind} {res.id.name!r} exists in Azure but not in the Terraform state"
        + (f" ({details})" if details else ""),
    )


def _members(name: str) -> Iterable[str]:
    """`template.container[api].env[X].value` -> `template.container[api]`, `...env[X]`."""
    for i, char in enumerate(name[:-1]):
        if char == "]":
            yield name[: i + 1]


def _changed(
    spec: TypeSpec, expected: Resource, actual: Resource, unreadable: list[Unreadable]
) -> list[Finding]:
    out = []
    want_all, got_all = expected.attributes, actual.attributes
    # Most attributes are equal on both sides; only the others need a closer look.
    differ = [
        name
        for name in want_all.keys() | got_all.keys()
        if (want := want_all.get(name)) != got_all.get(name) or want is UNREADABLE
    ]
    for name in sorted(differ):
        entry = spec.entry(name)
        if entry is None or (isinstance(entry, Attr) and not entry.compare):
            continue
        want, got = want_all.get(name), got_all.get(name)
        if want is None and isinstance(entry, Attr):
            continue  # unset in the state: Azure's or the provider's default, not drift
        if UNREADABLE in (want, got):
            # Not comparable; worth a reader's attention only where the state sets a value.
            if want is not None and not _under_unreadable(name, expected, actual):
                unreadable.append(Unreadable(str(expected.id), expected.address, name))
            continue
        if isinstance(entry, Each) and name.endswith("]"):
            continue  # a member's presence marker; the list itself is compared
        if not all(_both_have(p, expected.attributes, actual.attributes) for p in _members(name)):
            continue  # a member on one side only is reported once, by its list
        if _same(want, got):
            continue
        secret = isinstance(want, Sensitive) or isinstance(got, Sensitive)
        shown_want = redact_value(want) if not secret else "***"
        shown_got = redact_value(got) if not secret else "***"
        if isinstance(entry, Each):
            shown_want, shown_got = list(want or ()), list(got or ())
        out.append(
            Finding(
                kind=FindingKind.CHANGED,
                severity=entry.severity,
                resource_id=str(expected.id),
                address=expected.address,
                type=expected.tf_type,
                attribute=name,
                expected=shown_want,
                actual=shown_got,
                message=_changed_message(name, entry, shown_want, shown_got),
            )
        )
    return out


def _under_unreadable(name: str, expected: Resource, actual: Resource) -> bool:
    """Whether a list that holds `name` is unreadable already (reported once, by the list)."""
    return any(
        UNREADABLE in (expected.attributes.get(p), actual.attributes.get(p))
        for p in (m.rsplit("[", 1)[0] for m in _members(name))
    )


def _both_have(prefix: str, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return prefix in left and prefix in right


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, Sensitive) and not isinstance(got, Sensitive):
        return want == Sensitive.of(got)
    return bool(want == got)


def _changed_message(name: str, entry: Attr | Each | MapOf, want: Any, got: Any) -> str:
    if isinstance(entry, Each):
        added = sorted(set(got) - set(want))
        removed = sorted(set(want) - set(got))
        parts = [f"added in Azure: {', '.join(added)}"] if added else []
        parts += [f"missing in Azure: {', '.join(removed)}"] if removed else []
        return f"{name}: " + "; ".join(parts)
    return f"{name} is {_show(got)} in Azure, {_show(want)} in the state"


def _show(value: Any) -> str:
    return "(absent)" if value is None else repr(value) if isinstance(value, str) else str(value)
