"""Chip swaps (issue 21): a chip given to another bib takes every passing with it, before
and after the swap, in the results (full and live) and in check-ins; the swap is a
correction with who/when/why, undoable, and reaches central like every other correction
(SQLite and PostgreSQL, through the real Forwarder)."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from edge.app import create_app
from edge.cli import cli
from edge.domain.clock import now_us
from edge.errors import Conflict, InvalidInput, NotFound
from edge.roleconfig import load_file_role
from edge.services.checkins import CheckinService
from edge.services.corrections import CorrectionService
from edge.services.live import LiveResults
from edge.services.passing_feed import PassingFeed
from edge.services.passings import PassingService
from edge.services.reads import ReadService
from edge.services.results import ResultService
from edge.settings import Settings
from edge.store.checkins import record_checkins
from edge.store.database import Database
from edge.store.reads import ReadIn, connect
from edge.sync.outbox import Outbox
from tests.integration.test_backup_line_central import held_payloads
from tests.integration.test_central_sync import database_url, enroll, pusher
from tests.servers import central_process, free_port
from tests.syncbox import SLUG, crossing, load_box, query, record

pytestmark = pytest.mark.integration

__all__ = ["database_url"]  # the fixture, one central database per backend

ROOT = Path(__file__).resolve().parents[2]
TEN_AM = 1_775_980_800_000_000  # 2026-04-12T10:00:00+02:00
MINUTE = 60_000_000
W2_US = 1_775_979_600_000_000  # 2026-04-12T09:40:00+02:00, wave W2's start
CHIP_2 = "E2801160600002000000A002"  # bib 2's chip in docs/examples/entrants.csv


def loaded_box(path: Path) -> Path:
    box = load_box(path)
    args = ["--db", str(box), "entrants", "import", str(ROOT / "docs/examples/entrants.csv"),
            "--event", SLUG]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return box


async def standing(db: Database) -> dict[str, tuple[str, int | None, dict[str, int | None]]]:
    """bib -> (status, finish instant, splits) of the 10K, fully recomputed."""
    sheet = await ResultService(db).race_sheet(SLUG, "10K")
    return {r.entrant.bib: (r.status.value, r.finish_us, r.splits_us) for r in sheet.results}


async def passing_bibs(db: Database) -> dict[tuple[str, int], str | None]:
    """(point, time) -> bib of every passing, as the passings export resolves them."""
    found = await PassingService(db).export_rows(SLUG)
    return {(row["point"], row["timestamp_us"]): row["bib"] for row in found}


async def test_a_swap_moves_earlier_and_later_passings_to_the_new_bib(tmp_path: Path) -> None:
    box = await asyncio.to_thread(loaded_box, tmp_path / "edge.db")
    km5 = TEN_AM + 5 * MINUTE
    record(box, "KM5", crossing(CHIP_2, km5), "box")
    db = Database(box)
    try:
        reads = ReadService(db)
        await reads.rebuild(SLUG, "KM5")
        live = LiveResults(db)
        assert (await live.sheet(SLUG, "10K")).results  # the serve process keeps the race
        before = await standing(db)
        assert before["2"][2]["KM5"] is not None
        assert before["5"][2]["KM5"] is None

        feed = PassingFeed(db)
        _, cursor = await feed.recent(SLUG)
        swap = await CheckinService(db).swap(
            SLUG, CHIP_2.lower(), "5", "bibs 2 and 5 swapped at the start", "Anne"
        )
        # The console hears of it: the swap, and the chip's passing now bib 5's.
        told = await feed.changes(SLUG, cursor)
        assert [(i.event, i.data["bib"]) for i in told] == [("passing", "5"), ("correction", "5")]
        assert told[0].data["name"] == "Chloé Bernard"
        assert told[1].data["chip"] == CHIP_2
        assert (swap.kind, swap.epc, swap.bib, swap.created_by) == ("swap", CHIP_2, "5", "Anne")
        assert swap.reason == "bibs 2 and 5 swapped at the start"
        assert abs(swap.created_us - now_us()) < 60_000_000

        # A passing stored after the swap follows it too.
        finish = TEN_AM + 12 * MINUTE
        record(box, "FINISH", crossing(CHIP_2, finish), "box")
        await reads.rebuild(SLUG, "FINISH")

        after = await standing(db)
        assert after["5"][0] == "FIN"
        assert after["5"][1] == finish
        assert after["5"][2]["KM5"] == km5 - W2_US  # bib 5 runs in wave W2
        assert after["2"][0] != "FIN"
        assert after["2"][1] is None
        assert after["2"][2]["KM5"] is None
        # The live sheet (the pages' and screens') agrees with the full recompute.
        sheet = await live.sheet(SLUG, "10K")
        live_standing = {r.entrant.bib: (r.status.value, r.finish_us) for r in sheet.results}
        assert live_standing["5"] == ("FIN", finish)
        assert live_standing["2"][1] is None
        assert set((await passing_bibs(db)).values()) == {"5"}
        # Stored passings are untouched: the swap is applied where tags become bibs.
        assert query(box, "SELECT DISTINCT epc, bib FROM passing") == [(CHIP_2, None)]

        # Undone (kept, with who undid it): the chip is bib 2's again, results follow.
        await CorrectionService(db).undo(SLUG, swap.id, "Bob")
        undone = await standing(db)
        assert (undone["2"][0], undone["2"][1]) == ("FIN", finish)
        assert undone["5"][1] is None
        [kept] = await CheckinService(db).swaps(SLUG)
        assert (kept.active, kept.undone_by, kept.created_by) == (False, "Bob", "Anne")
    finally:
        await db.close()


async def test_checkins_follow_a_swap_and_bad_swaps_store_nothing(tmp_path: Path) -> None:
    box = await asyncio.to_thread(loaded_box, tmp_path / "edge.db")
    with connect(box) as connection:
        (event_id,) = connection.execute("SELECT id FROM event").fetchone()
        record_checkins(connection, event_id, [ReadIn(CHIP_2, 4, -55.0, TEN_AM, TEN_AM)])
    db = Database(box)
    try:
        checkins = CheckinService(db)
        [seen] = (await checkins.board(SLUG)).recent
        assert (seen.state, seen.bib) == ("checked", "2")
        problems = [
            (CHIP_2, "5", "", InvalidInput),  # no reason
            (CHIP_2, "999", "swapped", NotFound),  # nobody wears bib 999
            ("not-hex!", "5", "swapped", InvalidInput),
            (CHIP_2, "2", "swapped", Conflict),  # the chip is bib 2's already
        ]
        for epc, bib, reason, error in problems:
            with pytest.raises(error):
                await checkins.swap(SLUG, epc, bib, reason, "Anne")
        assert query(box, "SELECT count(*) FROM correction") == [(0,)]

        await checkins.swap(SLUG, CHIP_2, "5", "bibs swapped", "Anne")
        board = await checkins.board(SLUG, missing=100)
        [seen] = board.recent
        assert (seen.state, seen.bib, seen.name) == ("checked", "5", "Chloé Bernard")
        [race] = board.races
        missing = {m.bib for m in race.missing}
        assert "5" not in missing
        assert "2" in missing
    finally:
        await db.close()


async def test_a_swap_reaches_central_like_every_correction(
    database_url: str, tmp_path: Path
) -> None:
    box = await asyncio.to_thread(loaded_box, tmp_path / "box" / "edge.db")
    db = Database(box)
    try:
        swap = await CheckinService(db).swap(SLUG, CHIP_2, "5", "bibs swapped", "Anne")
        await CorrectionService(db).undo(SLUG, swap.id, "Bob")
    finally:
        await db.close()

    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, central_process(database_url, free_port(), tmp_path)
        )
        device, token = await enroll(database_url, f"swap-{tmp_path.name}")
        async with pusher(box, base, token, device) as pushing:
            assert await pushing.push_once() == Outbox(box, "central").last_seq()
        held = await held_payloads(database_url, device, "correction")

    # Made, then undone: both states reached central, in order, with who/when/why.
    assert [
        (c["id"], c["kind"], c["target_epc"], c["bib"], c["reason"], c["created_by"]) for c in held
    ] == [(swap.id, "swap", CHIP_2, "5", "bibs swapped", "Anne")] * 2
    assert [(c["undone_by"], c["created_us"]) for c in held] == [
        (None, swap.created_us),
        ("Bob", swap.created_us),
    ]


def test_swap_through_the_api_and_the_checkin_page(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    base = f"/api/v1/events/{SLUG}"
    with TestClient(app=create_app(settings)) as client:
        event = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
        assert client.post("/api/v1/events", content=event).status_code == 201
        entrants = (ROOT / "docs/examples/entrants.csv").read_bytes()
        assert client.post(f"{base}/entrants/import", content=entrants).status_code == 201
        page = client.get("/checkin")
        assert page.status_code == 200
        assert 'id="latest"' in page.text
        assert 'id="checkin-setup"' in page.text  # no check-in antenna chosen yet

        for wrong, status in (
            ({"kind": "swap", "epc": CHIP_2, "bib": "5"}, 422),  # no reason
            ({"kind": "swap", "epc": "", "bib": "5", "reason": "x"}, 422),
            ({"kind": "swap", "epc": CHIP_2, "bib": "999", "reason": "x"}, 404),
            ({"kind": "swap", "epc": CHIP_2, "bib": "2", "reason": "x"}, 409),
        ):
            response = client.post(f"{base}/corrections", json=wrong)
            assert response.status_code == status, (wrong, response.text)
            assert response.json()["detail"]
        made = client.post(
            f"{base}/corrections",
            json={"kind": "swap", "epc": CHIP_2, "bib": "5", "reason": "bibs swapped", "by": "Zoé"},
        )
        assert made.status_code == 201, made.text
        assert (made.json()["epc"], made.json()["bib"], made.json()["created_by"]) == (
            CHIP_2,
            "5",
            "Zoé",
        )
        board = client.get(f"{base}/checkins", params={"missing": 2})
        assert board.status_code == 200, board.text
        [race] = board.json()["races"]
        assert (race["code"], race["checked"], race["entrants"]) == ("10K", 0, 6)
        assert [m["bib"] for m in race["missing"]] == ["1", "2"]
        assert board.json()["recent"] == []
        assert client.get(f"{base}/checkins", params={"missing": -1}).status_code == 400
        assert client.get("/api/v1/events/nope/checkins").status_code == 404
        listed = client.get("/checkin")
        assert "bibs swapped" in listed.text
        assert "Zoé" in listed.text

        # /setup's check-in point: bad antennas say why and write nothing.
        refused = client.post("/setup/checkin", data={"checkin": "antennas", "antennas": "7"})
        assert refused.status_code == 422
        assert "not an antenna of the reader" in refused.text
        assert not settings.paths.role_file.exists()
        saved = client.post("/setup/checkin", data={"checkin": "antennas", "antennas": "3, 4"})
        assert saved.status_code == 200, saved.text
        assert load_file_role(settings.paths.role_file).checkin.antennas == [3, 4]
        assert 'id="checkin-setup"' not in client.get("/checkin").text


def test_swap_and_unchecked_from_the_command_line(tmp_path: Path) -> None:
    box = loaded_box(tmp_path / "edge.db")
    with closing(connect(box)) as connection:
        (event_id,) = connection.execute("SELECT id FROM event").fetchone()
        record_checkins(connection, event_id, [ReadIn(CHIP_2, 4, -55.0, TEN_AM, TEN_AM)])

    def chrono(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", str(box), *args])

    unchecked = chrono("entrants", "unchecked", "--event", SLUG, "--format", "json")
    assert unchecked.exit_code == 0, unchecked.output
    bibs = [row["bib"] for row in json.loads(unchecked.output)]
    assert bibs == ["1", "3", "4", "5", "6"]  # bib 2's chip was checked
    wrong = chrono("entrants", "unchecked", "--event", SLUG, "--race", "42K")
    assert wrong.exit_code != 0
    assert "no race '42K' (races: 10K)" in wrong.output

    refused = chrono("entrants", "swap-chip", "--event", SLUG, "--epc", CHIP_2, "--bib", "2",
                     "--reason", "typo")  # fmt: skip
    assert refused.exit_code != 0
    assert "already counts for bib 2" in refused.output
    done = chrono("entrants", "swap-chip", "--event", SLUG, "--epc", CHIP_2, "--bib", "5",
                  "--reason", "bibs swapped", "--by", "Anne")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"chip {CHIP_2} now counts for bib 5" in done.output
    csv = chrono("entrants", "unchecked", "--event", SLUG).output.splitlines()
    assert csv[0] == "race,bib,name,club,wave"
    assert [line.split(",")[1] for line in csv[1:]] == ["1", "2", "3", "4", "6"]
    assert query(box, "SELECT kind, target_epc, bib, created_by FROM correction") == [
        ("swap", CHIP_2, "5", "Anne")
    ]
