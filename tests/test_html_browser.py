"""The HTML runbook in a real headless Chromium: it renders, the console stays silent, a
screenshot has content and printing gives pages. Skips where no Chromium is installed
(Debian: `apt-get install chromium`; CI installs it)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from tests_support import RUNBOOK_SMALL as SMALL
from tests_support import RUNBOOK_TODAY as TODAY

from ozrelease.cli import plan as plan_cli

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CONSOLE = re.compile(r":CONSOLE[:(]")  # how Chromium logs console messages on stderr


def find_browser() -> str | None:
    found = os.environ.get("OZRELEASE_CHROMIUM")
    if found:
        return found
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None:
        pytest.skip(
            "no Chromium found (looked for " + ", ".join(BROWSERS) + " on PATH and "
            "$OZRELEASE_CHROMIUM); install it with `apt-get install chromium` to run this test"
        )
    return path


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_cli.options, "today", lambda: TODAY)


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless, offline, with a profile of its own, console messages logged to stderr."""
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing may be fetched
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct pixels of an 8-bit RGB or RGBA PNG (no dependency:
    zlib, and the five scanline filters of the PNG specification)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat = 8, b""
    width = height = channels = 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        if y % 4 == 0:  # every fourth row is plenty to see content
            pixels.update(bytes(line[i : i + channels]) for i in range(0, stride, channels * 2))
        previous = line
    return width, height, pixels


@pytest.mark.parametrize(
    ("manifests", "expected"),
    [
        (
            None,  # the bundled example
            ["Upgrade runbook: example-gemeente", "Window 3 of 3", "Points of no return"],
        ),
        (SMALL, ["Upgrade runbook: test", "Manual steps", "End of life"]),
    ],
    ids=["example-gemeente", "small"],
)
def test_html_runbook_in_chromium(browser, ozr, write, tmp_path, manifests, expected) -> None:
    if manifests is not None:
        write("manifests/all.yaml", manifests)
    page = tmp_path / "runbook.html"
    result = ozr("plan", "--format", "html", "-o", str(page))
    assert result.exit_code == 0, result.output
    url = page.resolve().as_uri()

    # It renders: the DOM Chromium built has the runbook, both pictures and their shapes.
    dom = chromium(browser, tmp_path / "p1", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for text in expected:
        assert text in dom.stdout
    assert dom.stdout.count("<svg") == 2 and "<rect" in dom.stdout
    # The console is silent: no errors (an SVG path it cannot parse would be one), nothing.
    assert console_lines(dom.stderr) == []

    # A screenshot has content: many colours, not a blank page.
    shot = tmp_path / "shot.png"
    run = chromium(
        browser, tmp_path / "p2", "--hide-scrollbars", "--window-size=1000,1400",
        f"--screenshot={shot}", url,
    )  # fmt: skip
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    width, height, pixels = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    assert len(pixels) > 20, f"only {len(pixels)} distinct colours: a blank page?"
    assert console_lines(run.stderr) == []

    # It prints: a PDF, each window on a page of its own.
    pdf = tmp_path / "runbook.pdf"
    run = chromium(browser, tmp_path / "p3", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url)
    assert run.returncode == 0 and pdf.is_file(), run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    windows = dom.stdout.count('<section class="window"')
    assert pages >= windows + 1


def test_console_check_catches_errors(browser, tmp_path) -> None:
    """The console check above is not vacuous: a broken SVG path is reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><svg><path d="M0,0 L x"/></svg>', encoding="utf-8")
    run = chromium(browser, tmp_path / "p", "--dump-dom", page.resolve().as_uri())
    assert run.returncode == 0
    assert any("attribute d" in line for line in console_lines(run.stderr)), run.stderr[-2000:]
