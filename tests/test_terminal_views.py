"""The terminal views: they fit the terminal, fold addresses only between their parts, and
take colour exactly when Rich's rules (a TTY, FORCE_COLOR, NO_COLOR) say so.

Width and folding are checked on the bundled example at 80, 120 and 200 columns. Colour
is checked on a real pseudo-terminal: a subprocess whose stdout is a pty.
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import responses
from hypothesis import example, given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from provisioner.audit import render_terminal
from provisioner.cli import app, common
from provisioner.reporters.terminal import ELLIPSIS, allot, fold, pieces
from tests.conftest import EXAMPLES, serve, write_state
from tests.factories import Environment
from tests.test_audit_report import report_for

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
BOTH = [
    "--state", str(EXAMPLES / "prod.tfstate.json"), "--live", str(EXAMPLES / "prod.live.json"),
    "--state", f"test={EXAMPLES / 'test.tfstate.json'}",
    "--live", f"test={EXAMPLES / 'test.live.json'}",
]  # fmt: skip
PLAN = ["--plan", str(EXAMPLES / "prod.tfplan.json")]
# SGR parameters that set a colour (foreground or background, 8/16/256/true colour).
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|4[0-7]|10[0-7]|38|48)[;m]")
# The addresses of the example's findings, as the table labels them.
LABELS = [
    "azurerm_postgresql_flexible_server.db",
    "azurerm_postgresql_flexible_server_firewall_rule allow-test-apps",
    "azurerm_container_app.frontend",
    "azurerm_postgresql_flexible_server_firewall_rule office-vpn",
    "azurerm_storage_account stdebugexport01",
]


# --- folding ------------------------------------------------------------------------------


def follows_pieces(text: str, lines: list[str]) -> bool:
    """Every line is whole pieces of `text`, in order (spaces at a break are dropped)."""
    ends, at = set(), 0
    for piece in pieces(text):
        at += len(piece)
        ends.add(at)
    position = 0
    for line in lines:
        if not text.startswith(line, position):
            return False
        position += len(line)
        while position < len(text) and text[position] == " ":
            position += 1
        if position not in ends and position != len(text):
            return False
    return position == len(text)


IDENTIFIERS = st.text(alphabet='abcdefgh_.-[]"0 ', min_size=1, max_size=90)


@given(IDENTIFIERS, st.integers(min_value=1, max_value=60))
@example("00000000000  0", 11)  # two spaces at a break: none starts the next line
def test_an_identifier_folds_between_pieces_or_shortens_a_piece(text: str, width: int) -> None:
    lines = fold(text, width)
    assert all(cell_len(line) <= width for line in lines)
    if not any(ELLIPSIS in line for line in lines):
        assert follows_pieces(text, lines)
    if all(cell_len(p.rstrip()) <= width for p in pieces(text)):
        assert follows_pieces(text, lines), "nothing needed shortening"


@given(IDENTIFIERS, st.integers(min_value=1, max_value=60))
def test_a_value_folds_without_losing_a_character(text: str, width: int) -> None:
    lines = fold(text, width, keep_whole=True)
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_folds_go_after_dots_underscores_and_before_brackets() -> None:
    assert fold('module.app["key"].azurerm_container_app.this[0]', 12) == [
        "module.app",
        '["key"].',
        "azurerm_",
        "container_",
        "app.this[0]",
    ]
    assert fold("supercalifragilistic", 9) == ["supe…stic"]


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 80)), min_size=1, max_size=7),
       st.integers(10, 250))  # fmt: skip
def test_columns_share_the_width_fairly_and_never_exceed_it(
    wants: list[tuple[int, int]], available: int
) -> None:
    ranges = [(least, least + extra) for least, extra in wants]
    widths = allot(available, ranges)
    if sum(least for least, _ in ranges) <= available:
        assert sum(widths) <= available
        assert all(lo <= w <= hi for w, (lo, hi) in zip(widths, ranges, strict=True))
        if sum(hi for _, hi in ranges) <= available:
            assert widths == [hi for _, hi in ranges]


# --- the verify table at three widths -------------------------------------------------------


def table_rows(out: str) -> list[list[str]]:
    """Each body row of the drawn table: its cells' lines joined per column."""
    rows: list[list[list[str]]] = []
    body = False
    for line in out.splitlines():
        if line.startswith("┡"):
            body = True
            continue
        if not body or not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:  # the severity column starts a row
            rows.append([[c] if c else [] for c in cells])
        else:
            for column, cell in zip(rows[-1], cells, strict=True):
                if cell:
                    column.append(cell)
    return [["\n".join(lines) for lines in row] for row in rows]


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_the_verify_table_fits_and_keeps_every_address_whole(columns: int) -> None:
    result = runner.invoke(app, ["verify", "--env", "prod", *BOTH], env={"COLUMNS": str(columns)})
    assert result.exit_code == 2
    out = result.stdout
    assert max(cell_len(line) for line in out.splitlines()) <= columns
    assert "\x1b[" not in out, "no styles when stdout is not a terminal"
    rows = table_rows(out)
    assert len(rows) == 6
    resources = [row[2].split("\n") for row in rows]
    for label, lines in zip([LABELS[0], LABELS[1], LABELS[2], LABELS[1], *LABELS[3:]], resources,
                            strict=True):  # fmt: skip
        assert follows_pieces(label, lines), (label, lines)
    if columns == 200:
        assert all(len(lines) == 1 for lines in resources), "200 columns hold every address"
    assert out.rstrip().endswith("FINDINGS: 6 findings (1 changed, 1 missing, 3 unmanaged, "
                                 "1 isolation) (exit 2)")  # fmt: skip


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_the_audit_terminal_view_fits(columns: int) -> None:
    result = runner.invoke(
        app, ["audit", "--env", "prod", *PLAN, *BOTH, "-f", "table"], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 2
    out = result.stdout
    assert max(cell_len(line) for line in out.splitlines()) <= columns
    titles = ["Destructive changes (2)", "Isolation (1)", "Live drift this apply overwrites (2)"]
    order = [out.index(title) for title in [*titles, "Updates in place"]]
    assert order == sorted(order)
    assert out.rstrip().splitlines()[-1].endswith("(exit 2)"), "the verdict closes the view"


def run_azprov(args: list[str], tty: bool, **env: str) -> str:
    """`python -m provisioner ARGS` with stdout on a pseudo-terminal (or a pipe); its stdout."""
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    environ.update({"TERM": "xterm-256color", "COLUMNS": "120", **env})
    command = [sys.executable, "-m", "provisioner", *args]
    if not tty:
        done = subprocess.run(command, env=environ, capture_output=True, timeout=60, check=False)
        return done.stdout.decode()
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, env=environ, stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.DEVNULL
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty is closed once the child is gone
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


VERIFY = ["verify", "--env", "prod", *BOTH]


def test_colour_follows_the_terminal_no_color_and_force_color() -> None:
    on_tty = run_azprov(VERIFY, tty=True)
    assert COLOUR.search(on_tty), "a terminal gets colour"
    no_color = run_azprov(VERIFY, tty=True, NO_COLOR="1")
    assert not COLOUR.search(no_color), "NO_COLOR takes the colours away"
    assert "\x1b[1m" in no_color, "and keeps bold"
    assert "\x1b[" not in run_azprov(VERIFY, tty=False), "a pipe gets plain text"
    forced = run_azprov(VERIFY, tty=False, FORCE_COLOR="1")
    assert COLOUR.search(forced), "FORCE_COLOR colours a pipe"


def test_audit_on_a_terminal_draws_tables_and_markdown_anywhere_else() -> None:
    args = ["audit", "--env", "prod", *PLAN, *BOTH]
    on_tty = run_azprov(args, tty=True)
    assert "azprov audit: prod" in on_tty and "┏" in on_tty and "## azprov" not in on_tty
    piped = run_azprov(args, tty=False)
    assert piped.startswith("## azprov audit: <code>prod</code>")


def test_without_columns_or_a_terminal_the_width_is_80() -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", *VERIFY],
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.decode().splitlines()
    assert max(cell_len(line) for line in lines) == 80


# --- after -o FILE, and progress ----------------------------------------------------------


def test_the_verdict_follows_the_wrote_lines_when_no_report_goes_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "drift.json"
    result = runner.invoke(app, [*VERIFY, "-f", "json", "-o", str(out)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-2:] == [
        f"wrote {out}",
        "FINDINGS: 6 findings (1 changed, 1 missing, 3 unmanaged, 1 isolation) (exit 2)",
    ]
    page = tmp_path / "audit.html"
    result = runner.invoke(app, ["audit", "--env", "prod", *PLAN, *BOTH, "-o", f"html={page}"])
    assert result.stderr.splitlines()[-1].startswith("REVIEW: 2 destructive changes")
    result = runner.invoke(app, [*VERIFY, "-f", "json"])
    assert "FINDINGS" not in result.stderr, "a report on stdout carries its own verdict"


@pytest.fixture
def terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """azprov's stderr as a terminal (progress is drawn only there), recorded."""
    seen = io.StringIO()
    fake = Console(file=seen, force_terminal=True, force_interactive=True, width=100)
    monkeypatch.setattr(common, "stderr", fake)
    monkeypatch.setenv("TERM", "xterm")
    return seen


@pytest.mark.parametrize("command", ["verify", "audit", "snapshot", "import"])
def test_every_command_reading_azure_shows_progress_on_a_terminal(
    command: str,
    terminal_stderr: io.StringIO,
    tmp_path: Path,
    rsps: responses.RequestsMock,
    example: Environment,
) -> None:
    serve(rsps, example)
    state = str(write_state(tmp_path, example))
    extra = {"audit": [*PLAN, "-f", "json"], "verify": ["-f", "json"], "import": ["-o", "-"]}
    args = [command, "--env", "prod", "--state", state, *extra.get(command, [])]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 2), result.stderr
    assert "reading Azure" in terminal_stderr.getvalue() or "read " in terminal_stderr.getvalue()


def test_no_progress_in_ci(
    terminal_stderr: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rsps: responses.RequestsMock,
    example: Environment,
) -> None:
    monkeypatch.setenv("CI", "true")
    serve(rsps, example)
    state = str(write_state(tmp_path, example))
    runner.invoke(app, ["verify", "--env", "prod", "--state", state, "-f", "json"])
    assert "reading Azure" not in terminal_stderr.getvalue()


def test_snapshot_dash_means_stdout(
    tmp_path: Path, rsps: responses.RequestsMock, example: Environment
) -> None:
    serve(rsps, example)
    state = str(write_state(tmp_path, example))
    result = runner.invoke(app, ["snapshot", "--env", "prod", "--state", state, "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")
    assert not (tmp_path / "-").exists()


def test_the_audit_terminal_view_escapes_control_characters_from_azure() -> None:
    report = report_for()
    hostile = replace(
        report.findings[0], message="evil\x1b[2J\x1b]0;title\x07 name", attribute="a\x1b[31mb"
    )
    shown = render_terminal(replace(report, findings=(hostile, *report.findings[1:])))
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b" in shown  # shown as an escape, not obeyed
