"""What azprov refuses, and how: each bad input a user can cause is one line and exit 1.

`CASES` is the README's table "What azprov refuses, and how": the test runs each case
through the real entry point (`provisioner.cli.main`) and compares the line azprov prints
with the table's, and the README must hold the table these cases make. To add a row,
add a `Refusal` to `CASES`, then `AZPROV_REGENERATE_README=1 .venv/bin/pytest
tests/test_refusals.py` rewrites the README's table.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from provisioner.cli import COMMANDS, main

EXAMPLES = Path(__file__).parent.parent / "examples"
README = Path(__file__).parent.parent / "README.md"
TABLE_HEADING = "## What azprov refuses, and how"


def _example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


def _changed(name: str, change: Callable[[dict[str, Any]], object]) -> str:
    """An example file with one mistake made by `change`."""
    doc = _example(name)
    change(doc)
    return json.dumps(doc)


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


STATE = (EXAMPLES / "prod.tfstate.json").read_text(encoding="utf-8")
LIVE = (EXAMPLES / "prod.live.json").read_text(encoding="utf-8")
VERIFY = ("verify", "--env", "prod")
OFFLINE = (*VERIFY, "--state", "prod.tfstate.json", "--live", "prod.live.json")
EXAMPLE_FILES = {"prod.tfstate.json": STATE, "prod.live.json": LIVE}


@dataclass(frozen=True)
class Refusal:
    """One bad input: what the user did, the command, and the line azprov answers with."""

    bad_input: str  # in the README's words; Markdown
    argv: tuple[str, ...]
    line: str  # the whole of stderr, one line
    files: Mapping[str, str] = field(default_factory=dict)  # written to the working directory
    directories: tuple[str, ...] = ()
    stdout: str = "captured"  # or "closed" (`>&-`), "broken pipe" (`| head -0`), "full"


CASES = [
    # -- the command line -----------------------------------------------------------------
    Refusal(
        "an unknown option",
        (*VERIFY, "--bogus"),
        "azprov: error: no such option: --bogus (try 'azprov verify --help')",
    ),
    Refusal(
        "a missing `--env`",
        ("verify",),
        "azprov: error: missing option '--env' / '-e' (try 'azprov verify --help')",
    ),
    Refusal(
        "`--format xml`",
        (*VERIFY, "--format", "xml"),
        "azprov: error: unknown format 'xml' in --format for `azprov verify` (choose from "
        "table, json, markdown, sarif)",
    ),
    Refusal(
        "an option without its value",
        (*VERIFY, "--state"),
        "azprov: error: option '--state' requires an argument (try 'azprov verify --help')",
    ),
    Refusal(
        "an unexpected argument",
        (*VERIFY, "prod.tfstate.json"),
        "azprov: error: got unexpected extra argument(s) (prod.tfstate.json) "
        "(try 'azprov verify --help')",
    ),
    Refusal(
        "an unknown command",
        ("verfy", "--env", "prod"),
        "azprov: error: no such command 'verfy'. Did you mean 'verify'? (try 'azprov --help')",
    ),
    Refusal(
        "an unknown environment",
        ("verify", "--env", "staging"),
        "azprov: error: unknown environment 'staging' (known: prod, test)",
    ),
    # -- azprov.toml ----------------------------------------------------------------------
    Refusal(
        "`ignores = [...]` at the top of `azprov.toml`",
        VERIFY,
        "azprov: error: azprov.toml: unknown setting 'ignores' at the top level "
        "(did you mean 'ignore' in an [environments.NAME] table?)",
        files={"azprov.toml": 'ignores = ["stlogs"]\n'},
    ),
    Refusal(
        "`[environmnets.prod]`",
        VERIFY,
        "azprov: error: azprov.toml: unknown table [environmnets] (did you mean [environments]?)",
        files={"azprov.toml": '[environmnets.prod]\nignore = ["stlogs"]\n'},
    ),
    Refusal(
        "`[isolaton]`",
        VERIFY,
        "azprov: error: azprov.toml: unknown table [isolaton] (did you mean [isolation]?)",
        files={"azprov.toml": '[isolaton]\nshared = ["acrshared.azurecr.io"]\n'},
    ),
    Refusal(
        "`ignores` in `[environments.prod]`",
        VERIFY,
        "azprov: error: azprov.toml: unknown setting 'ignores' in [environments.prod] "
        "(did you mean 'ignore'?)",
        files={"azprov.toml": '[environments.prod]\nignores = ["stlogs"]\n'},
    ),
    Refusal(
        "`[terraform] dri = ...`",
        VERIFY,
        "azprov: error: azprov.toml: unknown setting 'dri' in [terraform] (did you mean 'dir'?)",
        files={"azprov.toml": '[terraform]\ndri = "infra"\n'},
    ),
    Refusal(
        '`terraform = "x"`',
        VERIFY,
        "azprov: error: azprov.toml: terraform must be a table ([terraform]), not a string",
        files={"azprov.toml": 'terraform = "x"\n'},
    ),
    Refusal(
        "`[terraform] dir = 5`",
        VERIFY,
        "azprov: error: azprov.toml: [terraform] dir must be a non-empty string, not 5",
        files={"azprov.toml": "[terraform]\ndir = 5\n"},
    ),
    Refusal(
        '`environments = "x"`',
        VERIFY,
        "azprov: error: azprov.toml: environments must be a table ([environments]), not a string",
        files={"azprov.toml": 'environments = "x"\n'},
    ),
    Refusal(
        '`enabled = "no"` in an environment',
        VERIFY,
        "azprov: error: azprov.toml: [environments.test] enabled must be true or false, not 'no'",
        files={"azprov.toml": '[environments.test]\nenabled = "no"\n'},
    ),
    Refusal(
        "an environment name that is no file name",
        VERIFY,
        "azprov: error: azprov.toml: [environments.../x]: an environment name is letters, "
        "digits, '-' and '_' (it names files and tags)",
        files={"azprov.toml": '[environments."../x"]\n'},
    ),
    Refusal(
        "`azprov.toml` that is not TOML",
        VERIFY,
        "azprov: error: azprov.toml is not valid TOML: Expected ']' at the end of a table "
        "declaration (at line 1, column 8)",
        files={"azprov.toml": "[policy\n"},
    ),
    Refusal(
        "`azprov.toml` nested 100,000 levels deep",
        VERIFY,
        "azprov: error: azprov.toml nests deeper than 100 levels",
        files={"azprov.toml": f"x = {_deep(100_000)}\n"},
    ),
    Refusal(
        "`--config` naming a directory",
        (*VERIFY, "--config", "conf"),
        "azprov: error: config file conf is a directory, not a file",
        directories=("conf",),
    ),
    Refusal(
        "`--config` naming no file",
        (*VERIFY, "--config", "nope.toml"),
        "azprov: error: config file not found: nope.toml",
    ),
    # -- the state ------------------------------------------------------------------------
    Refusal(
        "a state nested 100,000 levels deep",
        (*VERIFY, "--state", "deep.json"),
        "azprov: error: deep.json nests deeper than 100 levels of JSON objects and arrays",
        files={"deep.json": _deep(100_000)},
    ),
    Refusal(
        "a state resource without `type`",
        (*VERIFY, "--state", "s.json"),
        "azprov: error: s.json: resources[0].type is missing",
        files={"s.json": _changed("prod.tfstate.json", lambda d: d["resources"][0].pop("type"))},
    ),
    Refusal(
        '`instances: ["str"]` in a state',
        (*VERIFY, "--state", "s.json"),
        "azprov: error: s.json: resources[1].instances[0] must be an object, not a string",
        files={
            "s.json": _changed(
                "prod.tfstate.json", lambda d: d["resources"][1].update(instances=["str"])
            )
        },
    ),
    Refusal(
        "`attributes` that is not an object",
        (*VERIFY, "--state", "s.json"),
        "azprov: error: s.json: resources[0].instances[0].attributes must be an object, "
        "not an array",
        files={
            "s.json": _changed(
                "prod.tfstate.json",
                lambda d: d["resources"][0]["instances"][0].update(attributes=[]),
            )
        },
    ),
    Refusal(
        "a `terraform show -json` resource without `address`",
        (*VERIFY, "--state", "show.json"),
        "azprov: error: show.json: values.root_module.resources[0].address is missing",
        files={
            "show.json": json.dumps(
                {"format_version": "1.0", "values": {"root_module": {"resources": [{}]}}}
            )
        },
    ),
    Refusal(
        "a state that is not JSON",
        (*VERIFY, "--state", "s.json"),
        "azprov: error: s.json is not valid JSON (line 1: Expecting property name enclosed "
        "in double quotes)",
        files={"s.json": "{oops"},
    ),
    Refusal(
        "a state that is a directory",
        (*VERIFY, "--state", "states"),
        "azprov: error: state file states is a directory, not a file",
        directories=("states",),
    ),
    # -- the plan -------------------------------------------------------------------------
    Refusal(
        "a plan nested 100,000 levels deep",
        ("audit", "--env", "prod", "--plan", "deep.json"),
        "azprov: error: deep.json nests deeper than 100 levels of JSON objects and arrays",
        files={"deep.json": _deep(100_000)},
    ),
    Refusal(
        "a plan's resource change without `change`",
        ("audit", "--env", "prod", "--plan", "p.json"),
        "azprov: error: p.json: resource_changes[0].change is missing",
        files={
            "p.json": _changed("prod.tfplan.json", lambda d: d["resource_changes"][0].pop("change"))
        },
    ),
    Refusal(
        "a plan action that is not a string",
        ("audit", "--env", "prod", "--plan", "p.json"),
        "azprov: error: p.json: resource_changes[0].change.actions must be an array of strings",
        files={
            "p.json": _changed(
                "prod.tfplan.json",
                lambda d: d["resource_changes"][0]["change"].update(actions=[1]),
            )
        },
    ),
    Refusal(
        "a saved plan record nested 100,000 levels deep",
        ("apply", "--env", "prod", "--yes"),
        "azprov: error: .azprov/prod/plan-meta.json nests deeper than 100 levels of JSON "
        "objects and arrays",
        files={".azprov/prod/plan-meta.json": _deep(100_000), ".azprov/prod/tfplan": "x"},
    ),
    Refusal(
        "a saved plan record that is not UTF-8",
        ("apply", "--env", "prod", "--yes"),
        "azprov: error: saved plan record .azprov/prod/plan-meta.json is not UTF-8 text (byte 0)",
        files={".azprov/prod/plan-meta.json": "\udcff", ".azprov/prod/tfplan": "x"},
    ),
    # -- snapshots ------------------------------------------------------------------------
    Refusal(
        "a snapshot body with id `garbage-id`",
        (*VERIFY, "--state", "prod.tfstate.json", "--live", "l.json"),
        "azprov: error: l.json: resources[0].id is not an Azure resource ID: 'garbage-id'",
        files={
            "prod.tfstate.json": STATE,
            "l.json": _changed(
                "prod.live.json", lambda d: d["resources"][0].update(id="garbage-id")
            ),
        },
    ),
    Refusal(
        '`"properties": "x"` in a snapshot body',
        (*VERIFY, "--state", "prod.tfstate.json", "--live", "l.json"),
        "azprov: error: l.json: resources[1].properties must be an object, not a string",
        files={
            "prod.tfstate.json": STATE,
            "l.json": _changed(
                "prod.live.json", lambda d: d["resources"][1].update(properties="x")
            ),
        },
    ),
    Refusal(
        "a snapshot nested 100,000 levels deep",
        (*VERIFY, "--state", "prod.tfstate.json", "--live", "deep.json"),
        "azprov: error: deep.json nests deeper than 100 levels of JSON objects and arrays",
        files={"prod.tfstate.json": STATE, "deep.json": _deep(100_000)},
    ),
    Refusal(
        "a snapshot of another environment",
        (*VERIFY, "--state", "prod.tfstate.json", "--live", "test.live.json"),
        "azprov: error: test.live.json is a snapshot of environment 'test', not 'prod'",
        files={
            "prod.tfstate.json": STATE,
            "test.live.json": (EXAMPLES / "test.live.json").read_text(encoding="utf-8"),
        },
    ),
    # -- where the report goes ------------------------------------------------------------
    Refusal(
        "`-o` naming a directory",
        (*OFFLINE, "-o", "reports"),
        "azprov: error: cannot write reports: Is a directory",
        files=EXAMPLE_FILES,
        directories=("reports",),
    ),
    Refusal(
        "`-o` under a path that is a file",
        (*OFFLINE, "-o", "notes.txt/report.txt"),
        "azprov: error: cannot create notes.txt: File exists",
        files={**EXAMPLE_FILES, "notes.txt": "a file, not a directory\n"},
    ),
    Refusal(
        "stdout closed (`azprov verify ... >&-`)",
        OFFLINE,
        "azprov: error: cannot write the report to stdout: stdout is closed",
        files=EXAMPLE_FILES,
        stdout="closed",
    ),
    Refusal(
        "stdout a pipe nobody reads (`azprov verify ... | head -0`)",
        OFFLINE,
        "azprov: error: cannot write the report to stdout: Broken pipe",
        files=EXAMPLE_FILES,
        stdout="broken pipe",
    ),
    Refusal(
        "stdout a full disk (`azprov verify ... > /dev/full`)",
        OFFLINE,
        "azprov: error: cannot write the report to stdout: No space left on device",
        files=EXAMPLE_FILES,
        stdout="full",
    ),
]


def _prepare(case: Refusal, where: Path) -> None:
    for name, text in case.files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    for name in case.directories:
        (where / name).mkdir()


def _run_in_process(
    argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["azprov", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 0, capsys.readouterr().err


def _run_with_stdout(argv: tuple[str, ...], stdout: str, cwd: Path) -> tuple[int, str]:
    """`python -m provisioner` with stdout closed, a pipe whose reader is gone, or full."""
    command = [sys.executable, "-m", "provisioner", *argv]
    if stdout == "broken pipe":
        reader, writer = os.pipe()
        os.close(reader)  # before the child starts: its first write can only fail
        try:
            done = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, cwd=cwd)
        finally:
            os.close(writer)
    elif stdout == "full":
        with Path("/dev/full").open("w") as full:
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, cwd=cwd)
    else:  # closed: the child starts with no file descriptor 1 at all
        done = subprocess.run(
            command, stderr=subprocess.PIPE, cwd=cwd, preexec_fn=lambda: os.close(1)
        )
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize("case", CASES, ids=[c.bad_input for c in CASES])
def test_each_bad_input_is_one_line_and_exit_1(
    case: Refusal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if case.stdout == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    _prepare(case, tmp_path)
    if case.stdout == "captured":
        code, err = _run_in_process(case.argv, monkeypatch, capsys)
    else:
        code, err = _run_with_stdout(case.argv, case.stdout, tmp_path)
    assert (code, err) == (1, case.line + "\n")


def refusals_markdown() -> str:
    """The README table: one row per case."""
    rows = ["| bad input | command | what azprov prints (exit 1) |", "|---|---|---|"]
    for case in CASES:
        command = " ".join(["azprov", *case.argv])
        cells = [case.bad_input, _code(command), _code(case.line)]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def test_readme_table_is_these_cases() -> None:
    """Regenerate with `AZPROV_REGENERATE_README=1 .venv/bin/pytest tests/test_refusals.py`."""
    readme = README.read_text(encoding="utf-8")
    head, section = readme.split(TABLE_HEADING, 1)
    section, tail = section.split("\n## ", 1)
    if os.environ.get("AZPROV_REGENERATE_README"):
        table = re.compile(r"^\| bad input \|.*?\n\n", re.DOTALL | re.MULTILINE)
        section = table.sub(lambda _: refusals_markdown() + "\n", section, count=1)
        README.write_text(f"{head}{TABLE_HEADING}{section}\n## {tail}", encoding="utf-8")
    assert refusals_markdown() in section, "README table out of date; regenerate it"


def test_every_case_is_different() -> None:
    assert len({c.bad_input for c in CASES}) == len(CASES)
    assert all(c.line.startswith("azprov: error: ") and "\n" not in c.line for c in CASES)


def test_an_unreadable_config_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Root reads any file, so an unreadable one is made by a name the kernel refuses."""
    name = "x" * 300 + ".toml"
    code, err = _run_in_process((*VERIFY, "--config", name), monkeypatch, capsys)
    assert (code, err) == (
        1,
        f"azprov: error: cannot read config file {name}: File name too long\n",
    )


# A command group's usage is checked on its subcommand (`azprov notify github`).
USAGE = {name: (name,) for name in COMMANDS} | {"notify": ("notify", "github")}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_answers_usage_errors_with_one_line_and_exit_1(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    words = USAGE[command]
    hint = f"(try 'azprov {' '.join(words)} --help')"
    code, err = _run_in_process((*words, "--bogus"), monkeypatch, capsys)
    assert (code, err) == (1, f"azprov: error: no such option: --bogus {hint}\n")
    code, err = _run_in_process(words, monkeypatch, capsys)
    assert (code, err) == (1, f"azprov: error: missing option '--env' / '-e' {hint}\n")


def test_bare_azprov_shows_the_help_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run_in_process((), monkeypatch, capsys)
    assert code == 1 and err.startswith("Usage: azprov [OPTIONS] COMMAND [ARGS]...")
