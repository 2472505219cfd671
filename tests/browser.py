"""Browser tests: Debian's Chromium driven by Playwright against live box processes.

``live_box`` starts a real ``chrono-edge serve`` (plus, on request, a worker, the
LLRP emulator and a reader) on loopback with a fresh database loaded with the
example event; ``browser_page`` opens Debian's Chromium (never a downloaded one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers import free_port, stop_all, wait_http

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
EXAMPLE_EVENT = EXAMPLES / "spring-10k.yaml"
EXAMPLE_ENTRANTS = EXAMPLES / "entrants.csv"
EXAMPLE_SLUG = "spring-10k-2026"


def chromium_or_skip() -> None:
    """Skip (or fail in CI) when Debian's Chromium is absent."""
    if CHROMIUM.exists():
        return
    message = "browser tests need Debian's Chromium: apt install chromium (CI installs it)"
    if os.environ.get("CHRONO_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def browser_page(width: int = 1366, height: int = 768) -> Iterator[Page]:
    """A Playwright ``Page`` in headless Debian Chromium at ``width``×``height``."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(10_000)
            # A script or style the pages' Content-Security-Policy blocks is a broken page.
            blocked: list[str] = []
            page.on("console", lambda m: _note_blocked(m.text, blocked))
            yield page
            assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
        finally:
            browser.close()


def _note_blocked(text: str, blocked: list[str]) -> None:
    # frame-ancestors refusals are the policy doing its job: another site framed a page.
    if "Content Security Policy" in text and "frame-ancestors" not in text:
        blocked.append(text)


@dataclass
class LiveBox:
    """A box's processes on loopback and where its files are."""

    url: str
    db: Path
    role_file: Path
    workdir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``chrono-edge --db DB ARGS`` against this box."""
        command = [sys.executable, "-m", "edge.cli", "--db", str(self.db), *args]
        return subprocess.run(
            command, env=self.env, cwd=self.workdir, capture_output=True, text=True, check=check
        )


def wait_for_js(page: Page, expression: str, timeout_ms: float = 30_000) -> None:
    """Wait until ``expression`` is truthy in ``page``, polling every 100 ms.

    Playwright's ``wait_for_function`` compiles its predicate inside the page with
    ``eval``, which the pages' Content-Security-Policy forbids; ``evaluate`` goes
    through DevTools, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not _evaluate_between_pages(page, expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_ms / 1000:.0f} s: {expression}")
        page.wait_for_timeout(100)


def _evaluate_between_pages(page: Page, expression: str) -> object:
    """``expression`` in ``page``, or None while a navigation replaces its document."""
    from playwright.sync_api import Error

    try:
        return page.evaluate(expression)
    except Error as error:
        if "context was destroyed" not in error.message:
            raise
        return None


def box_env(workdir: Path) -> dict[str, str]:
    """Environment of a box whose every file lives under ``workdir`` (its data directory)."""
    return {**os.environ, "CHRONO_EDGE_DATA_DIR": str(workdir), "GPIOZERO_PIN_FACTORY": "mock"}


@contextmanager
def live_box(
    workdir: Path,
    *,
    event_file: Path | None = EXAMPLE_EVENT,
    entrants: Path | None = EXAMPLE_ENTRANTS,
    slug: str = EXAMPLE_SLUG,
    worker: bool = False,
    emulator: Sequence[str] | None = None,
    point: str = "FINISH",
    env: Mapping[str, str] | None = None,
) -> Iterator[LiveBox]:
    """A MASTER box serving on a free port; optionally its worker and an emulated race.

    ``env`` adds to the box's environment (settings, e.g. ``CHRONO_EDGE_STREAMS_MAX``).

    ``emulator`` is the ``simulate-reader`` arguments (e.g. ``["--scenario", "race",
    "--runners", "20"]``); when given, a reader process feeds ``point`` from it.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    box = LiveBox(
        f"http://127.0.0.1:{port}",
        workdir / "edge.db",
        workdir / "reader.json",
        workdir,
        {**box_env(workdir), **(env or {})},
    )
    box.cli("db", "upgrade")
    if event_file is not None:
        box.cli("event", "load", str(event_file))
    if entrants is not None:
        box.cli("entrants", "import", str(entrants), "--event", slug)
    with ExitStack() as stack:
        stack.callback(stop_all, box.processes, 15)
        if emulator is not None:
            feed(box, slug, point, emulator)
        if worker:
            box.processes.append(_start(box, "worker", ["worker", "--concurrency", "2"]))
        server = _start(box, "serve", ["serve", "--host", "127.0.0.1", "--port", str(port)])
        box.processes.append(server)
        wait_http(f"{box.url}/healthz", server)
        yield box


def feed(box: LiveBox, slug: str, point: str, emulator: Sequence[str]) -> None:
    """An emulated LLRP reader (``simulate-reader`` arguments) and a reader process feeding
    ``point`` of event ``slug`` from it; both stop with the box."""
    reader_port = free_port()
    name = point.lower()
    args = ["--host", "127.0.0.1", "--port", str(reader_port), "--quiet", *emulator]
    box.processes.append(_start(box, f"emulator-{name}", ["simulate-reader", *args]))
    reader = ["reader", "--host", "127.0.0.1", "--port", str(reader_port)]
    box.processes.append(
        _start(box, f"reader-{name}", [*reader, "--event", slug, "--point", point])
    )


def _start(box: LiveBox, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    log = (box.workdir / f"{name}.log").open("ab")
    command = [sys.executable, "-m", "edge.cli", "--db", str(box.db), *args]
    with log:
        return subprocess.Popen(command, env=box.env, cwd=box.workdir, stdout=log, stderr=log)
