"""Official results re-opened by chip passings the reader settles after the sign-off.

Every change to a signed-off race needs a reason and opens its next version, provisional
(``edge.services.signoff``). The operator's changes pass through that check; a chip read
after the sign-off (a late runner, a chip carried over the mat) changes passings from
the reader service, with nobody to ask. It opens the next version itself, with the
reason that says so, and the race must be signed off again. Plain sqlite3, in the
reader's own write transaction (the reader never loads SQLAlchemy).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from edge.clock import now_us
from edge.ids import new_id

CHUNK = 500
"""Chips per IN list, well below SQLite's limit on bound parameters."""
REASON = "chip passings at {point} after the sign-off"
"""The reason a version opened by the reader records (the history shows it)."""
OPENED_BY = "reader"

_RACES = (
    "SELECT DISTINCT race_id FROM entrant WHERE event_id = ? AND race_id IS NOT NULL AND ("
    " tag1 IN ({tags}) OR tag2 IN ({tags}) OR bib IN ("
    "  SELECT bib FROM correction WHERE event_id = ? AND kind = 'swap'"
    "  AND undone_us IS NULL AND target_epc IN ({tags})))"
)
_LATEST = (
    "SELECT version, state FROM results_version WHERE race_id = ? ORDER BY version DESC LIMIT 1"
)
_OPEN = (
    "INSERT INTO results_version (id, race_id, version, state, reason, opened_by, opened_us)"
    " VALUES (?, ?, ?, 'provisional', ?, ?, ?)"
)


def reopen_official(
    cursor: sqlite3.Cursor, event_id: str, epcs: Collection[str], point: str
) -> list[str]:
    """Open the next version, provisional, of each official race whose entrants wear
    ``epcs`` (their passings at ``point`` just changed); the ids of the races re-opened."""
    chips = sorted(set(epcs))
    races: set[str] = set()
    for start in range(0, len(chips), CHUNK):
        chunk = chips[start : start + CHUNK]
        tags = ", ".join("?" * len(chunk))
        cursor.execute(_RACES.format(tags=tags), [event_id, *chunk, *chunk, event_id, *chunk])
        races |= {race for (race,) in cursor.fetchall()}
    reopened: list[str] = []
    now = now_us()
    for race in sorted(races):
        cursor.execute(_LATEST, [race])
        latest = cursor.fetchall()
        if not latest or latest[0][1] != "official":
            continue  # provisional (never signed off, or re-opened already): nothing to do
        reason = REASON.format(point=point)
        cursor.execute(_OPEN, [new_id(), race, latest[0][0] + 1, reason, OPENED_BY, now])
        reopened.append(race)
    return reopened
