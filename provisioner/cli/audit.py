"""`azprov audit`: the one-page report a reviewer approves a deploy from."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from provisioner import pipeline
from provisioner.analysers.isolation import EnvironmentData, isolation_findings
from provisioner.analysers.policy import planned_resources, policy_findings, rules_for
from provisioner.audit import (
    GITHUB_SUMMARY_LIMIT,
    Comparison,
    addresses_by_id,
    build_report,
    images_in_bodies,
    images_in_state,
    render_html,
    render_json,
    render_markdown,
    render_sarif,
    render_terminal,
)
from provisioner.cli.common import (
    ArmEndpointOption,
    AttributionOption,
    AzureAccess,
    ConfigOption,
    EnvOption,
    ResourceGraphOption,
    SubscriptionOption,
    TimeoutOption,
    cli_checks,
    finding_filter,
    live_reader,
    reports_errors,
    settings_and_env,
    state_reader,
    stdout_is_terminal,
    terminal_for,
)
from provisioner.cli.outputs import (
    FormatsOption,
    OutputDirOption,
    OutputsOption,
    Target,
    format_option,
    information_uri,
    report_targets,
    terraform_locator,
    write_reports,
)
from provisioner.cli.sources import LivesOption, StatesOption, parse_sources
from provisioner.config import Environment, Settings
from provisioner.errors import AzprovError, ConfigError
from provisioner.input_files import parse_json, read_text
from provisioner.live import DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_S
from provisioner.model import Finding, Severity
from provisioner.state import StateDocument, state_from_document
from provisioner.state.plan import Plan, PlanError, plan_from_document
from provisioner.terraform.saved_plan import PlanMeta, SavedPlanPaths

AUDIT_FORMATS = ("markdown", "html", "json", "sarif", "table")
META_FILE = SavedPlanPaths(Path()).meta.name
_COMMIT = re.compile(r"[0-9a-f]{40}")

PlanOption = Annotated[
    Path,
    typer.Option(
        "--plan",
        help="The plan as JSON: `terraform show -json tfplan > tfplan.json`.",
        dir_okay=False,
    ),
]
CompareOption = Annotated[
    str | None,
    typer.Option(
        "--compare",
        help="Environment whose running images are set beside the plan's "
        "(default: the only other environment, e.g. test for prod).",
    ),
]
MaxBytesOption = Annotated[
    int,
    typer.Option(
        "--max-bytes",
        help="Largest Markdown report; longer lists are cut with a pointer to --artifact "
        "(default: GitHub's 1 MiB job-summary limit).",
    ),
]
PlanOnlyOption = Annotated[
    bool,
    typer.Option(
        "--plan-only",
        help="Audit the plan with nothing else: its own prior_state is the state; no "
        "terraform, no Azure, no other environment. The report says live drift and live "
        "isolation were not checked. Works on any `terraform show -json` plan.",
    ),
]
ArtifactOption = Annotated[
    str | None,
    typer.Option(
        "--artifact",
        help="Where the full report is kept (named in a shortened Markdown report; "
        "default: the HTML report's file name when one is written, else audit.html).",
        show_default=False,
    ),
]


@reports_errors
def audit(
    env: EnvOption,
    plan: PlanOption,
    state: StatesOption = None,
    live: LivesOption = None,
    compare: CompareOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    output_format: Annotated[
        FormatsOption, format_option(AUDIT_FORMATS, "table on a terminal, else markdown")
    ] = None,
    output: OutputsOption = None,
    output_dir: OutputDirOption = None,
    config: ConfigOption = None,
    resource_graph: ResourceGraphOption = True,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    attribution: AttributionOption = True,
    max_bytes: MaxBytesOption = GITHUB_SUMMARY_LIMIT,
    artifact: ArtifactOption = None,
    plan_only: PlanOnlyOption = False,
) -> None:
    """The pre-approval report for a plan: what it changes and what it would overwrite.

    Verdict and counts; destructive changes first (with the attribute forcing each
    replacement), then updates (before -> after) and creates; the images being deployed;
    live drift the apply would overwrite; isolation and policy findings, on the plan and
    on Azure; and what the other environment runs now beside what this one will run.
    Sensitive values never appear.

    The environment's state and the other environments are read as `verify` reads them.

    Exit codes: 0 nothing for a reviewer, 2 destructive changes or findings, 1 error or
    incomplete read.

    Examples:

    \b
      terraform -chdir=terraform show -json tfplan > tfplan.json
      azprov audit --env prod --plan tfplan.json
      azprov audit --env prod --plan tfplan.json -f markdown \\
        >> "$GITHUB_STEP_SUMMARY"
      azprov audit --env prod --plan tfplan.json --format html -o audit.html
      azprov audit --env prod --plan tfplan.json \\
        -f markdown,html,json,sarif --output-dir reports
      azprov audit --env prod --plan tfplan.json --plan-only
      azprov audit --env prod --plan examples/prod.tfplan.json \\
        --state examples/prod.tfstate.json --live examples/prod.live.json \\
        --state test=examples/test.tfstate.json \\
        --live test=examples/test.live.json
    """
    settings, environment = settings_and_env(config, env)
    targets = report_targets(
        "audit",
        environment.name,
        output_format,
        output,
        output_dir,
        choices=AUDIT_FORMATS,
        # Raw Markdown is for job summaries; a person at a terminal gets the tables.
        default="table" if stdout_is_terminal() and not (output or output_dir) else "markdown",
    )
    if plan_only:
        refuse_reads_beside_plan_only(state, live, compare)
    plan_file = load_plan(plan, environment.name)
    planned = plan_file.plan
    ruleset = rules_for(settings, environment.name)
    on_plan = policy_findings(planned_resources(planned), ruleset, "plan")
    made = plan_origin(plan, environment.name)
    if plan_only:
        report = build_report(
            environment.name,
            planned,
            None,
            findings=finding_filter(settings, environment)
            .apply([*on_plan, *isolation_within_plan(settings, environment, plan_file)])
            .kept,
            notes=[*(o.line for o in ruleset.overrides), PLAN_ONLY_NOTE],
            plan_source=str(plan),
            generated_at=datetime.now(UTC),
            commit=made.commit,
            made_at=made.created_at,
            plan_only=True,
        )
    else:
        sources = parse_sources(environment.name, state, live, settings.environments)
        access = AzureAccess(arm_endpoint, resource_graph, timeout, True, attribution)
        read_live, source = live_reader(sources.target_live, environment.name, access)
        examination = pipeline.examine(
            environment,
            state_reader(settings, environment, sources.target_state),
            read_live,
            subscription_override=subscription,
            live_source=source,
            checks=cli_checks(settings, sources, access, ruleset, planned),
            finding_filter=finding_filter(settings, environment),
            system_severity=Severity(settings.system_severity),
        )
        report = build_report(
            environment.name,
            planned,
            examination.analysis,
            findings=examination.finding_filter.apply(on_plan).kept,
            compare=comparison(examination.others, compare, sources.lives),
            plan_source=str(plan),
            generated_at=datetime.now(UTC),
            commit=made.commit,
            made_at=made.created_at,
        )
    html = next((t.path.name for t in targets if t.format == "html" and t.path), None)
    pointer = artifact or html or "audit.html"

    def render(target: Target) -> str:
        if target.format == "table":
            return render_terminal(report, terminal_for(target.to_stdout))
        if target.format == "markdown":
            return render_markdown(report, limit=max_bytes, artifact=pointer)
        if target.format == "sarif":
            return render_sarif(
                report, terraform_locator(settings.terraform_dir), information_uri()
            )
        return (render_html if target.format == "html" else render_json)(report)

    write_reports(targets, render, report.verdict)
    raise typer.Exit(report.exit_code)


@dataclass(frozen=True)
class PlanFile:
    """A plan JSON file: the plan, and the state it was made against (`prior_state`)."""

    plan: Plan
    prior_state: StateDocument


def load_plan(path: Path, environment: str) -> PlanFile:
    """The plan JSON at `path`; refused if its `environment` variable names another one."""
    if not path.exists():
        raise AzprovError(
            f"plan not found: {path} (write it with `terraform show -json tfplan > {path}`)"
        )
    doc = parse_json(read_text(path, "plan", PlanError), str(path), PlanError)
    planned = plan_from_document(doc, str(path))
    named = _variable(doc, "environment")
    if isinstance(named, str) and named != environment:
        raise AzprovError(
            f"{path} is a plan for environment {named!r}, not {environment!r}; "
            f"run `azprov audit --env {named}` or plan with {environment}.tfvars"
        )
    # A plan made with no state yet has no prior_state: everything in it is a create.
    return PlanFile(planned, state_from_document(doc, f"{path} (prior_state)"))


PLAN_ONLY_NOTE = (
    "isolation not checked against live Azure or the other environments (--plan-only): "
    "only the plan and its prior_state were scanned, for references and tags that name "
    "another environment"
)


def refuse_reads_beside_plan_only(
    state: Sequence[str] | None, live: Sequence[str] | None, compare: str | None
) -> None:
    """--plan-only reads the plan alone; an option that would read more is a contradiction."""
    options = {"--state": state, "--live": live, "--compare": compare}
    given = [name for name, value in options.items() if value]
    if given:
        raise ConfigError(
            f"--plan-only reads nothing but the plan; drop {' and '.join(given)}, "
            "or drop --plan-only to read them"
        )


def isolation_within_plan(
    settings: Settings, environment: Environment, plan_file: PlanFile
) -> list[Finding]:
    """Isolation findings from the plan and its prior_state alone.

    The other environments are known by name and state key only (nothing of theirs is
    read), so what is found is what the plan itself says: tags naming another environment,
    and a state key shared with one.
    """
    target = EnvironmentData(
        environment.name, environment.state_key, plan_file.prior_state, None, plan_file.plan
    )
    others = [
        EnvironmentData(other.name, other.state_key)
        for other in settings.environments.values()
        if other.name != environment.name
    ]
    return isolation_findings(target, others, settings.shared)


@dataclass(frozen=True)
class PlanOrigin:
    """When and from which commit a plan was made, as far as azprov can tell."""

    commit: str | None = None
    created_at: str | None = None


def plan_origin(path: Path, environment: str) -> PlanOrigin:
    """What `azprov plan` recorded beside the plan (`plan-meta.json`), else $GITHUB_SHA.

    The record is used only when it is for this environment; an unreadable one is ignored,
    because the audit does not depend on it.
    """
    meta_path = path.parent / META_FILE
    if meta_path.is_file():
        try:
            meta = PlanMeta.from_json(meta_path.read_text(encoding="utf-8"), str(meta_path))
        except (AzprovError, OSError, UnicodeDecodeError):
            meta = None
        if meta is not None and meta.environment == environment:
            return PlanOrigin(meta.git_commit, meta.created_at)
    sha = os.environ.get("GITHUB_SHA", "")
    return PlanOrigin(sha if _COMMIT.fullmatch(sha) else None)


def _variable(doc: Any, name: str) -> Any:
    variables = doc.get("variables") if isinstance(doc, dict) else None
    entry = variables.get(name) if isinstance(variables, dict) else None
    return entry.get("value") if isinstance(entry, dict) else None


def comparison(
    others: Sequence[EnvironmentData], name: str | None, lives: Mapping[str, Path]
) -> Comparison | None:
    """What `name` (default: the only other environment read) runs: live if read, else state."""
    readable = [o for o in others if o.state is not None]
    if name is None:
        if len(readable) != 1:
            return None
        chosen = readable[0]
    else:
        matches = [o for o in others if o.name == name]
        if not matches:
            known = ", ".join(o.name for o in others) or "none"
            raise AzprovError(f"--compare {name}: not another environment (others: {known})")
        chosen = matches[0]
    if chosen.state is None:
        return None
    if chosen.live is not None:
        where = f"snapshot {lives[chosen.name]}" if chosen.name in lives else "Azure"
        images = images_in_bodies(chosen.live, addresses_by_id(chosen.state))
        return Comparison(chosen.name, where, images)
    return Comparison(chosen.name, "Terraform state", images_in_state(chosen.state))
