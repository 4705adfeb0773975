"""Where `verify` and `audit` send their reports: one read, any number of formats.

`-f markdown,html,json` picks formats; `-o FILE` sends the one format to a file, `-o
FORMAT=FILE` sends that format to a file (repeatable), `-o -` means stdout, and
`--output-dir DIR` writes every format not sent elsewhere to `DIR/<command>-<env>.<ext>`.
What is left goes to stdout, which takes one format at most. Every report is rendered
before any file is written, so a failing renderer leaves no half-written set behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from provisioner.cli.common import STDOUT, emit, say
from provisioner.errors import ConfigError
from provisioner.reporters.sarif import Locator, SourceLocation
from provisioner.terraform.configuration import ResourceBlocks

EXTENSIONS = {"table": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif"}
_FORMAT_WORD = re.compile(r"^([A-Za-z]+)=(.*)$")


def format_option(choices: Sequence[str], default: str) -> Any:
    """`--format/-f`, listing the command's own formats (typer.Option is typed as Any)."""
    return typer.Option(
        "--format",
        "-f",
        metavar="FORMAT[,FORMAT...]",
        help=f"Report format(s), comma-separated or repeated: {', '.join(choices)} "
        f"(default {default}).",
        show_default=False,
    )


FormatsOption = list[str] | None
OutputsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE|FORMAT=FILE|-",
        help="Where a report goes: FILE (one format), FORMAT=FILE (repeatable) or - (stdout).",
        show_default=False,
    ),
]
OutputDirOption = Annotated[
    Path | None,
    typer.Option(
        "--output-dir",
        metavar="DIR",
        help="Write every format not sent elsewhere to DIR/<command>-<env>.<ext>.",
        file_okay=False,
    ),
]


@dataclass(frozen=True)
class Target:
    """One report to write: its format, and its file (None for stdout)."""

    format: str
    path: Path | None

    @property
    def to_stdout(self) -> bool:
        return self.path is None


def _destination(raw: str) -> Path | None:
    return None if raw == STDOUT else Path(raw)


def _chosen(raw: str, choices: Sequence[str], command: str, where: str) -> str:
    name = raw.strip().lower()
    if name not in choices:
        raise ConfigError(
            f"unknown format {raw.strip()!r} in {where} for `azprov {command}` "
            f"(choose from {', '.join(choices)})"
        )
    return name


def report_targets(
    command: str,
    environment: str,
    formats: Sequence[str] | None,
    outputs: Sequence[str] | None,
    output_dir: Path | None,
    *,
    choices: Sequence[str],
    default: str,
) -> list[Target]:
    """Which formats to render and where each goes; a bad combination is a `ConfigError`."""
    listed = list(
        dict.fromkeys(
            _chosen(part, choices, command, "--format")
            for value in formats or ()
            for part in value.split(",")
            if part.strip()
        )
    )
    named: dict[str, Path | None] = {}
    bare: list[str] = []
    for value in outputs or ():
        found = _FORMAT_WORD.match(value)
        if found is None:
            bare.append(value)
            continue
        name = _chosen(found[1], choices, command, f"-o {value}")
        if name in named:
            raise ConfigError(f"-o names format {name} twice")
        if not found[2]:
            raise ConfigError(f"-o {value}: no file after '=' (use {name}=- for stdout)")
        named[name] = _destination(found[2])
    if not listed and not named:
        listed = [default]
    order = list(dict.fromkeys([*listed, *named]))
    unassigned = [f for f in listed if f not in named]
    targets = [Target(f, path) for f, path in named.items()]
    if bare:
        if len(bare) > 1 or len(unassigned) != 1:
            raise ConfigError(
                f"-o {bare[0]} names one destination for one format, but "
                f"{len(unassigned)} formats have none; use -o FORMAT=FILE or --output-dir"
            )
        targets.append(Target(unassigned.pop(), _destination(bare[0])))
    for name in unassigned:
        path = output_dir / f"{command}-{environment}.{EXTENSIONS[name]}" if output_dir else None
        targets.append(Target(name, path))
    targets.sort(key=lambda t: order.index(t.format))
    to_stdout = [t.format for t in targets if t.to_stdout]
    if len(to_stdout) > 1:
        raise ConfigError(
            f"only one format can go to stdout, not {', '.join(to_stdout)}; "
            "send the others to files with -o FORMAT=FILE or --output-dir DIR"
        )
    files = [t.path.resolve() for t in targets if t.path is not None]
    if len(files) != len(set(files)):
        raise ConfigError("two formats would be written to the same file")
    return targets


def write_reports(
    targets: Sequence[Target], render: Callable[[Target], str], verdict: str | None = None
) -> None:
    """Render every target first, then write the files and stdout.

    When no report goes to stdout, the `verdict` line goes to stderr after the "wrote"
    lines, so a run that writes files still says how it came out.
    """
    texts = [(target, render(target)) for target in targets]
    for target, text in texts:
        if target.path is not None:
            try:
                target.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create {target.path.parent}: {exc.strerror or exc}"
                ) from None
            emit(text, target.path)
    for target, text in texts:
        if target.path is None:
            emit(text, None)
    if verdict and not any(target.to_stdout for target in targets):
        say(verdict)


def repository_root(start: Path) -> Path:
    """The git work tree holding `start` (where code scanning roots paths), else the cwd."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


def terraform_locator(terraform_dir: Path) -> Locator:
    """Finds the Terraform block of an address, as a path relative to the repository root."""
    blocks = ResourceBlocks(terraform_dir)
    root = repository_root(terraform_dir)

    def locate(address: str) -> SourceLocation | None:
        found = blocks.locate(address)
        if found is None:
            return None
        uri = Path(os.path.relpath(found.path.resolve(), root)).as_posix()
        return SourceLocation(uri, found.line)

    return locate


def information_uri() -> str | None:
    """The repository azprov runs in on GitHub Actions, whose README documents azprov."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and repository:
        return f"{server.rstrip('/')}/{repository}#readme"
    return None
