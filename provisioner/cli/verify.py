"""`azprov verify`: drift between an environment's Terraform state and live Azure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer

from provisioner import pipeline
from provisioner.cli.common import (
    ActivityLogOption,
    ArmEndpointOption,
    AttributionOption,
    AzureAccess,
    BaselineOption,
    ConfigOption,
    EnvOption,
    FailOn,
    FailOnOption,
    FailOnSeverityOption,
    LookBackOption,
    ResourceGraphOption,
    SubscriptionOption,
    TimeoutOption,
    activity_explainer,
    cli_checks,
    finding_filter,
    gate,
    live_reader,
    reports_errors,
    settings_and_env,
    state_reader,
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
from provisioner.errors import ConfigError
from provisioner.live import DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_S
from provisioner.model import Severity
from provisioner.pipeline.baseline import load_baseline, with_baseline
from provisioner.reporters import FORMATS, sarif, table
from provisioner.reporters.common import verdict

VERIFY_FORMATS = ("table", "json", "markdown", "sarif")


@reports_errors
def verify(
    env: EnvOption,
    state: StatesOption = None,
    live: LivesOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    output_format: Annotated[FormatsOption, format_option(VERIFY_FORMATS, "table")] = None,
    output: OutputsOption = None,
    output_dir: OutputDirOption = None,
    config: ConfigOption = None,
    resource_graph: ResourceGraphOption = True,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    attribution: AttributionOption = True,
    activity_log: ActivityLogOption = False,
    look_back: LookBackOption = 7,
    baseline: BaselineOption = None,
    fail_on: FailOnOption = FailOn.any,
    fail_on_severity: FailOnSeverityOption = Severity.LOW,
) -> None:
    """Check an environment against its Terraform state, its policy and the other environments.

    Drift: attributes changed in Azure, resources deleted out of band (missing) or created
    by hand (unmanaged). Policy: the rules of `azprov.toml` on what runs now. Isolation:
    nothing points at another environment's resources. Needs only the Reader role; never
    writes.

    The other environments are read like the target: from terraform and Azure, or from
    `--state ENV=FILE` / `--live ENV=FILE`.

    Findings can be kept out of the report, always with a reason: Terraform's own
    `lifecycle { ignore_changes }`, the environment's `ignore` list and its suppressions
    in azprov.toml (see `suppressed` in the JSON report).

    Exit codes: 0 clean, 2 findings (with --fail-on / --fail-on-severity: only those),
    1 error or incomplete read.

    Examples:

    \b
      azprov verify --env prod
      azprov verify --env prod --state prod.tfstate --format json -o drift.json
      azprov verify --env prod -f markdown,json,sarif --output-dir reports
      azprov verify --env prod -f json -o today.json --baseline yesterday.json \\
        --fail-on new
      azprov verify --env prod \\
        --state examples/prod.tfstate.json --live examples/prod.live.json \\
        --state test=examples/test.tfstate.json \\
        --live test=examples/test.live.json
    """
    settings, environment = settings_and_env(config, env)
    exit_gate = gate(fail_on, fail_on_severity, baseline)
    if activity_log and live and any("=" not in value for value in live):
        raise ConfigError(
            "--activity-log reads Azure, and --live replays a snapshot offline: use one"
        )
    known = load_baseline(baseline, environment.name) if baseline else None
    targets = report_targets(
        "verify",
        environment.name,
        output_format,
        output,
        output_dir,
        choices=VERIFY_FORMATS,
        default="table",
    )
    sources = parse_sources(environment.name, state, live, settings.environments)
    quiet = not any(t.format == "table" and t.to_stdout for t in targets)
    access = AzureAccess(arm_endpoint, resource_graph, timeout, quiet, attribution)
    read_live, source = live_reader(sources.target_live, environment.name, access)
    analysis = pipeline.verify(
        environment,
        state_reader(settings, environment, sources.target_state),
        read_live,
        subscription_override=subscription,
        live_source=source,
        checks=cli_checks(settings, sources, access),
        finding_filter=finding_filter(settings, environment),
        system_severity=Severity(settings.system_severity),
        explain=activity_explainer(access, look_back) if activity_log else None,
    )
    if known is not None:
        analysis = with_baseline(analysis, known, datetime.now(UTC))
    analysis = replace(analysis, gate=exit_gate)

    def render(target: Target) -> str:
        if target.format == "table":
            return table.render(analysis, terminal_for(target.to_stdout))
        if target.format == "sarif":
            return sarif.render(
                analysis, terraform_locator(settings.terraform_dir), information_uri()
            )
        return FORMATS[target.format](analysis)

    write_reports(targets, render, verdict(analysis))
    raise typer.Exit(analysis.exit_code)
