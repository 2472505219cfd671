"""A race kept in memory by the serve process, brought up to date one passing at a time.

A full recompute of a 20,000-entrant race reads every entrant and passing and evaluates
them all (a second or more on a Pi); a new passing changes one entrant. So the live
path keeps each race's engine (``edge.timing.results.RaceResults``) and reads only the
outbox rows written since (``edge.services.live``'s version is their newest seq):

- a new valid passing of the event (an id not seen before) is added to the engine;
- a row of another event changes nothing here;
- anything else (a passing rebuilt, replaced or deleted, an entrant edited, a
  correction) is followed by a full recompute, as is every change while a correction is
  looking for a rebuilt passing (its target may be the new one).

Whatever the path, the sheet equals a full recompute's (a property test pins it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text

from edge.domain import PassingStatus
from edge.services.passing_ids import PassingIds
from edge.services.results import RaceInputs, RaceSheet, ResultService, race_results
from edge.store.database import Database
from edge.timing.course import CourseMarks
from edge.timing.model import PassingInfo, RaceFormat
from edge.timing.results import RaceResults

NOT_RESULTS = ("tag_read", "results_snapshot", "checkin", "results_version")
"""Outbox tables whose changes do not move any result."""
_SKIP = ", ".join(f"'{name}'" for name in NOT_RESULTS)
_CHANGES = text(
    "SELECT table_name, op, payload FROM outbox"
    f" WHERE seq > :after AND seq <= :upto AND table_name NOT IN ({_SKIP}) ORDER BY seq"
)
MAX_STEPS = 5_000
"""More changes than this at once (an import, a rebuild): a full recompute is as quick."""


class _Recompute(Exception):
    """A change the engine cannot take in by itself."""


@dataclass
class LiveRace:
    """One race's inputs and engine as of outbox seq ``seq``."""

    inputs: RaceInputs
    engine: RaceResults
    seq: int
    passings: list[PassingInfo] = field(default_factory=list)  # a relay's: every passing
    known: PassingIds = field(default_factory=PassingIds)  # stored passing ids taken in
    marks: CourseMarks = field(init=False)  # runners on course, kept from sheet to sheet

    def __post_init__(self) -> None:
        self.marks = CourseMarks(self.inputs.spec)

    @classmethod
    async def load(cls, db: Database, slug: str, race: str) -> LiveRace:
        """A full recompute of the race as stored now (as of the outbox seq read with it)."""
        inputs = await ResultService(db).race_inputs(slug, race)
        engine = RaceResults(inputs.spec, inputs.entrants, inputs.passings)
        known, passings = inputs.known, inputs.passings
        # Kept once, here, and only for a relay, whose teams are timed from them: the
        # engine holds every other race's passings by entrant (a list of them all: 0.5 MB).
        if inputs.spec.format is not RaceFormat.RELAY:
            passings = []
        inputs = replace(inputs, known=PassingIds(), passings=[])
        return cls(inputs, engine, inputs.seq, passings, known)

    async def catch_up(self, db: Database, seq: int) -> bool:
        """Take in the changes up to ``seq``; False when a full recompute is needed instead."""
        if seq <= self.seq:
            return True  # a version this race already includes (loaded after it was read)
        if self.inputs.following:
            return False
        async with db.read() as session:
            rows = (
                await session.exec(  # type: ignore[call-overload]
                    _CHANGES.bindparams(after=self.seq, upto=seq)
                )
            ).all()
        if len(rows) > MAX_STEPS:
            return False
        try:
            added = [
                found
                for table, op, payload in rows
                if (found := self._new_passing(table, op, json.loads(payload))) is not None
            ]
        except _Recompute:
            return False
        for passing_id, passing in added:
            self.known.add(passing_id)
            if passing is not None:
                self.engine.add_passing(passing)
                if self.inputs.spec.format is RaceFormat.RELAY:
                    self.passings.append(passing)
        self.seq = seq
        return True

    def sheet(self, moment: int) -> RaceSheet:
        """The race's sheet as of ``moment`` (on course or DNF depends on it)."""
        inputs = replace(self.inputs, passings=self.passings)
        return race_results(inputs, self.engine.results(), moment, self.marks)

    def _new_passing(
        self, table: str, op: str, payload: dict[str, Any]
    ) -> tuple[str, PassingInfo | None] | None:
        """What an outbox row means here: (id, passing or None when not of this race) for a
        new passing, None for a row of another event; _Recompute for anything else."""
        event = self.inputs.event.slug
        if "event" in payload and payload["event"] != event:
            return None
        if table != "passing" or op != "upsert" or payload.get("event") != event:
            raise _Recompute
        passing_id = str(payload.get("id"))
        if passing_id in self.known or payload.get("status") != PassingStatus.VALID:
            raise _Recompute  # an update of a stored passing (rebuilt, replaced)
        bib = payload.get("bib") or self.inputs.bib_of_tag.get(str(payload.get("epc") or ""))
        point = payload.get("point")
        if not bib or point not in self._points():
            return (passing_id, None)
        passing = PassingInfo(bib=str(bib), point=str(point), time_us=int(payload["time_us"]))
        return (passing_id, passing)

    def _points(self) -> Sequence[str]:
        return [p.code for p in self.inputs.race.points]
