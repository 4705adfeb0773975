"""`azprov verify`: drift between an environment's Terraform state and live Azure."""

from __future__ import annotations

import typer

from provisioner import pipeline
from provisioner.cli.common import (
    ArmEndpointOption,
    ConfigOption,
    EnvOption,
    FormatOption,
    LiveOption,
    OutputFormat,
    OutputOption,
    ResourceGraphOption,
    StateOption,
    SubscriptionOption,
    azure_reader,
    emit,
    live_reader,
    reports_errors,
    settings_and_env,
    state_reader,
)
from provisioner.live import DEFAULT_ARM_ENDPOINT
from provisioner.reporters import FORMATS, table


@reports_errors
def verify(
    env: EnvOption,
    state: StateOption = None,
    live: LiveOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    config: ConfigOption = None,
    resource_graph: ResourceGraphOption = True,
) -> None:
    """Report drift between the environment's Terraform state and live Azure.

    Finds changed attributes, resources deleted out of band (missing) and resources
    created by hand (unmanaged). Needs only the Reader role; never writes.

    Exit codes: 0 clean, 2 findings, 1 error or incomplete read.

    Examples:

      azprov verify --env prod

      azprov verify --env prod --state prod.tfstate --format json -o drift.json

      azprov verify --env prod --state examples/prod.tfstate.json --live examples/prod.live.json
    """
    settings, environment = settings_and_env(config, env)
    quiet = output_format is not OutputFormat.table or output is not None
    read_live, source = live_reader(live, environment.name, arm_endpoint, quiet)
    if live is None and not resource_graph:
        read_live = azure_reader(arm_endpoint, quiet, resource_graph=False)
    analysis = pipeline.verify(
        environment,
        state_reader(settings, environment, state),
        read_live,
        subscription_override=subscription,
        live_source=source,
    )
    if output_format is OutputFormat.table and output is None:
        text = table.render(analysis, color=typer.get_text_stream("stdout").isatty())
    else:
        text = FORMATS[output_format.value](analysis)
    emit(text, output)
    raise typer.Exit(analysis.exit_code)
