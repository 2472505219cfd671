"""Issue 18, finding 7: imports run off the event loop, within bounds; the box keeps answering.

A 9.5 MB entrants CSV froze the speaker screens for 34 s and a 9.5 MB event
YAML froze /healthz for 41 s (+760 MB): both were parsed on the event loop,
whatever their size. Now CSV and YAML are parsed (and the entrants built) in a
thread, an event file beyond CHRONO_EDGE_REQUEST_MAX_BYTES is refused (413)
before parsing, and YAML is composed with a node budget (an alias bomb is
refused). A real ``chrono-edge serve``; while it imports, /healthz and the
speaker board must answer, each within a generous timeout (not a speed target:
bench/bench_import_blocking.py measures the latency).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG, LiveBox, live_box
from tests.syncbox import query

pytestmark = pytest.mark.integration

ANSWER_S = 10.0
"""How long /healthz may take during an import: it answers in milliseconds when the
loop is free; the parse of a large file on the loop took 30 s and more."""
BOARD_S = 30.0
"""How long the speaker board may take: once 100,000 entrants are in, its first sheet
loads them all (seconds on this machine; the results engine's cost, not the import's)."""
PROBES = {"/healthz": ANSWER_S, f"/api/v1/events/{EXAMPLE_SLUG}/arrivals": BOARD_S}
ENTRANTS = f"/api/v1/events/{EXAMPLE_SLUG}/entrants/import"
HEADER = "Dossard;Nom;Prénom;Sexe;Date de naissance;Club;Équipe;Course;Vague;Puce\n"


def entrants_csv(count: int) -> bytes:
    """``count`` valid entrants of the example event (the report's file was 9.5 MB)."""
    rows = (
        f"{n};Nom{n};Prénom{n};{'FH'[n % 2]};14/03/1990;Club {n % 300};Équipe {n % 50};10K;"
        f"W{1 + n % 2};E28011606000020000{n:06X}\n"
        for n in range(1, count + 1)
    )
    return (HEADER + "".join(rows)).encode()


def event_yaml(nodes: int) -> bytes:
    """The example event file followed by a long list: a large file, slow to compose."""
    text = EXAMPLE_EVENT.read_text(encoding="utf-8")
    return (text + "notes:\n" + "".join(f"  - note {n}\n" for n in range(nodes))).encode()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    """A box that takes the report's 9.5 MB entrants file (the default bound is 8 MiB)."""
    limits = {"CHRONO_EDGE_IMPORT_MAX_BYTES": str(16 * 1024 * 1024)}
    with live_box(tmp_path_factory.mktemp("box"), entrants=None, env=limits) as running:
        yield running


def while_posting(box: LiveBox, path: str, body: bytes) -> tuple[int, list[str], int]:
    """POST ``body`` in a thread and probe the box meanwhile.

    Returns the POST's status, the probes that failed (timed out or not 200)
    and how many probes were made while the POST was running.
    """
    outcome: dict[str, int] = {}

    def post() -> None:
        with httpx.Client(base_url=box.url, timeout=600) as client:
            outcome["status"] = client.post(path, content=body).status_code

    failures: list[str] = []
    probes = 0
    poster = threading.Thread(target=post)
    poster.start()
    with httpx.Client(base_url=box.url) as client:
        while poster.is_alive():
            for probe, timeout_s in PROBES.items():
                try:
                    answer = client.get(probe, timeout=timeout_s)
                    if answer.status_code != 200:
                        failures.append(f"{probe}: {answer.status_code}")
                except httpx.TimeoutException:
                    failures.append(f"{probe}: no answer within {timeout_s} s")
            probes += 1
            poster.join(0.2)
    return outcome["status"], failures, probes


def test_a_large_entrants_import_leaves_the_box_answering(box: LiveBox) -> None:
    body = entrants_csv(100_000)
    assert len(body) > 9_000_000
    status, failures, probes = while_posting(box, ENTRANTS, body)
    assert status == 201
    assert failures == []
    assert probes >= 3  # the import took long enough for the probes to mean something
    assert query(box.db, "SELECT count(*) FROM entrant")[0][0] == 100_000


def test_an_entrants_file_beyond_the_bound_is_refused_and_nothing_is_stored(
    box: LiveBox,
) -> None:
    body = entrants_csv(200_000)  # 18.6 MB
    assert len(body) > 16 * 1024 * 1024
    before = query(box.db, "SELECT count(*) FROM entrant")[0][0]
    status, failures, _ = while_posting(box, ENTRANTS, body)
    assert status == 413
    assert failures == []
    assert query(box.db, "SELECT count(*) FROM entrant")[0][0] == before


def test_an_event_file_beyond_the_bound_is_refused_and_the_box_keeps_answering(
    box: LiveBox,
) -> None:
    body = event_yaml(600_000)  # about 9.5 MB, as in the report
    assert len(body) > 9_000_000
    for path in ("/api/v1/events", "/api/v1/setup/event"):
        status, failures, _ = while_posting(box, path, body)
        assert status == 413
        assert failures == []
    assert query(box.db, "SELECT count(*) FROM event")[0][0] == 1


def test_a_large_event_file_within_the_bound_is_parsed_off_the_loop(box: LiveBox) -> None:
    body = event_yaml(60_000)  # under 1 MiB, yet seconds of pure-Python composing
    assert len(body) < 1024 * 1024
    status, failures, _ = while_posting(box, "/api/v1/events", body)
    assert status == 422  # "notes" is no field of an event file
    assert failures == []


def test_a_yaml_alias_bomb_is_refused(box: LiveBox) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    body = "\n".join(lines).encode()
    status, failures, _ = while_posting(box, "/api/v1/events", body)
    assert status == 422
    assert failures == []
    answer = httpx.post(f"{box.url}/api/v1/events", content=body, timeout=ANSWER_S)
    assert "more than" in answer.json()["problems"][0]["reason"]


def test_the_box_still_loads_a_normal_event_file(box: LiveBox, tmp_path: Path) -> None:
    answer = httpx.post(f"{box.url}/api/v1/events", content=EXAMPLE_EVENT.read_bytes())
    assert answer.status_code in (200, 201), answer.text
