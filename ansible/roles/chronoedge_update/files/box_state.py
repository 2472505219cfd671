"""What update.yml asks a box before and after an update: live races, role, readers.

Run by the box's own release (``/opt/chronoedge/current/bin/python - [--since-us N]``,
as the chronoedge user so SQLite never leaves a root-owned -wal or -shm file
behind) and read only: it prints one JSON object. The rules are the app's own:
a race is live from its first wave start until its cutoff after the last one (24 h
without a cutoff, edge.timing.course); a reader service is running while it keeps
writing its health row (edge.domain.health).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from sqlmodel import col, select

from edge.domain.clock import US_PER_SECOND, from_us, now_us
from edge.domain.event import Event, Race, Wave
from edge.domain.health import STALE_AFTER_S, ReaderHealth
from edge.roleconfig import load_role
from edge.settings import get_settings
from edge.store.database import Database
from edge.timing.course import OPEN_WITHOUT_CUTOFF_US


async def live_races(db: Database, now: int) -> list[dict[str, str]]:
    """Races whose first wave has started and whose course is still open at ``now``."""
    async with db.read() as session:
        rows = (
            await session.exec(
                select(Event.slug, Race.code, Race.cutoff_us, Wave.start_us)
                .join(Race, col(Race.event_id) == col(Event.id))
                .join(Wave, col(Wave.race_id) == col(Race.id))
            )
        ).all()
    starts: dict[tuple[str, str], list[int]] = {}
    cutoffs: dict[tuple[str, str], int | None] = {}
    for slug, code, cutoff, start in rows:
        starts.setdefault((slug, code), []).append(start)
        cutoffs[(slug, code)] = cutoff
    live = []
    for key, waves in sorted(starts.items()):
        cutoff = cutoffs[key]
        closes = max(waves) + (cutoff if cutoff is not None else OPEN_WITHOUT_CUTOFF_US)
        if min(waves) <= now <= closes:
            live.append(
                {"event": key[0], "race": key[1], "open_until": from_us(closes).isoformat()}
            )
    return live


async def readers(db: Database, now: int, since: int) -> list[dict[str, Any]]:
    """Every reader the box talked to: connected, and whether its service writes now."""
    async with db.read() as session:
        rows = (await session.exec(select(ReaderHealth))).all()
    return [
        {
            "reader": row.reader,
            "connected": row.connected,
            "running": now - row.updated_us <= STALE_AFTER_S * US_PER_SECOND
            and row.updated_us >= since,
            "last_error": row.last_error,
        }
        for row in rows
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--since-us", type=int, default=0, help="health older than this is old")
    since = parser.parse_args().since_us
    settings = get_settings()
    paths = settings.paths
    now = now_us()
    state: dict[str, Any] = {
        "now_us": now,
        "role": load_role(paths.role_file).role.value,
        "live_races": [],
        "readers": [],
    }
    if paths.database.is_file():
        db = Database(paths.database)
        try:
            state["live_races"] = await live_races(db, now)
            state["readers"] = await readers(db, now, since)
        finally:
            await db.engine.dispose()
    print(json.dumps(state))


asyncio.run(main())
