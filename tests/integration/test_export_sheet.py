"""Exports read the race in bulk and write CSV rows straight from the results (bench_exports):
the sheet and the files must be what the results service and the table rows made before.

A race on a real SQLite file with every status (finished, on course, DNF computed and
set by hand, DNS, DSQ by correction), a tie, teams, categories, waves, tag reads, a chip
swap and moved, ignored and added passings; the CSVs in English and French.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from edge.domain import ManualStatus, PassingMethod
from edge.domain.clock import parse_instant
from edge.errors import NotFound
from edge.exports.csvsheet import csv_bytes
from edge.exports.words import sheet_words
from edge.imports.eventfile import load_event_file
from edge.services.checkins import CheckinService
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.exports import (
    ExportRequest,
    ExportService,
    _sheet_bytes,
    _stamped,
    _tables,
)
from edge.services.exports_sheet import export_sheet
from edge.services.passings import NewPassing, PassingService
from edge.services.reads import ReadService
from edge.services.results import RaceSheet, ResultService
from edge.services.signoff import SignoffService
from edge.store.database import Database
from edge.timing.model import Status
from tests.syncbox import crossing, record

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
RELAY = "relais-trois-ponts-2026"
DURING = parse_instant("2026-04-12T10:20:00+02:00")  # W1 started 50 min ago, W2 40
CLOSED = parse_instant("2026-04-12T12:00:00+02:00")  # past W2's 2 h cutoff
HEADER = "Dossard;Nom;Prénom;Sexe;Date de naissance;Club;Équipe;Course;Vague;Puce"
TEAMS = ["Les Gazelles", "Les Lièvres", ""]
CLUBS = ["AC Montreuil", '=HYPERLINK("x")', 'Stade "Français", running', ""]


def tag(bib: int) -> str:
    return f"E2801160600002000000B{bib:03d}"


def entrants_csv() -> bytes:
    """24 entrants: both sexes, ages for every category (and none), three waves' worth."""
    lines = [HEADER]
    for bib in range(1, 25):
        sex = "F" if bib % 2 else "H"
        born = "" if bib == 24 else f"{1960 + bib * 2}-0{1 + bib % 9}-1{bib % 10}"
        wave = ["W1", "W2", ""][bib % 3]
        club = CLUBS[bib % 4].replace('"', '""')
        team = TEAMS[bib % 3]
        lines.append(f'{bib};Nom{bib};Zoé;{sex};{born};"{club}";{team};10K;{wave};{tag(bib)}')
    return ("\n".join(lines) + "\n").encode()


def at(clock: str) -> int:
    return parse_instant(f"2026-04-12T{clock}+02:00")


async def load_race(db: Database, path: Path) -> None:
    """The 10K with its corrections; see the module's docstring."""
    await EventService(db).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    await EntrantService(db).import_csv(SLUG, entrants_csv())
    passings = PassingService(db)
    for bib in range(1, 19):  # 19..24: DNS unless a correction says otherwise
        wave_start = "09:40" if bib % 3 == 1 else "09:30"
        start = at(f"{wave_start}:0{bib % 7}")
        km5 = start + (900 + 13 * bib) * 1_000_000
        for point, time_us in (("START", start), ("KM5", km5)):
            await passings.record(
                SLUG, NewPassing(point, str(bib), time_us), method=PassingMethod.MANUAL
            )
        if bib <= 12:  # 13..18 passed KM5 only: on course, then DNF once the race is over
            finish = start + (1800 + 37 * bib) * 1_000_000 + bib * 123_456
            if bib == 10:  # bib 10 ties bib 9: the same chip time
                finish = start + (1800 + 37 * 9) * 1_000_000 + 9 * 123_456
            await passings.record(
                SLUG, NewPassing("FINISH", str(bib), finish), method=PassingMethod.MANUAL
            )
    # Bib 19 and 20 cross the finish on their chips alone (no bib on the passing).
    for bib, clock in ((19, "10:16:00"), (20, "10:17:30")):
        await asyncio.to_thread(record, path, "FINISH", crossing(tag(bib), at(clock)), "box")
    await ReadService(db).rebuild(SLUG, "FINISH")
    corrections = CorrectionService(db)
    # Bib 21 got bib 20's chip at the start: the chip's finish is 21's.
    await CheckinService(db).swap(SLUG, tag(20), "21", "chips swapped at the start", "Ana")
    found = await passings.list_passings(SLUG, point="FINISH")
    finish_of = {p.bib: p.id for p, _ in found if p.bib}
    await corrections.apply(
        SLUG, CorrectionRequest("move", passing_id=finish_of["1"], time="10:12:00.5"), "Ana"
    )
    await corrections.apply(SLUG, CorrectionRequest("ignore", passing_id=finish_of["2"]), "Ana")
    await corrections.apply(
        SLUG, CorrectionRequest("add", bib="22", point="finish", time="10:18:00"), "Ana"
    )
    await corrections.apply(
        SLUG, CorrectionRequest("status", bib="3", status="DSQ", reason="cut the course"), "Ana"
    )
    await EntrantService(db).set_manual_status(SLUG, "4", ManualStatus.DNF)


@pytest.fixture
async def race(database: Database, db_path: Path) -> Database:
    await load_race(database, db_path)
    return database


def assert_same_sheet(made: RaceSheet, expected: RaceSheet) -> None:
    assert made.spec == expected.spec
    assert made.results == expected.results
    assert made.relay == expected.relay
    assert made.teams == expected.teams
    assert made.race.race.id == expected.race.race.id


async def said(db: Database, language: str | None) -> str:
    state = await SignoffService(db).state(SLUG, "10K")
    return sheet_words(language).state(state.state.value, state.version)


async def tables_csv(db: Database, sheet: RaceSheet, request: ExportRequest) -> bytes:
    """The CSV as it was made before: table rows of dicts, stamped, then ``csv_bytes``."""
    words = sheet_words(request.language)
    people = words if request.language not in (None, "en") else None
    stamp = await said(db, request.language)
    return csv_bytes(_stamped(_tables(sheet, request.kind, words), stamp), people)


async def test_the_export_sheet_is_the_results_services_at_any_moment(race: Database) -> None:
    results = ResultService(race)
    for moment in (DURING, CLOSED):
        expected = await results.race_sheet(SLUG, "10K", moment)
        assert_same_sheet(await export_sheet(race, SLUG, "10K", moment), expected)
    # The race holds what the comparison is about.
    during = {r.entrant.bib: r for r in (await export_sheet(race, SLUG, "10K", DURING)).results}
    closed = await export_sheet(race, SLUG, "10K", CLOSED)
    statuses = {r.entrant.bib: r.status for r in closed.results}
    assert {r.status for r in during.values()} == set(Status)
    assert (during["13"].status, statuses["13"]) == (Status.ONC, Status.DNF)
    assert (statuses["3"], statuses["4"], statuses["24"]) == (Status.DSQ, Status.DNF, Status.DNS)
    assert statuses["2"] is not Status.FIN  # its finish ignored
    assert (statuses["21"], statuses["20"]) == (Status.FIN, Status.DNS)  # the swap
    assert (statuses["19"], statuses["22"]) == (Status.FIN, Status.FIN)  # chip read, added
    assert during["9"].rank == during["10"].rank is not None  # the tie
    assert any(team.rank is not None for team in closed.teams)
    assert len({r.category for r in closed.results}) >= 4


async def test_the_csv_files_are_the_ones_table_rows_made(race: Database, tmp_path: Path) -> None:
    exports = ExportService(race, tmp_path / "exports")

    async def nothing(_percent: int, _stage: str) -> None:
        return None

    for kind in ("scratch", "category", "teams"):
        for language in (None, "en", "fr"):
            request = ExportRequest(SLUG, "10K", kind, "csv", language)
            made = await exports.produce(request, nothing)
            # The event is long over: the sheet of now is the closed race's.
            sheet = await ResultService(race).race_sheet(SLUG, "10K")
            expected = await tables_csv(race, sheet, request)
            assert (tmp_path / "exports" / made.name).read_bytes() == expected, (kind, language)
    # Runners on course too, by the writer itself, for the scratch and category sheets.
    during = await export_sheet(race, SLUG, "10K", DURING)
    for kind in ("scratch", "category"):
        for language in (None, "fr"):
            request = ExportRequest(SLUG, "10K", kind, "csv", language)
            stamp = await said(race, language)
            assert _sheet_bytes(during, request, stamp) == await tables_csv(race, during, request)
    french = (tmp_path / "exports" / f"{SLUG}_10K_scratch-fr.csv").read_text("utf-8-sig")
    assert french.startswith("Clt,Dossard,Prénom,Nom")
    assert "'=HYPERLINK" in french
    assert "DSQ" in french
    assert "ONC" not in french


async def test_a_relays_sheet_is_the_results_services(database: Database) -> None:
    await EventService(database).load(load_event_file(ROOT / "docs/examples/relay.yaml"))
    entrants = (ROOT / "docs/examples/relay-entrants.csv").read_bytes()
    await EntrantService(database).import_csv(RELAY, entrants)
    passings = PassingService(database)
    start = parse_instant("2026-10-04T10:30:00+02:00")
    for team in (1, 2, 4):
        for leg in (1, 2, 3):
            crossed = start + leg * (600 + 17 * team) * 1_000_000
            await passings.record(
                RELAY, NewPassing("FINISH", f"{team}{leg}", crossed), method=PassingMethod.MANUAL
            )
    moment = parse_instant("2026-10-04T12:30:00+02:00")
    expected = await ResultService(database).race_sheet(RELAY, "RELAY", moment)
    made = await export_sheet(database, RELAY, "RELAY", moment)
    assert_same_sheet(made, expected)
    assert [team.rank for team in made.relay][:3] == [1, 2, 3]


async def test_a_race_with_no_finisher_gives_the_same_files(
    database: Database, tmp_path: Path
) -> None:
    await EventService(database).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    await EntrantService(database).import_csv(SLUG, entrants_csv())
    exports = ExportService(database, tmp_path / "exports")

    async def nothing(_percent: int, _stage: str) -> None:
        return None

    for kind in ("scratch", "category"):
        request = ExportRequest(SLUG, "10K", kind, "csv", "fr")
        made = (tmp_path / "exports" / (await exports.produce(request, nothing)).name).read_bytes()
        sheet = await ResultService(database).race_sheet(SLUG, "10K")
        assert made == await tables_csv(database, sheet, request), kind
    # No category has a finisher: no table, not even a header (as before).
    assert made == "\ufeff\n".encode()


async def test_the_collector_paused_for_a_sheet_runs_again_after_it(race: Database) -> None:
    """The worker's garbage collector is paused while a sheet is made, never left off."""
    assert gc.isenabled()
    assert (await export_sheet(race, SLUG, "10K")).results
    assert gc.isenabled()
    with pytest.raises(NotFound):
        await export_sheet(race, SLUG, "42K")
    assert gc.isenabled()
    gc.disable()  # paused by someone else (another export): theirs to end
    try:
        await export_sheet(race, SLUG, "10K")
        assert not gc.isenabled()
    finally:
        gc.enable()
