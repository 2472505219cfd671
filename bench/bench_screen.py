"""Benchmark of the speaker screen's path: a passing stored -> the new board computed.

Run ``python -m bench.bench_screen [ENTRANTS]`` (default 5,000). It builds a real
SQLite race in a temporary folder (entrants, a KM5 and a FINISH passing each),
then times what a stream does after each new passing: check the results
version, recompute the race sheet, build the board. The screen must show a
passing within 1 s and a stream polls every 200 ms, so the board has 800 ms;
it exits 1 over that budget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from edge.domain import PassingMethod
from edge.domain.clock import to_us
from edge.imports.eventfile import parse_event_file
from edge.services.arrivals import ArrivalService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.live import NOTICE_S
from edge.services.passings import NewPassing, PassingService
from edge.store import migrate
from edge.store.database import Database

EVENT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "spring-10k.yaml"
SLUG = "spring-10k-2026"
ENTRANTS = 5000
NEW_PASSINGS = 5
BUDGET_S = 1.0 - NOTICE_S


async def build(
    folder: Path, entrants: int, finished: int | None = None
) -> tuple[Database, dt.datetime]:
    """A race of ``entrants`` runners, each seen at KM5 and the first ``finished`` (default:
    all but the last 10) at the finish."""
    finished = entrants - 10 if finished is None else finished
    path = folder / "edge.db"
    migrate.upgrade(path)
    db = Database(path)
    w1 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    text = EVENT.read_text(encoding="utf-8").replace("2026-04-12T09:30:00+02:00", w1.isoformat())
    text = text.replace("2026-04-12T09:40:00+02:00", w1.isoformat())
    text = text.replace("date: 2026-04-12", f"date: {w1.date().isoformat()}")
    await EventService(db).load(parse_event_file(text))
    lines = ["bib;last_name;first_name;sex;birth_year;club;team;race;wave"]
    lines += [
        f"{b};Name{b};Kim;{'FM'[b % 2]};{1960 + b % 45};Club {b % 40};Team {b % 300};10K;W1"
        for b in range(1, entrants + 1)
    ]
    await EntrantService(db).import_csv(SLUG, ("\n".join(lines) + "\n").encode())
    rows = ["point,bib,time"]
    for bib in range(1, entrants + 1):
        rows.append(f"KM5,{bib},{(w1 + dt.timedelta(minutes=14, seconds=bib * 0.01)).isoformat()}")
        if bib <= finished:
            finish = w1 + dt.timedelta(minutes=28, seconds=bib * 0.02)
            rows.append(f"FINISH,{bib},{finish.isoformat()}")
    await PassingService(db).import_csv(SLUG, ("\n".join(rows) + "\n").encode())
    return db, w1


async def measure(entrants: int) -> list[float]:
    """Seconds from a stored passing to its board, for a few new finishers."""
    with tempfile.TemporaryDirectory() as folder:
        db, w1 = await build(Path(folder), entrants)
        arrivals = ArrivalService(db)
        scope = await arrivals.scope(SLUG, None)
        await arrivals.board(scope)  # what a screen already showed
        passings = PassingService(db)
        took = []
        for n in range(NEW_PASSINGS):
            bib = str(entrants - n)
            finish = w1 + dt.timedelta(minutes=50, seconds=n)
            new = NewPassing("FINISH", bib, to_us(finish))
            await passings.record(SLUG, new, method=PassingMethod.MANUAL)
            start = time.perf_counter()
            board = await arrivals.board(scope)
            took.append(time.perf_counter() - start)
            assert board["arrivals"][0]["bib"] == bib
        await db.close()
        return took


def main() -> int:
    """Print the figures; return 1 when a board takes longer than the budget."""
    entrants = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRANTS
    took = asyncio.run(measure(entrants))
    worst = max(took)
    print(
        f"screen.board_after_passing entrants={entrants} median={statistics.median(took):.3f}s"
        f" worst={worst:.3f}s budget={BUDGET_S:.1f}s"
    )
    return 0 if worst <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
