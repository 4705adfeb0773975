"""`--state [ENV=]FILE` and `--live [ENV=]FILE`: where each environment's two sides come from.

The isolation check needs every environment, not only the target. A bare path belongs to
the target environment; `test=FILE` names another. An environment without a file is read
the way the target is: from terraform and Azure when the target is, and otherwise left out
of the isolation check with a note saying which option would bring it in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from provisioner.config import Environment, Settings
from provisioner.errors import AzprovError
from provisioner.live import Inventory, load_snapshot
from provisioner.pipeline.checks import OtherEnvironment
from provisioner.pipeline.scope import Scope
from provisioner.state import StateDocument

StatesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--state",
        metavar="[ENV=]FILE",
        help="Read a state from this file (terraform.tfstate or `terraform show -json` output) "
        "instead of asking terraform. A bare FILE is the target environment's; ENV=FILE "
        "another's, for the isolation check. Repeatable.",
    ),
]
LivesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--live",
        metavar="[ENV=]FILE",
        help="Replay a snapshot written by `azprov snapshot` instead of reading Azure. A bare "
        "FILE is the target environment's; ENV=FILE another's. Repeatable.",
    ),
]


@dataclass(frozen=True)
class Sources:
    """Files given on the command line, by environment name."""

    target: str
    states: Mapping[str, Path]
    lives: Mapping[str, Path]

    @property
    def target_state(self) -> Path | None:
        return self.states.get(self.target)

    @property
    def target_live(self) -> Path | None:
        return self.lives.get(self.target)


def parse_sources(
    target: str, states: Sequence[str] | None, lives: Sequence[str] | None, known: Collection[str]
) -> Sources:
    """Split `[ENV=]FILE` values; a prefix that is not a known environment is part of the path."""
    return Sources(
        target=target,
        states=_by_environment("--state", target, states or (), known),
        lives=_by_environment("--live", target, lives or (), known),
    )


def _by_environment(
    option: str, target: str, values: Sequence[str], known: Collection[str]
) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if sep and name not in known and not Path(value).exists():
            names = ", ".join(sorted(known))
            raise AzprovError(f"{option} {value}: unknown environment {name!r} (known: {names})")
        env, path = (name, rest) if sep and name in known else (target, value)
        if not path:
            raise AzprovError(f"{option} {value}: the file name is missing")
        if env in found:
            raise AzprovError(f"{option} is given twice for environment {env}")
        found[env] = Path(path)
    return found


def other_environments(
    settings: Settings,
    sources: Sources,
    state_reader: Callable[[Environment, Path | None], Callable[[], StateDocument]],
    azure_reader: Callable[[], Callable[[Scope], Inventory]],
) -> list[OtherEnvironment]:
    """Every configured environment but the target, each with its readers.

    Files win. Without one, an environment is read like the target (terraform for state,
    Azure for live); when the target itself comes from files, it is skipped instead, so an
    offline run never reaches for terraform or Azure behind the user's back.
    """
    target_from_terraform = sources.target_state is None
    target_from_azure = sources.target_live is None
    others = []
    for name, env in sorted(settings.environments.items()):
        if name == sources.target:
            continue
        state_file, live_file = sources.states.get(name), sources.lives.get(name)
        if state_file is None and not target_from_terraform:
            why = (
                f"isolation not checked against {name}: pass --state {name}=FILE "
                f"(and --live {name}=FILE for its live side)"
            )
            others.append(OtherEnvironment(env, skipped=why))
            continue
        read_live: Callable[[Scope], Inventory] | None = None
        note = None
        if live_file is not None:
            read_live = snapshot_reader(live_file, name)
        elif target_from_azure:
            read_live = azure_reader()
        else:
            note = (
                f"isolation against {name} used its state only: pass --live {name}=FILE "
                "for what runs there"
            )
        offline = state_file is not None and (live_file is not None or read_live is None)
        others.append(
            OtherEnvironment(
                env, state_reader(env, state_file), read_live, note=note, offline=offline
            )
        )
    return others


def snapshot_reader(path: Path, environment: str) -> Callable[[Scope], Inventory]:
    """The live side from a snapshot file (checked to be `environment`'s when read)."""
    return lambda _scope: load_snapshot(path, environment)
