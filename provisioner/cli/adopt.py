"""`azprov import` and `azprov reconcile`: adopt or revert what drifted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import StringIO
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from provisioner import pipeline
from provisioner.cli.common import (
    ArmEndpointOption,
    AzureAccess,
    ConfigOption,
    EnvOption,
    FormatOption,
    OutputFormat,
    SubscriptionOption,
    TimeoutOption,
    cli_checks,
    emit,
    finding_filter,
    live_reader,
    reports_errors,
    say,
    settings_and_env,
    to_file,
)
from provisioner.cli.sources import LivesOption, StatesOption, parse_sources
from provisioner.cli.tf_common import (
    VarOption,
    YesOption,
    check_variables,
    confirm,
    refuse_other_environments_files,
    require_var_file,
    terraform_for,
    terraform_state_reader,
)
from provisioner.config import Environment, Settings
from provisioner.errors import ConfigError
from provisioner.live import DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_S
from provisioner.model import Analysis, Finding, ResourceId, Severity, clean_text
from provisioner.reporters.markdown_text import code, text
from provisioner.state import StateDocument, load_state
from provisioner.terraform.adoption import (
    ImportPlan,
    Proposal,
    ReconcileContext,
    Remedy,
    Way,
    breaches,
    import_plan,
    proposals,
    render_imports,
)
from provisioner.terraform.configuration import TerraformConfig, read_config, var_file_line
from provisioner.terraform.saved_plan import SavedPlanPaths


@dataclass(frozen=True)
class Survey:
    analysis: Analysis
    state: StateDocument
    config: TerraformConfig


def survey(
    settings: Settings,
    env: Environment,
    states: list[str] | None,
    lives: list[str] | None,
    subscription: str | None,
    access: AzureAccess,
) -> Survey:
    """Run verify for the environment the same way `azprov verify` does: drift, policy and
    isolation (a resource that is itself a breach is never offered for adoption)."""
    sources = parse_sources(env.name, states, lives, settings.environments)
    state = sources.target_state
    document = (
        load_state(state)
        if state is not None
        else terraform_state_reader(terraform_for(settings), env)()
    )
    read_live, source = live_reader(sources.target_live, env.name, access)
    analysis = pipeline.verify(
        env,
        lambda: document,
        read_live,
        subscription_override=subscription,
        live_source=source,
        checks=cli_checks(settings, sources, access),
        finding_filter=finding_filter(settings, env),
        system_severity=Severity(settings.system_severity),
    )
    if analysis.unread:
        say(
            "azprov: warning: part of the environment could not be read; "
            "the list below may be incomplete"
        )
    return Survey(analysis, document, read_config(settings.terraform_dir))


def imports_for(found: Survey) -> ImportPlan:
    taken = {r.address for r in found.state.resources} | found.config.addresses
    return import_plan(found.analysis.findings, taken)


ImportOutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here instead of terraform/imports.ENV.tf; `-` for stdout."
    ),
]


@reports_errors
def import_(
    env: EnvOption,
    state: StatesOption = None,
    live: LivesOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    output: ImportOutputOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    generate_config: Annotated[
        bool,
        typer.Option(
            "--generate-config",
            help="Then run `terraform plan -generate-config-out=generated.ENV.tf` for HCL.",
        ),
    ] = False,
    var: VarOption = None,
    config: ConfigOption = None,
) -> None:
    """Write Terraform `import {}` blocks for resources that exist only in Azure.

    Every `unmanaged` finding of verify becomes a block whose `to` is a readable address
    derived from the Azure name and whose `id` is the ARM ID in the form the azurerm
    importer accepts. Types with no azurerm resource are skipped with a note. Writes
    terraform/imports.ENV.tf (refusing to overwrite it without --force).

    Examples:

    \b
      azprov import --env prod
      azprov import --env prod --state prod.tfstate.json \\
        --live prod.live.json -o -
      azprov import --env prod --generate-config
    """
    settings, environment = settings_and_env(config, env)
    variables = check_variables(var)
    to_stdout = to_file(output) is None and output is not None
    if to_stdout and generate_config:
        raise ConfigError("--generate-config needs the blocks in the terraform directory, not -o -")
    access = AzureAccess(arm_endpoint, timeout_s=timeout, quiet=True)
    found = survey(settings, environment, state, live, subscription, access)
    planned = imports_for(found)
    for skipped in planned.skipped:
        say(f"azprov: skipped {skipped.resource_id}: {skipped.reason}")
    if not planned.blocks:
        say(f"nothing to import: {environment.name} has no unmanaged resources azprov can adopt")
        raise typer.Exit(0)
    text = render_imports(planned, environment.name)
    if to_stdout:
        emit(text, None)
        raise typer.Exit(0)
    target = output or settings.terraform_dir / f"imports.{environment.name}.tf"
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists: review and remove it, or pass --force")
    emit(text, target)
    if generate_config:
        generate(settings, environment, variables)
    raise typer.Exit(0)


def generate(settings: Settings, env: Environment, variables: Sequence[str]) -> None:
    """`terraform plan -generate-config-out` so the user gets HCL for the imported resources."""
    require_var_file(settings, env)
    refuse_other_environments_files(settings, env)
    name = f"generated.{env.name}.tf"
    if (settings.terraform_dir / name).exists():
        raise ConfigError(f"{settings.terraform_dir / name} already exists: review or remove it")
    terraform = terraform_for(settings)
    terraform.init(env.state_key)
    terraform.plan(env.var_file, None, variables, generate_config_out=name)
    say(
        f"wrote {settings.terraform_dir / name}: review it, move the blocks you keep into the "
        f"configuration, then `azprov plan --env {env.name}`"
    )


# -- reconcile -----------------------------------------------------------------------------


class ApplyChoice(StrEnum):
    revert = "revert"
    adopt = "adopt"


def var_lines(var_file: Path) -> dict[str, tuple[int, str]]:
    """Every variable the var-file sets, with its line number and text."""
    if not var_file.is_file():
        return {}
    import hcl2  # slow to import; only reconcile needs it

    with var_file.open(encoding="utf-8") as handle:
        names = [k for k in hcl2.load(handle) if not k.startswith("__")]
    out = {}
    for name in names:
        found = var_file_line(var_file, name)
        if found is not None:
            out[name] = (found.line, found.text)
    return out


def _row(p: Proposal) -> dict[str, object]:
    def remedy(r: Remedy) -> dict[str, object]:
        return {"summary": r.summary, "step": r.step, "automatic": r.action is not None}

    return {
        "target": p.target,
        "kind": p.finding.kind.value,
        "resource_id": p.finding.resource_id,
        "attribute": p.finding.attribute,
        "finding": p.finding.message,
        "changed_by": p.finding.attribution.line() if p.finding.attribution else None,
        "revert": remedy(p.revert),
        "adopt": remedy(p.adopt),
    }


def _explained(finding: Finding) -> str:
    """The finding, and who made the change when Azure recorded it."""
    who = finding.attribution
    return f"{finding.message} ({who.line()})" if who else finding.message


def render_proposals(items: list[Proposal], fmt: OutputFormat, env: str) -> str:
    if fmt is OutputFormat.json:
        return (
            json.dumps({"environment": env, "proposals": [_row(p) for p in items]}, indent=2) + "\n"
        )
    if fmt is OutputFormat.markdown:
        lines = [
            f"## Reconcile {env}",
            "",
            "| target | finding | revert | adopt |",
            "|---|---|---|---|",
        ]
        for p in items:
            cells = [
                code(p.target),
                text(_explained(p.finding), 400),
                f"{text(p.revert.summary, 400)}: {code(p.revert.step, 400)}",
                f"{text(p.adopt.summary, 400)}: {code(p.adopt.step, 400)}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    table = Table(title=f"Reconcile {env}: {len(items)} finding(s)", show_lines=True)
    for column in ("target", "finding", "revert", "adopt"):
        table.add_column(column, overflow="fold")
    for p in items:
        table.add_row(
            *(
                Text(clean_text(cell))
                for cell in (
                    p.target,
                    _explained(p.finding),
                    f"{p.revert.summary}\n{p.revert.step}",
                    f"{p.adopt.summary}\n{p.adopt.step}",
                )
            )
        )
    buffer = StringIO()
    Console(file=buffer, width=160, highlight=False, color_system=None).print(table)
    return buffer.getvalue()


@reports_errors
def reconcile(
    env: EnvOption,
    state: StatesOption = None,
    live: LivesOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    output_format: FormatOption = OutputFormat.table,
    apply: Annotated[
        ApplyChoice | None,
        typer.Option(
            "--apply",
            help="Carry out the revert or the adopt steps (only those azprov can do).",
            case_sensitive=False,
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Only this target (address); repeatable."),
    ] = None,
    yes: YesOption = False,
    var: VarOption = None,
    config: ConfigOption = None,
) -> None:
    """Propose, per drift finding, the two ways out: revert Azure or adopt the live value.

    Revert: terraform apply puts Azure back (shown as a targeted plan command). Adopt: the
    change that makes the live value the truth: the var-file line to edit, `terraform
    state rm` for deleted resources, an import block for unmanaged ones. Nothing changes
    unless --apply revert|adopt is given and confirmed (or --yes); azprov never deletes in
    Azure.

    Exit codes: 0 nothing to reconcile or all applied, 2 proposals shown, 1 error.

    Examples:

    \b
      azprov reconcile --env prod
      azprov reconcile --env prod --format markdown
      azprov reconcile --env prod --apply adopt \\
        --only azurerm_postgresql_flexible_server.db
    """
    settings, environment = settings_and_env(config, env)
    variables = check_variables(var)
    access = AzureAccess(arm_endpoint, timeout_s=timeout, quiet=True)
    found = survey(settings, environment, state, live, subscription, access)
    planned = imports_for(found)
    ctx = ReconcileContext(
        environment=environment.name,
        var_file=environment.var_file,
        config=found.config,
        var_lines=var_lines(settings.terraform_dir / environment.var_file),
        import_names={ResourceId.parse(b.id).key: b.to for b in planned.blocks},
        breaches=breaches(found.analysis.findings),
    )
    items = proposals(found.analysis.findings, ctx)
    if apply is None:
        emit(render_proposals(items, output_format, environment.name), None)
        raise typer.Exit(2 if items else 0)
    chosen = choose(items, only or [])
    carry_out(settings, environment, chosen, Way(apply.value), planned, variables, yes)
    raise typer.Exit(0)


def choose(items: list[Proposal], only: list[str]) -> list[Proposal]:
    if not only:
        return items
    known = {p.target for p in items} | {p.finding.address for p in items if p.finding.address}
    unknown = [o for o in only if o not in known]
    if unknown:
        raise ConfigError(
            f"--only {unknown[0]!r} matches no finding; targets: {', '.join(sorted(known))}"
        )
    return [p for p in items if p.target in only or p.finding.address in only]


def carry_out(
    settings: Settings,
    env: Environment,
    chosen: list[Proposal],
    way: Way,
    planned: ImportPlan,
    variables: Sequence[str],
    yes: bool,
) -> None:
    remedies = [(p, p.revert if way is Way.REVERT else p.adopt) for p in chosen]
    doable = [(p, r) for p, r in remedies if r.action is not None]
    for p, r in remedies:
        if r.action is None:
            say(f"azprov: not done for {p.target}: {r.summary}")
    if not doable:
        say("azprov: nothing azprov can do automatically")
        return
    for p, r in doable:
        say(f"  {way.value} {p.target}: {r.step}")
    confirm(f"Carry out these {len(doable)} step(s) on {env.name}?", yes)
    by_action: dict[str, list[tuple[Proposal, Remedy]]] = {}
    for p, r in doable:
        by_action.setdefault(r.action or "", []).append((p, r))
    if "tfvars" in by_action:
        edit_var_file(require_var_file(settings, env), [r for _, r in by_action["tfvars"]])
    if "import" in by_action:
        wanted = {p.target for p, _ in by_action["import"]}
        subset = ImportPlan(tuple(b for b in planned.blocks if b.to in wanted), ())
        target = settings.terraform_dir / f"imports.{env.name}.tf"
        if target.exists():
            raise ConfigError(f"{target} already exists: review and apply or remove it first")
        emit(render_imports(subset, env.name), target)
    if "state-rm" in by_action or "apply" in by_action:
        terraform = terraform_for(settings)
        terraform.init(env.state_key)
        if "state-rm" in by_action:
            terraform.state_rm([p.target for p, _ in by_action["state-rm"]])
        if "apply" in by_action:
            require_var_file(settings, env)
            refuse_other_environments_files(settings, env)
            paths = SavedPlanPaths.for_env(env.name)
            paths.directory.mkdir(parents=True, exist_ok=True)
            planfile = paths.directory / "reconcile.tfplan"
            targets = list(dict.fromkeys(p.target for p, _ in by_action["apply"]))
            if terraform.plan(env.var_file, planfile, variables, targets=targets) == 2:
                terraform.apply(planfile)
            planfile.unlink(missing_ok=True)


def edit_var_file(path: Path, remedies: list[Remedy]) -> None:
    """Rewrite the var-file lines the adopt steps name, keeping everything else as it is."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for remedy in remedies:
        assert remedy.new_line is not None
        name = remedy.new_line.split("=", 1)[0].strip()
        found = var_file_line(path, name)
        if found is None:
            raise ConfigError(f"{name} is no longer set in {path}")
        indent = lines[found.line - 1][
            : len(lines[found.line - 1]) - len(lines[found.line - 1].lstrip())
        ]
        lines[found.line - 1] = f"{indent}{remedy.new_line}\n"
        path.write_text("".join(lines), encoding="utf-8")
    say(f"updated {path}: run `azprov plan --env` to check the result")
