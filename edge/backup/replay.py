"""Replaying a box's own replicated changes onto a restored snapshot of it.

The restored database must end up as the original was: same rows, same ids,
and the same outbox (seq by seq), so the box carries on replicating exactly
where central stands. Applied rows fire the outbox triggers; those rows are
replaced by the changes as central holds them, seq for seq.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from edge.domain.clock import now_us
from edge.errors import InvalidInput, Problem

_READ_COLUMNS: tuple[str, ...] = ("id", "device_id", "epc", "antenna", "rssi_dbm")
_READ_COLUMNS += ("reader_time_us", "corrected_time_us", "created_us")
_PASSING_COLUMNS: tuple[str, ...] = ("id", "bib", "epc", "time_us", "method", "source")
_PASSING_COLUMNS += ("read_count", "status", "created_us")
_ENTRANT_COLUMNS: tuple[str, ...] = ("id", "bib", "last_name", "first_name", "sex")
_ENTRANT_COLUMNS += ("birth_date", "birth_year", "club", "team", "tag1", "tag2")
_ENTRANT_COLUMNS += ("category_override", "manual_status")
# Columns added since (0008: a relay runner's leg): a snapshot taken before has no such
# column and a change written before has no such key, so each is replayed only if present.
_ENTRANT_LATER_COLUMNS: tuple[str, ...] = ("leg",)
_CHECKIN_COLUMNS: tuple[str, ...] = ("id", "device_id", "epc", "antenna", "first_us")
_CHECKIN_COLUMNS += ("last_us", "read_count", "created_us")
_CORRECTION_COLUMNS: tuple[str, ...] = ("id", "kind", "passing_id", "target_epc")
_CORRECTION_COLUMNS += ("target_time_us", "time_us", "bib", "status", "reason", "created_by")
_CORRECTION_COLUMNS += ("created_us", "undone_by", "undone_us")


def replay_changes(connection: sqlite3.Connection, changes: Iterable[Mapping[str, Any]]) -> int:
    """Apply changes (already in seq order) inside the caller's transaction; return how many."""
    places = _Places(connection)
    entrant_columns = _ENTRANT_COLUMNS + _columns_in(connection, "entrant", _ENTRANT_LATER_COLUMNS)
    first_seq: int | None = None
    applied: list[Mapping[str, Any]] = []
    for change in changes:
        first_seq = first_seq if first_seq is not None else int(change["seq"])
        payload = change["payload"]
        table, op = change["table"], change["op"]
        if table == "tag_read" and op == "upsert":
            event_id, point_id = places.resolve(payload)
            values = [payload[c] for c in _READ_COLUMNS]
            connection.execute(
                "INSERT OR IGNORE INTO tag_read (event_id, point_id, " + ", ".join(_READ_COLUMNS)
                + ") VALUES (?, ?" + ", ?" * len(_READ_COLUMNS) + ")",
                [event_id, point_id, *values],
            )  # fmt: skip
        elif table == "passing" and op == "upsert":
            event_id, point_id = places.resolve(payload)
            columns = ", ".join(_PASSING_COLUMNS)
            updates = ", ".join(f"{c} = excluded.{c}" for c in ("point_id", *_PASSING_COLUMNS[1:]))
            connection.execute(
                f"INSERT INTO passing (event_id, point_id, {columns}) VALUES (?, ?"
                + ", ?" * len(_PASSING_COLUMNS) + f") ON CONFLICT(id) DO UPDATE SET {updates}",
                [event_id, point_id, *(payload[c] for c in _PASSING_COLUMNS)],
            )  # fmt: skip
        elif table == "passing" and op == "delete":
            connection.execute("DELETE FROM passing WHERE id = ?", [change["row_id"]])
        elif table == "entrant" and op == "upsert":
            event_id, race_id, wave_id = places.entrant(payload)
            columns = ", ".join(entrant_columns)
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in ("race_id", "wave_id", *entrant_columns[1:])
            )
            values = [payload[c] for c in _ENTRANT_COLUMNS]
            values += [payload.get(c) for c in entrant_columns[len(_ENTRANT_COLUMNS) :]]
            connection.execute(
                f"INSERT INTO entrant (event_id, race_id, wave_id, {columns}) VALUES (?, ?, ?"
                + ", ?" * len(entrant_columns)
                + f") ON CONFLICT(id) DO UPDATE SET {updates}",
                [event_id, race_id, wave_id, *values],
            )
        elif table == "entrant" and op == "delete":
            connection.execute("DELETE FROM entrant WHERE id = ?", [change["row_id"]])
        elif table == "correction" and op == "upsert":
            _replay_correction(connection, places, payload)
        elif table == "checkin" and op == "upsert":
            columns = ", ".join(_CHECKIN_COLUMNS)
            updates = ", ".join(f"{c} = excluded.{c}" for c in _CHECKIN_COLUMNS[1:])
            connection.execute(
                f"INSERT INTO checkin (event_id, {columns}) VALUES (?"
                + ", ?" * len(_CHECKIN_COLUMNS) + f") ON CONFLICT(id) DO UPDATE SET {updates}",
                [places.event(payload), *(payload[c] for c in _CHECKIN_COLUMNS)],
            )  # fmt: skip
        elif table == "checkin" and op == "delete":
            connection.execute("DELETE FROM checkin WHERE id = ?", [change["row_id"]])
        elif table == "correction" and op == "delete":
            connection.execute("DELETE FROM correction WHERE id = ?", [change["row_id"]])
        elif table == "results_version" and op == "upsert":
            _replay_results_version(connection, places, payload)
        elif table == "results_version" and op == "delete":
            connection.execute("DELETE FROM results_version WHERE id = ?", [change["row_id"]])
        applied.append(change)
    if first_seq is None:
        return 0
    # The triggers numbered what they wrote from the snapshot's sequence; central's
    # numbering is the truth, so the outbox is rewritten with it.
    connection.execute("DELETE FROM outbox WHERE seq >= ?", [first_seq])
    connection.executemany(
        "INSERT INTO outbox (seq, table_name, op, row_id, payload, created_us)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (c["seq"], c["table"], c["op"], c["row_id"], json.dumps(c["payload"]), now_us())
            for c in applied
        ],
    )
    return len(applied)


def _columns_in(
    connection: sqlite3.Connection, table: str, wanted: tuple[str, ...]
) -> tuple[str, ...]:
    """Those of ``wanted`` that ``table`` has (an older snapshot may lack later columns)."""
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    return tuple(c for c in wanted if c in present)


def _replay_correction(
    connection: sqlite3.Connection, places: _Places, payload: Mapping[str, Any]
) -> None:
    """Upsert an operator's correction (an undo arrives as a second upsert of the row)."""
    event_id = places.event(payload)
    point_id = places.point(payload, "point")
    target_point_id = places.point(payload, "target_point")
    columns = ", ".join(_CORRECTION_COLUMNS)
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in ("point_id", "target_point_id", *_CORRECTION_COLUMNS[1:])
    )
    connection.execute(
        f"INSERT INTO correction (event_id, point_id, target_point_id, {columns}) VALUES (?, ?, ?"
        + ", ?" * len(_CORRECTION_COLUMNS)
        + f") ON CONFLICT(id) DO UPDATE SET {updates}",
        [event_id, point_id, target_point_id, *(payload.get(c) for c in _CORRECTION_COLUMNS)],
    )


_RESULTS_VERSION_COLUMNS = ("id", "version", "state", "reason", "opened_by", "opened_us",
                            "signed_by", "signed_us")  # fmt: skip


def _replay_results_version(
    connection: sqlite3.Connection, places: _Places, payload: Mapping[str, Any]
) -> None:
    """Upsert a race's results version (a sign-off arrives as a second upsert of the row)."""
    _, race_id = places.race(payload)
    columns = ", ".join(_RESULTS_VERSION_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in ("race_id", *_RESULTS_VERSION_COLUMNS[1:]))
    connection.execute(
        f"INSERT INTO results_version (race_id, {columns}) VALUES (?"
        + ", ?" * len(_RESULTS_VERSION_COLUMNS)
        + f") ON CONFLICT(id) DO UPDATE SET {updates}",
        [race_id, *(payload.get(c) for c in _RESULTS_VERSION_COLUMNS)],
    )


class _Places:
    """Event and point ids by slug and code, as the snapshot has them."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        rows = connection.execute(
            "SELECT e.slug, p.code, e.id, p.id"
            " FROM timing_point p JOIN event e ON e.id = p.event_id"
        ).fetchall()
        self.ids = {(slug, code): (event_id, point_id) for slug, code, event_id, point_id in rows}
        races = connection.execute(
            "SELECT e.slug, r.code, e.id, r.id FROM race r JOIN event e ON e.id = r.event_id"
        ).fetchall()
        self.races = {(slug, code): (event_id, race_id) for slug, code, event_id, race_id in races}
        waves = connection.execute("SELECT race_id, code, id FROM wave").fetchall()
        self.waves = {(race_id, code): wave_id for race_id, code, wave_id in waves}

    def race(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        """(event id, race id) of a change naming its event and race."""
        key = (payload.get("event"), payload.get("race"))
        if key not in self.races:
            problem = Problem("change", f"event {key[0]!r} race {key[1]!r} is not in the snapshot")
            raise InvalidInput([problem], "a replicated change names an unknown race")
        return self.races[key]

    def entrant(self, payload: Mapping[str, Any]) -> tuple[str, str, str | None]:
        """(event id, race id, wave id) of an entrant change."""
        event_id, race_id = self.race(payload)
        wave = payload.get("wave")
        return event_id, race_id, self.waves.get((race_id, wave)) if wave else None

    def event(self, payload: Mapping[str, Any]) -> str:
        """The event id of a change that names only its event."""
        for (slug, _), (event_id, _) in self.ids.items():
            if slug == payload.get("event"):
                return str(event_id)
        problem = Problem("change", f"event {payload.get('event')!r} is not in the snapshot")
        raise InvalidInput([problem], "a replicated change names an unknown event")

    def point(self, payload: Mapping[str, Any], key: str) -> str | None:
        """The point id named by ``payload[key]`` (None when the change names none)."""
        if payload.get(key) is None:
            return None
        return self.resolve({"event": payload.get("event"), "point": payload[key]})[1]

    def resolve(self, payload: Mapping[str, Any]) -> tuple[str, str]:
        key = (payload.get("event"), payload.get("point"))
        if key not in self.ids:
            problem = Problem("change", f"event {key[0]!r} point {key[1]!r} is not in the snapshot")
            raise InvalidInput([problem], "a replicated change names an unknown timing point")
        return self.ids[key]
