"""What a checked row of an entrants file does to an entrant: its attributes and its relay team.

An import and an edit of one entrant both go through here, so a row is written, and
its relay team checked, the same way whichever page or command brought it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Entrant, Event, Sex
from edge.errors import Problem
from edge.imports.entrants_csv import EntrantRow, EntrantsFile
from edge.imports.relay_legs import RaceLegs, Runner, team_problems
from edge.services.events import RaceOverview
from edge.services.race_rules import rules_from_json
from edge.timing.model import RaceFormat

# Entrant attributes filled from each CSV column (race and wave are resolved to ids).
_PLAIN_COLUMNS = {
    "last_name": "last_name",
    "first_name": "first_name",
    "sex": "sex",
    "birth_date": "birth_date",
    "birth_year": "birth_year",
    "club": "club",
    "team": "team",
    "tag1": "tag1",
    "tag2": "tag2",
    "category": "category_override",
    "leg": "leg",
}


@dataclass(frozen=True)
class RaceIds:
    """A race as rows are written into it: its id, its waves' ids, its legs if a relay."""

    race_id: str
    waves: dict[str, str]  # wave code -> wave id
    legs: tuple[str, ...] | None = None  # a relay's legs; None for another format


def race_ids(race: RaceOverview) -> RaceIds:
    """The ids of a race and its waves, with its legs when it is a relay."""
    legs = None
    if race.race.format == RaceFormat.RELAY:
        legs = rules_from_json(race.race.format_rules).legs
    return RaceIds(race.race.id, {w.code: w.id for w in race.waves}, legs)


def relay_legs(races: Mapping[str, RaceIds]) -> dict[str, tuple[str, ...]]:
    """The relay races' legs by race code, as the parser and the team check take them."""
    return {code: ids.legs for code, ids in races.items() if ids.legs is not None}


def row_values(
    row: EntrantRow, columns: frozenset[str], race: RaceIds, entrant: Entrant | None
) -> dict[str, Any]:
    """Entrant attributes from a row, only for the columns the file has."""
    values: dict[str, Any] = {
        attr: getattr(row, column) for column, attr in _PLAIN_COLUMNS.items() if column in columns
    }
    if values.get("sex") is not None:
        values["sex"] = Sex(values["sex"])
    values["race_id"] = race.race_id
    moved = entrant is not None and entrant.race_id != race.race_id
    if "wave" in columns:
        values["wave_id"] = race.waves[row.wave] if row.wave else None
    elif moved:
        # The old wave belongs to the old race: fall back to the new race's first wave.
        values["wave_id"] = None
    if "leg" not in columns and moved and entrant is not None:
        # Likewise a leg the new race does not have (relay_conflicts then asks for one).
        values["leg"] = entrant.leg if entrant.leg in (race.legs or ()) else None
    return values


async def team_mates(
    session: AsyncSession, event: Event, parsed: EntrantsFile, races: Mapping[str, RaceIds]
) -> dict[str, Entrant]:
    """Stored entrants of the relay races the parsed rows name, by bib."""
    ids = [races[row.race].race_id for row in parsed.rows if races[row.race].legs is not None]
    if not ids:
        return {}
    query = select(Entrant).where(Entrant.event_id == event.id, col(Entrant.race_id).in_(ids))
    return {e.bib: e for e in (await session.exec(query)).all()}


def relay_conflicts(
    parsed: EntrantsFile, existing: Mapping[str, Entrant], races: Mapping[str, RaceIds]
) -> list[Problem]:
    """Relay runners without a team or leg, or on a leg their team has given to another.

    Each row is checked as its entrant will be once written: a column the file leaves
    out keeps the stored value. Stored entrants the file does not name are the others.
    """
    code_of = {ids.race_id: code for code, ids in races.items()}
    changed = []
    for row in parsed.rows:
        entrant = existing.get(row.bib)
        values = row_values(row, parsed.columns, races[row.race], entrant)
        team = values.get("team", entrant.team if entrant else "")
        leg = values.get("leg", entrant.leg if entrant else None)
        changed.append(Runner(row.bib, row.race, team, leg, row.line))
    in_file = {row.bib for row in parsed.rows}
    others = [
        Runner(e.bib, code_of.get(e.race_id, ""), e.team, e.leg)
        for e in existing.values()
        if e.bib not in in_file
    ]
    return team_problems(changed, others, RaceLegs(relay_legs(races)))
