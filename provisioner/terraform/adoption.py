"""Ways out of drift: Terraform `import {}` blocks and revert/adopt proposals. Pure.

The CLI reads the findings (`pipeline.verify`) and the configuration
(`terraform_config.read_config`) and hands them in; nothing here runs terraform or touches
files, so every proposal can be shown before anything is done.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from provisioner.model import Finding, FindingKind, ResourceId, Severity
from provisioner.registry import canonical_id, tf_type_for_arm
from provisioner.terraform.configuration import (
    TerraformConfig,
    attribute_expression,
    hcl_comment,
    hcl_string,
    hcl_value,
    variable_of,
)

ADDRESS = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]*$")


@dataclass(frozen=True)
class ImportBlock:
    """One `import { to = ..., id = ... }` block."""

    to: str
    id: str
    azure_name: str
    comment: str

    @property
    def tf_type(self) -> str:
        return self.to.split(".", 1)[0]


@dataclass(frozen=True)
class SkippedResource:
    resource_id: str
    reason: str


@dataclass(frozen=True)
class ImportPlan:
    blocks: tuple[ImportBlock, ...]
    skipped: tuple[SkippedResource, ...]


def resource_name(azure_name: str) -> str:
    """A readable Terraform name from an Azure name: `office-vpn` -> `office_vpn`."""
    name = re.sub(r"[^a-z0-9_]+", "_", azure_name.lower()).strip("_")
    name = re.sub(r"_+", "_", name) or "imported"
    return name if ADDRESS.match(name) else f"r_{name}"


def _unique(tf_type: str, name: str, taken: set[str]) -> str:
    address, n = f"{tf_type}.{name}", 2
    while address in taken:
        address, n = f"{tf_type}.{name}_{n}", n + 1
    taken.add(address)
    return address


def _root_address(address: str) -> str:
    """`azurerm_x.y["k"]` -> `azurerm_x.y`: the name a new block must not reuse."""
    return address.split("[", 1)[0]


def breaches(findings: Iterable[Finding]) -> dict[str, Finding]:
    """Resources that are themselves an isolation finding or a high policy finding, by ID.

    Adopting one into Terraform would codify the breach (prod's firewall rule that admits
    test's IP address, imported, is the breach made permanent): it is to be removed. A
    lesser policy finding (missing tags) is no reason not to adopt: the configuration can
    fix it once the resource is in it.
    """
    out: dict[str, Finding] = {}
    for finding in findings:
        high_policy = finding.kind is FindingKind.POLICY and finding.severity is Severity.HIGH
        if finding.kind is FindingKind.ISOLATION or high_policy:
            out.setdefault(finding.resource_id.lower(), finding)
    return out


def _breach_reason(breach: Finding) -> str:
    what = breach.rule or breach.kind.value
    return (
        f"it is itself a finding ({what}: {breach.message}); importing it would make the "
        "breach part of the configuration: remove it in Azure instead"
    )


def import_plan(findings: Iterable[Finding], taken: Collection[str]) -> ImportPlan:
    """An import block per unmanaged finding, addresses unique against `taken` and each other.

    `taken` holds the state's and the configuration's addresses. Types with no azurerm
    resource, and resources that are themselves an isolation or policy finding, are
    skipped with the reason.
    """
    findings = list(findings)
    bad = breaches(findings)
    used = {_root_address(a) for a in taken}
    blocks: list[ImportBlock] = []
    skipped: list[SkippedResource] = []
    unmanaged = [f for f in findings if f.kind is FindingKind.UNMANAGED]
    for finding in sorted(unmanaged, key=lambda f: f.resource_id.lower()):
        rid = canonical_id(finding.resource_id)
        if rid.key in bad:
            skipped.append(SkippedResource(str(rid), _breach_reason(bad[rid.key])))
            continue
        # The finding's type comes from the body (a Linux web app's kind), its ARM type's
        # from the registry; a shared ARM type names no azurerm type by itself.
        tf_type = finding.type or tf_type_for_arm(rid.arm_type)
        if tf_type is None:
            skipped.append(
                SkippedResource(str(rid), f"no azurerm resource type is known for {rid.arm_type}")
            )
            continue
        address = _unique(tf_type, resource_name(rid.name), used)
        blocks.append(ImportBlock(address, str(rid), rid.name, finding.message))
    return ImportPlan(tuple(blocks), tuple(skipped))


def render_imports(plan: ImportPlan, environment: str) -> str:
    """The `imports.<env>.tf` file: one commented block per resource, skipped ones noted."""
    lines = [
        f"# Written by `azprov import --env {environment}`: resources that exist in Azure but",
        f"# not in the {environment} Terraform state. Review each block, then run",
        f"# `azprov plan --env {environment}` (add --generate-config to `azprov import` for HCL).",
        f"# This file applies to every plan of this directory: delete it once {environment}",
        "# has been applied, before planning another environment.",
    ]
    # IDs, names and messages come from Azure: written only through hcl_comment and
    # hcl_string, so none can end its line or string and write HCL of its own.
    for skipped in plan.skipped:
        lines.append(hcl_comment(f"skipped {skipped.resource_id}: {skipped.reason}"))
    for block in plan.blocks:
        lines += [
            "",
            hcl_comment(block.comment),
            "import {",
            f"  to = {block.to}",
            f"  id = {hcl_string(block.id)}",
            "}",
        ]
    return "\n".join(lines) + "\n"


# -- reconcile ------------------------------------------------------------------------------


class Way(StrEnum):
    REVERT = "revert"
    ADOPT = "adopt"


@dataclass(frozen=True)
class Remedy:
    """One way out of one finding: what it means and the exact step to take."""

    way: Way
    summary: str
    step: str
    # What `azprov reconcile --apply` would do: "apply" (targeted plan + apply), "tfvars"
    # (edit the var-file line), "state-rm", "import"; None when it is left to a person.
    action: str | None = None
    # For "tfvars": the line to write.
    new_line: str | None = None


@dataclass(frozen=True)
class Proposal:
    finding: Finding
    target: str  # the Terraform address, or for unmanaged resources the import block's `to`
    revert: Remedy
    adopt: Remedy


@dataclass(frozen=True)
class ReconcileContext:
    environment: str
    var_file: str  # relative to the terraform directory, as terraform reads it
    config: TerraformConfig
    # variable name -> (line number, line text) in the var-file, for variables set there
    var_lines: dict[str, tuple[int, str]]
    import_names: dict[str, str]  # resource ID key -> import address
    # Resources that are themselves an isolation or policy finding (see `breaches`).
    breaches: dict[str, Finding] = field(default_factory=dict)


def targeted_plan_command(address: str, var_file: str) -> str:
    """The command to show; addresses can hold quotes and spaces (`x.y["a b"]`)."""
    target, var_file = shlex.quote(f"-target={address}"), shlex.quote(f"-var-file={var_file}")
    return f"terraform -chdir=terraform plan {target} {var_file} -out=tfplan"


def _config_attribute(finding: Finding, ctx: ReconcileContext) -> tuple[str | None, object]:
    """The variable that sets the attribute in the configuration, and the expression."""
    body = ctx.config.resources.get(_root_address(finding.address or ""))
    if body is None or not finding.attribute:
        return None, None
    expression = attribute_expression(body, finding.attribute)
    return variable_of(expression), expression


def proposals(findings: Iterable[Finding], ctx: ReconcileContext) -> list[Proposal]:
    """Revert and adopt, for every changed, missing and unmanaged finding."""
    out: list[Proposal] = []
    for finding in findings:
        if finding.kind is FindingKind.CHANGED and finding.address:
            out.append(_changed(finding, ctx))
        elif finding.kind is FindingKind.MISSING and finding.address:
            out.append(_missing(finding, ctx))
        elif finding.kind is FindingKind.UNMANAGED:
            out.append(_unmanaged(finding, ctx))
    return out


def _revert(address: str, ctx: ReconcileContext, summary: str) -> Remedy:
    return Remedy(Way.REVERT, summary, targeted_plan_command(address, ctx.var_file), "apply")


def _changed(finding: Finding, ctx: ReconcileContext) -> Proposal:
    address = finding.address or ""
    breach = ctx.breaches.get(finding.resource_id.lower())
    revert = _revert(
        address, ctx, f"terraform apply sets {finding.attribute} back to {finding.expected!r}"
    )
    variable, expression = _config_attribute(finding, ctx)
    new_value = hcl_value(finding.actual)
    secret = finding.actual == "***" or finding.expected == "***"
    if variable and variable in ctx.var_lines and not secret:
        number, text = ctx.var_lines[variable]
        new_line = f"{variable} = {new_value}"
        adopt = Remedy(
            Way.ADOPT,
            f"make the live value the truth in {ctx.var_file}",
            f"{ctx.var_file}:{number}: change `{text}` to `{new_line}`",
            "tfvars",
            new_line,
        )
    elif secret:
        adopt = Remedy(Way.ADOPT, "a secret value: change it by hand", "(value not shown)")
    else:
        where = f" (now {expression})" if isinstance(expression, str | int | float) else ""
        hint = f"variable {variable!r} (not set in {ctx.var_file})" if variable else None
        adopt = Remedy(
            Way.ADOPT,
            "make the live value the truth in the configuration",
            f"{address}: set {finding.attribute} = {new_value}{where}"
            + (f"; via {hint}" if hint else ""),
        )
    if breach is not None:  # the live value is the breach: never offered as the truth
        reason = _breach_reason(breach).replace("importing it", "adopting the live value")
        adopt = Remedy(Way.ADOPT, "not offered: " + reason, "-")
    return Proposal(finding, address, revert, adopt)


def _missing(finding: Finding, ctx: ReconcileContext) -> Proposal:
    address = finding.address or ""
    return Proposal(
        finding,
        address,
        _revert(address, ctx, "terraform apply re-creates it"),
        Remedy(
            Way.ADOPT,
            "accept the deletion: forget it in the state, then remove its block from the .tf",
            f"terraform -chdir=terraform state rm {shlex.quote(address)}",
            "state-rm",
        ),
    )


def _unmanaged(finding: Finding, ctx: ReconcileContext) -> Proposal:
    rid = ResourceId.parse(finding.resource_id)
    to = ctx.import_names.get(rid.key)
    revert = Remedy(
        Way.REVERT,
        "azprov never deletes in Azure: remove it by hand (portal / az CLI) or adopt it",
        f"az resource delete --ids {shlex.quote(str(canonical_id(rid)))}",
    )
    breach = ctx.breaches.get(rid.key)
    if breach is not None:
        revert = replace(revert, summary="remove it: " + _breach_reason(breach))
        adopt = Remedy(Way.ADOPT, "not offered: " + _breach_reason(breach), "-")
    elif to is None:
        adopt = Remedy(Way.ADOPT, "no azurerm type is known for it: adopt by hand", "-")
    else:
        adopt = Remedy(
            Way.ADOPT,
            f"import it into the {ctx.environment} state",
            f"import {{ to = {to}, id = {hcl_string(str(canonical_id(rid)))} }}",
            "import",
        )
    return Proposal(finding, to or str(canonical_id(rid)), revert, adopt)
