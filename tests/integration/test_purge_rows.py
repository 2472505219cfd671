"""Purging an event's rows on a real SQLite file: that event's rows only, tables added by
later features included, and no outbox row for central."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.backup.purge import purge_event_rows
from edge.cli import cli as edge_cli
from edge.settings import get_settings
from edge.store.reads import connect, write_transaction

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
OTHER = "heure-du-parc-2026"


def chrono(db: Path, *args: str) -> None:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(edge_cli, ["--db", str(db), *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output


def counts(connection: sqlite3.Connection, slug: str) -> dict[str, int]:
    event = "(SELECT id FROM event WHERE slug = ?)"
    tables = ("passing", "entrant", "race", "timing_point", "chip_loan")
    return {
        t: connection.execute(
            f"SELECT count(*) FROM {t} WHERE event_id = {event}", [slug]
        ).fetchone()[0]
        for t in tables
    }


def test_a_purge_removes_one_event_with_tables_added_since_and_replicates_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "edge.db"
    for event, entrants in (("spring-10k", "entrants"), ("timed", "timed-entrants")):
        chrono(db, "event", "load", str(ROOT / f"docs/examples/{event}.yaml"))
        slug = SLUG if event == "spring-10k" else OTHER
        chrono(db, "entrants", "import", str(ROOT / f"docs/examples/{entrants}.csv"),
               "--event", slug)  # fmt: skip
        chrono(db, "passings", "add", "--event", slug, "--point", "FINISH", "--bib", "1",
               "--time", "2026-04-12T10:20:00+02:00")  # fmt: skip
    connection = connect(db)
    try:
        # A table a later feature adds (chips lent to runners): it points at the event and,
        # RESTRICT, at an entrant, so it must go before the entrants do.
        connection.execute(
            "CREATE TABLE chip_loan (id TEXT PRIMARY KEY,"
            " event_id TEXT NOT NULL REFERENCES event(id) ON DELETE CASCADE,"
            " entrant_id TEXT NOT NULL REFERENCES entrant(id) ON DELETE RESTRICT)"
        )
        connection.execute(
            "INSERT INTO chip_loan SELECT 'c-' || id, event_id, id FROM entrant WHERE bib = '1'"
        )
        other_before = counts(connection, OTHER)
        outbox_before = connection.execute("SELECT * FROM outbox ORDER BY seq").fetchall()
        event_id = connection.execute("SELECT id FROM event WHERE slug = ?", [SLUG]).fetchone()[0]
        with write_transaction(connection):
            purged = purge_event_rows(connection, event_id, SLUG)
        assert purged.tables["chip_loan"] == 1
        assert purged.tables["passing"] == 1
        assert purged.tables["event"] == 1
        assert counts(connection, SLUG) == dict.fromkeys(other_before, 0)
        assert counts(connection, OTHER) == other_before
        assert connection.execute("SELECT * FROM outbox ORDER BY seq").fetchall() == outbox_before
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        # The next change gets the next seq central expects: none was spent by the purge.
        last = outbox_before[-1][0]
        chrono(db, "passings", "add", "--event", OTHER, "--point", "FINISH", "--bib", "2",
               "--time", "2026-09-13T10:20:00+02:00")  # fmt: skip
        assert (
            connection.execute("SELECT min(seq) FROM outbox WHERE seq > ?", [last]).fetchone()[0]
            == last + 1
        )
    finally:
        connection.close()
