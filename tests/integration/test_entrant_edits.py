"""Entrants on a real database: pages of the list, checked edits, per-row import reports."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from edge.errors import InvalidInput, NotFound
from edge.imports.eventfile import load_event_file
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.roster import RosterService
from edge.store.database import Database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
HEADER = "bib;last_name;first_name;sex;club;race;wave;tag"


def _file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode("utf-8") + b"\n"


def _tag(bib: int) -> str:
    return f"E28011606000020000{bib:06X}"


async def _loaded(db: Database, count: int) -> None:
    await EventService(db).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    rows = [
        f"{b};Runner{b:03d};Ann;{'F' if b % 2 else 'M'};{'Club A' if b % 3 else 'Club B'};10K;W1;"
        f"{_tag(b)}"
        for b in range(1, count + 1)
    ]
    report = await EntrantService(db).import_csv(SLUG, _file(*rows))
    assert report.written


def _outbox(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("SELECT count(*) FROM outbox").fetchone()[0])


async def test_pages_go_through_thousands_in_bib_order(database: Database) -> None:
    await _loaded(database, 1200)
    roster = RosterService(database)
    first = await roster.page(SLUG)
    assert (first.total, first.pages) == (1200, 24)
    assert [line.entrant.bib for line in first.lines][:3] == ["1", "2", "3"]  # numeric order
    last = await roster.page(SLUG, page=99)  # past the end: the last page
    assert last.page == 24
    assert [line.entrant.bib for line in last.lines][-1] == "1200"
    club_b = await roster.page(SLUG, search="club b")
    assert club_b.total == 400
    assert (await roster.page(SLUG, search="0042")).lines[0].entrant.bib == "42"
    assert (await roster.page(SLUG, race="10k")).total == 1200


async def test_an_edit_with_a_problem_writes_nothing(database: Database, db_path: Path) -> None:
    await _loaded(database, 3)
    service, before = EntrantService(database), _outbox(db_path)
    line = await RosterService(database).line(SLUG, "2")
    assert line is not None
    values = line.form()
    for field, wrong, reason in (
        ("sex", "X", "sex 'X'"),
        ("tag1", _tag(3), "already worn by bib 3"),
        ("wave", "W9", "wave 'W9' is not a wave of race 10K"),
        ("last_name", " ", "the last name is empty"),
    ):
        with pytest.raises(InvalidInput) as error:
            await service.update_entrant(SLUG, "2", {**values, "club": "New", field: wrong})
        assert any(reason in p.reason for p in error.value.problems), error.value.problems
    assert _outbox(db_path) == before
    again = await RosterService(database).line(SLUG, "2")
    assert again is not None
    assert again.form() == values
    with pytest.raises(NotFound):
        await service.update_entrant(SLUG, "99", values)


async def test_an_edit_is_saved_and_replicated(database: Database, db_path: Path) -> None:
    await _loaded(database, 3)
    before = _outbox(db_path)
    line = await RosterService(database).line(SLUG, "2")
    assert line is not None
    changed = {**line.form(), "club": "Paris Running", "wave": "W2", "sex": "F", "tag2": ""}
    entrant = await EntrantService(database).update_entrant(SLUG, "02", changed)
    assert (entrant.bib, entrant.club, entrant.sex) == ("2", "Paris Running", "F")
    saved = await RosterService(database).line(SLUG, "2")
    assert saved is not None
    assert saved.wave == "W2"
    assert _outbox(db_path) == before + 1
    # Saving the same values again changes nothing and replicates nothing.
    await EntrantService(database).update_entrant(SLUG, "2", saved.form())
    assert _outbox(db_path) == before + 1


async def test_the_dry_run_reports_every_row(database: Database, db_path: Path) -> None:
    await _loaded(database, 3)
    before = _outbox(db_path)
    data = _file(
        f"1;Runner001;Ann;F;Club A;10K;W1;{_tag(1)}",  # unchanged
        f"2;Runner002;Ann;M;Club C;10K;W1;{_tag(2)}",  # club changes
        f"7;Garcia;Ana;X;;10K;W1;{_tag(7)}",  # bad sex
        f"8;Ito;Ken;M;;10K;W1;{_tag(8)}",  # new
    )
    report = await EntrantService(database).import_csv(SLUG, data, dry_run=True)
    outcome = [(r.line, r.bib, r.name, r.action) for r in report.rows]
    assert outcome == [
        (2, "1", "Ann Runner001", "unchanged"),
        (3, "2", "Ann Runner002", "updated"),
        (4, "7", "Ana Garcia", "error"),
        (5, "8", "Ken Ito", "added"),
    ]
    assert report.rows[1].detail == "club"
    assert "sex 'X'" in report.rows[2].detail
    assert not report.written
    with pytest.raises(InvalidInput):
        await EntrantService(database).import_csv(SLUG, data)
    assert _outbox(db_path) == before
    assert (await RosterService(database).page(SLUG)).total == 3
