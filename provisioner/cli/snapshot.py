"""`azprov snapshot`: capture the live side once, to replay with `verify --live`."""

from __future__ import annotations

from provisioner import pipeline
from provisioner.cli.common import (
    ArmEndpointOption,
    AzureAccess,
    ConfigOption,
    EnvOption,
    OutputOption,
    StateOption,
    SubscriptionOption,
    TimeoutOption,
    azure_reader,
    emit,
    reports_errors,
    settings_and_env,
    state_reader,
    to_file,
)
from provisioner.errors import AzprovError
from provisioner.live import DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_S, snapshot_to_json


@reports_errors
def snapshot(
    env: EnvOption,
    output: OutputOption = None,
    state: StateOption = None,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    config: ConfigOption = None,
) -> None:
    """Save the environment's live Azure resources as JSON (audit evidence, offline review).

    The file holds the ARM bodies as Azure returned them, with every secret replaced by
    `***`, plus when and from which subscription they were read; it is written readable
    by its owner only. Replay it with `azprov verify --live FILE`.

    Without -o (or with `-o -`) the JSON goes to stdout.

    Examples:

    \b
      azprov snapshot --env prod -o live.json
      azprov snapshot --env prod -o - | gzip > live.json.gz
    """
    settings, environment = settings_and_env(config, env)
    ids = pipeline.state_ids(state_reader(settings, environment, state)())
    subscription_id = pipeline.subscription_of(ids, subscription)
    scope = pipeline.scope_for(environment, ids, subscription_id)
    # Lists, not Resource Graph: a snapshot is evidence replayed without a confirming read,
    # so it records what ARM itself returned, never a possibly lagging index.
    target = to_file(output)
    access = AzureAccess(
        arm_endpoint, resource_graph=False, timeout_s=timeout, quiet=target is None
    )
    inventory = azure_reader(access)(scope)
    emit(snapshot_to_json(inventory, environment.name), target, private=True)
    if inventory.unread:
        parts = "; ".join(f"{u.what} under {u.scope}: {u.reason}" for u in inventory.unread)
        raise AzprovError(f"snapshot is incomplete: could not read {parts}")
