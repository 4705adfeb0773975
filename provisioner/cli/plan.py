"""`azprov plan` and `azprov apply`: terraform per environment, with a saved, checked plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from provisioner import pipeline
from provisioner.cli.common import (
    ArmEndpointOption,
    AzureAccess,
    ConfigOption,
    EnvOption,
    SubscriptionOption,
    TimeoutOption,
    azure_reader,
    finding_filter,
    reports_errors,
    say,
    settings_and_env,
    terminal_for,
    working,
)
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
from provisioner.input_files import read_text
from provisioner.live import DEFAULT_ARM_ENDPOINT, DEFAULT_TIMEOUT_S
from provisioner.reporters import table
from provisioner.state.plan import Action, Plan, ResourceChange, parse_plan
from provisioner.terraform.runner import git_commit
from provisioner.terraform.saved_plan import (
    PlanMeta,
    SavedPlanError,
    SavedPlanPaths,
    config_sha256,
    file_sha256,
    stale_reason,
)


def current_meta(settings: Settings, env: Environment, has_changes: bool = False) -> PlanMeta:
    """What a plan made now, from this checkout, would record."""
    var_file = require_var_file(settings, env)
    return PlanMeta(
        environment=env.name,
        state_key=env.state_key,
        git_commit=git_commit(Path.cwd()),
        var_file=str(var_file),
        var_file_sha256=file_sha256(var_file),
        config_sha256=config_sha256(settings.terraform_dir),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        has_changes=has_changes,
    )


@reports_errors
def plan(
    env: EnvOption,
    var: VarOption = None,
    config: ConfigOption = None,
) -> None:
    """Run `terraform plan` for one environment and save the plan for `azprov apply`.

    Runs init with the environment's state key, then plan with its var-file. Saves
    .azprov/ENV/tfplan, tfplan.json and plan-meta.json (environment, git commit, var-file
    hash), and prints what the plan creates, updates, replaces and destroys (destructive
    changes first) and the drift terraform saw.

    Exit codes, like `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.

    Examples:

    \b
      azprov plan --env test
      azprov plan --env prod \\
        --var backend_image_tag=9b1d7aa --var frontend_image_tag=9b1d7aa
    """
    settings, environment = settings_and_env(config, env)
    variables = check_variables(var)
    require_var_file(settings, environment)
    refuse_other_environments_files(settings, environment)
    paths = SavedPlanPaths.for_env(environment.name)
    paths.directory.mkdir(parents=True, exist_ok=True)
    for old in (paths.meta, paths.planfile, paths.plan_json):
        old.unlink(missing_ok=True)  # a failed plan must not leave an older one applicable
    terraform = terraform_for(settings)
    terraform.init(environment.state_key)
    code = terraform.plan(environment.var_file, paths.planfile, variables)
    with working(f"reading the saved plan (terraform show {paths.planfile})"):
        text = terraform.show_plan_json(paths.planfile)
    paths.plan_json.write_text(text, encoding="utf-8")
    parsed = parse_plan(text, source=str(paths.plan_json))
    meta = current_meta(settings, environment, has_changes=code == 2)
    paths.meta.write_text(meta.to_json(), encoding="utf-8")
    typer.echo(plan_summary(parsed, environment.name))
    say(
        f"saved {paths.planfile} and {paths.plan_json}; apply it with "
        f"`azprov apply --env {environment.name}`"
    )
    raise typer.Exit(code)


def _line(change: ResourceChange) -> str:
    text = f"  {change.action.symbol:>3} {change.action.value:<8} {change.address}"
    if change.replace_reasons:
        text += f" (forced by {', '.join(change.replace_reasons)})"
    if change.action is Action.UPDATE:
        names = [c.path for c in change.changes if not c.unknown_after]
        if names:
            text += f": {', '.join(names[:5])}" + (" ..." if len(names) > 5 else "")
    return text


def plan_summary(parsed: Plan, environment: str) -> str:
    """The plan in the words a reviewer needs: counts, destructive changes first, drift."""
    counts = (
        f"{parsed.count(Action.CREATE)} to create, {parsed.count(Action.UPDATE)} to update, "
        f"{parsed.count(Action.REPLACE)} to replace, {parsed.count(Action.DELETE)} to destroy"
    )
    lines = [f"Plan for {environment}: {counts}"]
    if parsed.imports:
        lines[0] += f", {len(parsed.imports)} to import"
    if parsed.destructive:
        lines += ["", "Destructive changes:"]
        lines += [_line(c) for c in parsed.destructive]
    rest = [c for c in parsed.changes if not c.destructive]
    if rest:
        lines += ["", "Other changes:"]
        lines += [_line(c) for c in sorted(rest, key=lambda c: (c.action.value, c.address))]
    if parsed.resource_drift:
        lines += ["", "Changed outside Terraform (terraform saw this drift):"]
        for drift in parsed.resource_drift:
            what = ", ".join(c.path for c in drift.changes) or drift.action.value
            verb = "deleted" if drift.action is Action.DELETE else "changed"
            lines.append(f"  {drift.address} {verb}" + (f": {what}" if verb == "changed" else ""))
    if not parsed.has_changes:
        lines += ["No changes: the infrastructure matches the configuration."]
    return "\n".join(lines)


def load_saved(paths: SavedPlanPaths, env: Environment) -> PlanMeta:
    if not paths.meta.is_file() or not paths.planfile.is_file():
        raise SavedPlanError(
            f"no saved plan for {env.name} in {paths.directory}: "
            f"run `azprov plan --env {env.name}` first"
        )
    text = read_text(paths.meta, "saved plan record", SavedPlanError)
    return PlanMeta.from_json(text, str(paths.meta))


@reports_errors
def apply(
    env: EnvOption,
    yes: YesOption = False,
    subscription: SubscriptionOption = None,
    arm_endpoint: ArmEndpointOption = DEFAULT_ARM_ENDPOINT,
    timeout: TimeoutOption = DEFAULT_TIMEOUT_S,
    config: ConfigOption = None,
) -> None:
    """Apply the plan `azprov plan` saved for this environment, then verify it.

    Refuses a plan made for another environment, at another commit, or before the
    var-file or the configuration changed. Asks for confirmation unless --yes (and refuses
    without a terminal). After the apply, runs `azprov verify` for the environment.

    Exit codes: 0 applied and clean, 2 applied but verify found drift, 1 error.

    Examples:

    \b
      azprov apply --env test
      azprov apply --env prod --yes
    """
    settings, environment = settings_and_env(config, env)
    paths = SavedPlanPaths.for_env(environment.name)
    saved = load_saved(paths, environment)
    reason = stale_reason(saved, current_meta(settings, environment))
    if reason:
        raise SavedPlanError(f"{reason}: run `azprov plan --env {environment.name}` again")
    terraform = terraform_for(settings)
    if saved.has_changes:
        confirm(f"Apply {paths.planfile} to {environment.name}?", yes)
        terraform.init(environment.state_key)
        terraform.apply(paths.planfile)
        # A saved plan cannot be applied twice; drop it so nobody tries.
        paths.planfile.unlink(missing_ok=True)
        paths.meta.unlink(missing_ok=True)
    else:
        say(f"the saved plan for {environment.name} has no changes")
        terraform.init(environment.state_key)
    analysis = pipeline.verify(
        environment,
        terraform_state_reader(terraform, environment, initialized=True),
        azure_reader(AzureAccess(arm_endpoint, timeout_s=timeout)),
        subscription_override=subscription,
        finding_filter=finding_filter(settings, environment),
    )
    typer.echo(table.render(analysis, terminal_for(to_stdout=True)), nl=False)
    raise typer.Exit(analysis.exit_code)
