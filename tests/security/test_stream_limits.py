"""Issue 18, finding 8: live streams are bounded per client address and in total.

1,100 anonymous arrival streams exhausted a box's file descriptors: 1,083
requests answered 500, /healthz took 6.3 s. Now a stream beyond
CHRONO_EDGE_STREAMS_PER_CLIENT (from one address) or CHRONO_EDGE_STREAMS_MAX
(in all) is refused at once with 503, a reason and Retry-After, whichever
stream route it asks for; a stream gives its slot back when its client leaves.
A real ``chrono-edge serve`` on loopback; clients from 127.0.0.1, .2 and .3.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.browser import EXAMPLE_SLUG, LiveBox, browser_page, live_box

pytestmark = pytest.mark.integration

PER_CLIENT = 2
TOTAL = 4
ARRIVALS = f"/api/v1/events/{EXAMPLE_SLUG}/arrivals/stream"
PASSINGS = f"/api/v1/events/{EXAMPLE_SLUG}/passings/stream"
DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    limits = {
        "CHRONO_EDGE_STREAMS_MAX": str(TOTAL),
        "CHRONO_EDGE_STREAMS_PER_CLIENT": str(PER_CLIENT),
    }
    with live_box(tmp_path_factory.mktemp("box"), env=limits) as running:
        yield running


def client_from(box: LiveBox, address: str) -> httpx.Client:
    """A client whose connections leave from ``address`` (any 127.x reaches loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=box.url, transport=transport, timeout=10)


class Opened:
    """A stream request kept open (with its line iterator: dropping the iterator closes
    the connection) until the ExitStack it was opened in closes."""

    def __init__(self, stack: ExitStack, client: httpx.Client, path: str) -> None:
        self.response = stack.enter_context(client.stream("GET", path))
        self.lines = self.response.iter_lines()
        if self.response.status_code == 200:
            next(self.lines)  # the first event: the stream is really being served
        else:
            self.response.read()


def open_stream(stack: ExitStack, client: httpx.Client, path: str = ARRIVALS) -> httpx.Response:
    """Open a stream that stays open until ``stack`` closes; its response."""
    opened = Opened(stack, client, path)
    stack.callback(opened.lines.close)  # keeps the iterator alive, then lets it go first
    return opened.response


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 503, response.status_code
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["connection"] == "close"  # no descriptor held while it waits
    assert reason in response.json()["detail"]


def test_streams_are_bounded_per_client_and_in_total(box: LiveBox) -> None:
    with ExitStack() as stack:
        first = stack.enter_context(client_from(box, "127.0.0.1"))
        second = stack.enter_context(client_from(box, "127.0.0.2"))
        third = stack.enter_context(client_from(box, "127.0.0.3"))
        with ExitStack() as leaving:
            assert open_stream(leaving, first).status_code == 200
            assert open_stream(stack, first).status_code == 200
            # A third from the same address: refused, whatever stream it asks for.
            refused(open_stream(stack, first), "STREAMS_PER_CLIENT")
            refused(open_stream(stack, first, PASSINGS), "STREAMS_PER_CLIENT")
            assert open_stream(stack, second).status_code == 200
            assert open_stream(stack, second, PASSINGS).status_code == 200
            # Four open in all: another address is refused on the total.
            refused(open_stream(stack, third), "STREAMS_MAX")
            # Everything else still answers.
            assert first.get("/healthz").status_code == 200
            assert third.get(f"/api/v1/events/{EXAMPLE_SLUG}/arrivals").status_code == 200
        # The first stream's client went away: its slot is free again.
        deadline = time.monotonic() + DEADLINE_S
        while open_stream(stack, third).status_code != 200:
            assert time.monotonic() < deadline, "the slot of a closed stream never came back"
            time.sleep(0.2)


def test_a_flood_of_streams_gets_clear_refusals_and_the_box_stays_up(box: LiveBox) -> None:
    """Many streams at once from one address: PER_CLIENT served, the rest 503, no 500."""
    statuses = []
    with ExitStack() as stack:
        client = stack.enter_context(client_from(box, "127.0.0.4"))
        for _ in range(40):
            statuses.append(open_stream(stack, client).status_code)
        assert first_get(box) == 200
    assert statuses.count(200) == PER_CLIENT
    assert statuses.count(503) == len(statuses) - PER_CLIENT
    # Once they are all gone, the address opens streams again.
    with ExitStack() as stack:
        client = stack.enter_context(client_from(box, "127.0.0.4"))
        deadline = time.monotonic() + DEADLINE_S
        while open_stream(stack, client).status_code != 200:
            assert time.monotonic() < deadline, "slots were not given back"
            time.sleep(0.2)


def first_get(box: LiveBox) -> int:
    return httpx.get(f"{box.url}/healthz", timeout=10).status_code


@pytest.mark.parametrize(
    ("soft", "hard", "served", "files"),
    [(1024, 4096, 1000, 1256), (1024, 1024, 768, 1024), (4096, 4096, 1000, 4096)],
)
def test_the_server_makes_room_for_its_connections(
    soft: int, hard: int, served: int, files: int
) -> None:
    """``serve`` raises the open-file limit for CHRONO_EDGE_CONNECTIONS_MAX, or serves fewer
    connections when the hard limit is too low (a real process and its real limits)."""
    script = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))\n"
        "from edge.cli.server import files_for\n"
        "print(files_for(1000), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(served), str(files)]


@pytest.mark.e2e
def test_a_refused_console_opens_its_stream_again_once_a_slot_is_free(tmp_path: Path) -> None:
    """A browser closes an EventSource refused with 503 for good: the timing console must
    open it again by itself, or it would stop showing passings after a flood."""
    limits = {"CHRONO_EDGE_STREAMS_PER_CLIENT": "1"}
    with (
        live_box(tmp_path / "box", env=limits) as box,
        browser_page() as page,
        client_from(box, "127.0.0.1") as holder,
    ):
        with ExitStack() as held:
            assert open_stream(held, holder).status_code == 200  # 127.0.0.1's only slot
            page.goto(box.url + "/")  # type: ignore[attr-defined]
            log = box.workdir / "serve.log"
            deadline = time.monotonic() + DEADLINE_S
            while not any(
                "passings/stream" in line and " 503 " in line
                for line in log.read_text().splitlines()
            ):
                assert time.monotonic() < deadline, "the console's stream was never refused"
                time.sleep(0.1)
        # The slot is free again; a passing typed now must reach the console live.
        manual = f"/api/v1/events/{EXAMPLE_SLUG}/points/FINISH/manual/"
        assert httpx.post(f"{box.url}{manual}", json={"bib": "3"}).status_code == 201
        row = page.locator('#passings tr[data-bib="3"]')  # type: ignore[attr-defined]
        row.first.wait_for(timeout=30_000)
