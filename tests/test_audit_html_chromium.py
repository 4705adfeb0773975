"""The HTML audit report as a browser shows it and prints it (headless Chromium).

A screenshot at 1,280 px, decoded here with zlib, must show a page of text on white with
the destructive-change labels in red. Nothing may run off the page: a copy of the page
with a probe script (the report itself forbids scripts) reports the document's scroll
width, on screen at 1,280 px and with the print styles at the width of an A4 page, for a
report built to overflow (long module addresses, ARM IDs, unbroken tokens, JSON values).
A print to PDF must produce A4 pages. Skipped where Chromium is missing, failed instead
when AZPROV_REQUIRE_TOOLS=1 (the project's test command).
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from provisioner.audit import AuditReport, ChangeItem, render_html
from provisioner.audit.report import AttributeRow
from provisioner.model import Finding, FindingKind, Severity
from provisioner.state.plan import Action
from tests.stack._support import require_tool
from tests.test_audit_report import report_for

WIDTH, HEIGHT = 1280, 1600
# An A4 page less azprov's 12 mm margins, in CSS pixels (96 per inch): 186 mm.
A4_CONTENT = round((210 - 2 * 12) / 25.4 * 96)
CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
)
PROBE = (
    "<script>document.body.setAttribute('data-overflow', String("
    "document.documentElement.scrollWidth - document.documentElement.clientWidth));</script>"
)
SUB = "/subscriptions/3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70"
LONG_ID = (
    f"{SUB}/resourceGroups/rg-stockapp-prod-network-westeurope/providers/Microsoft.Network"
    "/privateEndpoints/pe-stockapp-prod-postgresql-westeurope/privateDnsZoneGroups/default"
)
MODULE = (
    'module.platform["westeurope-primary"].module.network.azurerm_private_endpoint'
    '.postgresql["pe-stockapp-prod-postgresql-westeurope"]'
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)


def decode_png(data: bytes) -> list[tuple[int, int, int]]:
    """Every pixel of an 8-bit RGB or RGBA PNG as (r, g, b); raises on anything else."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, idat = 8, {}, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IDAT":
            idat += body
        else:
            chunks[kind] = body
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and color in (2, 6) and interlace == 0, "unexpected PNG layout"
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 2:  # "up", most of a screenshot's rows: one pass without indexing
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind in (1, 3, 4):
            _unfilter(kind, line, previous, bpp)
        pixels += zip(line[0::bpp], line[1::bpp], line[2::bpp], strict=True)
        previous = line
    assert len(pixels) == width * height
    return pixels


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    """Undo PNG filter 1 (sub), 3 (average) or 4 (Paeth) on one scanline, in place."""
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            corner = previous[i - bpp] if i >= bpp else 0
            guess = left + up - corner
            dl, du, dc = abs(guess - left), abs(guess - up), abs(guess - corner)
            near = left if dl <= du and dl <= dc else up if du <= dc else corner
            line[i] = (line[i] + near) & 0xFF


def chromium(binary: str, profile: Path, *args: str) -> None:
    done = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def stress_report() -> AuditReport:
    """The example report with everything that tends to push a table off the page."""
    base = report_for()
    blob = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" * 6  # one 210-character token
    wide = AttributeRow(
        "private_service_connection.0.private_connection_resource_id",
        LONG_ID,
        {"ids": [LONG_ID, LONG_ID.replace("default", "secondary")], "token": blob},
        forces_replacement=True,
    )
    replaced = ChangeItem(MODULE, "azurerm_private_endpoint", Action.REPLACE,
                          name=LONG_ID, reason="an attribute cannot be changed in place",
                          replace_paths=(wide.path,), attributes=(wide,))  # fmt: skip
    updated = ChangeItem(MODULE.replace("private_endpoint", "subnet"), "azurerm_subnet",
                         Action.UPDATE, attributes=(AttributeRow("service_endpoints", [blob],
                         [blob, LONG_ID]),))  # fmt: skip
    finding = Finding(
        FindingKind.POLICY, Severity.HIGH, LONG_ID,
        f"{LONG_ID} admits {blob} from every network: restrict it to {LONG_ID}",
        address=MODULE, type="azurerm_private_endpoint",
        attribute="network_interface.0.ip_configuration.0.private_ip_address_allocation",
        actual={"value": blob, "resource": LONG_ID}, rule="pe-no-public-admission",
    )  # fmt: skip
    return replace(
        base,
        destructive=(*base.destructive, replaced),
        updates=(*base.updates, updated),
        findings=(*base.findings, finding),
    )


def overflow(binary: str, html: str, where: Path, width: int, printed: bool) -> int:
    """How many CSS pixels the page is wider than a `width`-pixel window (0: none)."""
    if printed:  # the print styles, applied on screen at the printable width
        html = html.replace("@media print", "@media all")
    probe = where / f"probe-{width}-{printed}.html"
    probe.write_text(html.replace(CSP, "").replace("</body>", PROBE + "</body>"), "utf-8")
    done = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={where / f'profile-{width}-{printed}'}",
         f"--window-size={width},2000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'data-overflow="(-?\d+)"', done.stdout)
    assert found, "the probe did not run"
    return int(found[1])


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    binary = require_tool("chromium")
    where = tmp_path_factory.mktemp("audit-html")
    html = where / "audit.html"
    html.write_text(render_html(report_for()), encoding="utf-8")
    return binary, html


def test_the_report_renders_as_a_page_of_text_on_white(page: tuple[str, Path]) -> None:
    binary, html = page
    shot = html.parent / "audit.png"
    chromium(
        binary,
        html.parent / "profile-shot",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        html.as_uri(),
    )
    pixels = decode_png(shot.read_bytes())
    counts = Counter(pixels)
    white = sum(n for rgb, n in counts.items() if min(rgb) >= 245)
    dark = sum(n for rgb, n in counts.items() if max(rgb) <= 90)
    red = sum(n for (r, g, b), n in counts.items() if r >= 140 and g <= 70 and b <= 90)
    # A rendered page of text: anti-aliased glyphs give many distinct colours.
    assert len(counts) >= 100, f"only {len(counts)} distinct colours: blank page?"
    assert dark >= 0.01 * len(pixels), "hardly any dark text"
    # Printable: mostly white paper, no dark backgrounds.
    assert white >= 0.6 * len(pixels), f"only {white / len(pixels):.0%} white"
    # The destructive changes near the top carry red labels.
    assert red >= 200, f"{red} red pixels: destructive labels not styled"
    # The page fills the window's width without running past it: text reaches the
    # right-hand quarter of the screenshot (the tables' last columns), on every side a
    # margin of white.
    right = [pixels[y * WIDTH + x] for y in range(0, HEIGHT, 4) for x in range(960, 1240)]
    assert sum(1 for rgb in right if max(rgb) <= 90) >= 200, "nothing in the last columns"
    edge = [pixels[y * WIDTH + x] for y in range(HEIGHT) for x in range(WIDTH - 8, WIDTH)]
    assert all(min(rgb) >= 245 for rgb in edge), "something touches the right edge"


@pytest.mark.parametrize(("width", "printed"), [(WIDTH, False), (A4_CONTENT, True)],
                         ids=["screen-1280px", "print-A4"])  # fmt: skip
def test_nothing_runs_off_the_page(page: tuple[str, Path], width: int, printed: bool) -> None:
    binary, html = page
    stressed = render_html(stress_report())
    assert LONG_ID in stressed  # the whole ID is there: in the title, and for print
    assert overflow(binary, stressed, html.parent, width, printed) <= 0


def test_the_report_prints_to_a4_pages(page: tuple[str, Path]) -> None:
    binary, html = page
    pdf = html.parent / "audit.pdf"
    chromium(
        binary,
        html.parent / "profile-pdf",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        html.as_uri(),
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 2, f"{pages} pages: the full report should run over more than one"
    # A4 is 595 x 842 points; @page sets it whatever the printer's default.
    sizes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)", data))
    assert sizes and {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}
