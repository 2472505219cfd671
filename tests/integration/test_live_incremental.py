"""The live path adds passings to a race kept in memory; its sheet always equals a full
recompute's, whatever passings, corrections and entrant edits come (issue 20)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.domain import ManualStatus, PassingMethod
from edge.domain.clock import US_PER_SECOND, now_us, to_us
from edge.errors import ChronoEdgeError
from edge.imports.eventfile import load_event_file
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.live import LiveResults
from edge.services.passings import NewPassing, PassingService
from edge.services.results import ResultService
from edge.store import migrate
from edge.store.database import Database
from edge.timing.tally import race_tally

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
W1 = dt.datetime(2026, 4, 12, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
BIBS = ("1", "2", "3", "4", "5", "6", "99")  # 99 is nobody's
POINTS = ("START", "KM5", "FINISH")

operations = st.one_of(
    st.tuples(st.just("pass"), st.sampled_from(BIBS), st.sampled_from(POINTS), st.integers(0, 90)),
    st.tuples(st.just("ignore"), st.integers(0, 20)),
    st.tuples(st.just("undo"), st.integers(0, 5)),
    st.tuples(st.just("status"), st.sampled_from(BIBS[:6]), st.sampled_from(("DSQ", "DNF", None))),
    st.tuples(
        st.just("add"), st.sampled_from(BIBS[:6]), st.sampled_from(POINTS), st.integers(0, 90)
    ),
    st.tuples(st.just("club"), st.sampled_from(BIBS[:6])),
)


async def _template(folder: Path) -> Path:
    path = folder / "template.db"
    migrate.upgrade(path)
    db = Database(path)
    try:
        await EventService(db).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
        await EntrantService(db).import_csv(
            SLUG, (ROOT / "docs/examples/entrants.csv").read_bytes()
        )
    finally:
        await db.close()
    return path


TEMPLATE = asyncio.run(_template(Path(tempfile.mkdtemp(prefix="live-template-"))))


async def _apply(db: Database, op: tuple[object, ...], corrections: list[str]) -> None:
    kind = op[0]
    try:
        if kind == "pass":
            _, bib, point, minutes = op
            at = to_us(W1 + dt.timedelta(minutes=int(str(minutes)), seconds=7))
            new = NewPassing(str(point), str(bib), at)
            await PassingService(db).record(SLUG, new, method=PassingMethod.MANUAL)
        elif kind == "ignore":
            found = await PassingService(db).list_passings(SLUG)
            if found:
                passing = found[int(str(op[1])) % len(found)][0]
                request = CorrectionRequest("ignore", passing_id=passing.id)
                corrections.append((await CorrectionService(db).apply(SLUG, request, "t")).id)
        elif kind == "undo" and corrections:
            await CorrectionService(db).undo(SLUG, corrections.pop(), "t")
        elif kind == "status":
            status = ManualStatus(str(op[2])) if op[2] else None
            await EntrantService(db).set_manual_status(SLUG, str(op[1]), status)
        elif kind == "add":
            _, bib, point, minutes = op
            clock = (W1 + dt.timedelta(minutes=int(str(minutes)))).strftime("%H:%M:%S")
            request = CorrectionRequest("add", bib=str(bib), point=str(point), time=clock)
            corrections.append((await CorrectionService(db).apply(SLUG, request, "t")).id)
        elif kind == "club":
            await EntrantService(db).update_entrant(SLUG, str(op[1]), {"club": f"Club {op}"})
    except ChronoEdgeError:
        pass  # refused (a passing already stored, a correction already undone...): no change


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=12))
def test_the_live_sheet_equals_a_full_recompute_after_every_change(
    ops: list[tuple[object, ...]],
) -> None:
    async def run(folder: Path) -> None:
        path = folder / "edge.db"
        shutil.copy(TEMPLATE, path)
        db = Database(path)
        try:
            live, fresh = LiveResults(db), LiveResults(db)
            await live.sheet(SLUG, "10K")
            await fresh.tally(SLUG, "10K", now_us())
            corrections: list[str] = []
            for op in ops:
                await _apply(db, op, corrections)
                kept = await live.sheet(SLUG, "10K")
                full = await ResultService(db).race_sheet(SLUG, "10K")
                assert (kept.results, kept.teams) == (full.results, full.teams), op
                # The console's counters, kept from the engine's status counts, equal the
                # counts over the full sheet (before the sheet is built, at any instant).
                for moment in (to_us(W1) + 3600 * US_PER_SECOND, now_us()):  # open, closed
                    counted = await fresh.tally(SLUG, "10K", moment)
                    then = await ResultService(db).race_sheet(SLUG, "10K", at_us=moment)
                    assert counted == race_tally(then.spec, then.results, then.relay, moment), op
        finally:
            await db.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder)))


async def test_new_passings_are_added_to_the_race_kept_in_memory(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, tmp_path / "edge.db")
    db = Database(tmp_path / "edge.db")
    try:
        live = LiveResults(db)
        await live.sheet(SLUG, "10K")
        engine = live._races[(SLUG, "10k")].race
        for bib, minutes in (("1", 40), ("2", 41), ("3", 42)):
            at = to_us(W1 + dt.timedelta(minutes=minutes))
            await PassingService(db).record(
                SLUG, NewPassing("FINISH", bib, at), method=PassingMethod.MANUAL
            )
            sheet = await live.sheet(SLUG, "10K")
            assert live._races[(SLUG, "10k")].race is engine
        assert sorted(r.entrant.bib for r in sheet.results if r.rank) == ["1", "2", "3"]
        assert sheet.results == (await ResultService(db).race_sheet(SLUG, "10K")).results
        await EntrantService(db).set_manual_status(SLUG, "1", ManualStatus.DSQ)
        sheet = await live.sheet(SLUG, "10K")
        assert live._races[(SLUG, "10k")].race is not engine
        assert sheet.results == (await ResultService(db).race_sheet(SLUG, "10K")).results
    finally:
        await db.close()
