"""The HTML audit report as a browser shows it and prints it (headless Chromium).

Two launches: a screenshot, decoded here with zlib, must show a page of text on white with
the destructive-change labels in red; a print to PDF must produce pages. Skipped where
Chromium is missing, failed instead when AZPROV_REQUIRE_TOOLS=1 (the project's test command).
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from provisioner.audit import render_html
from tests.stack._support import require_tool
from tests.test_audit_report import report_for

WIDTH, HEIGHT = 1280, 1600
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


def test_the_report_prints(page: tuple[str, Path]) -> None:
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
