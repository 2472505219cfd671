"""Creating, updating and reading events from their YAML definition."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import Category, Entrant, Event, Passing, Race, RacePoint, TimingPoint, Wave
from edge.errors import Conflict, NotFound
from edge.imports.eventdefs import EventDefinition, RaceDefinition
from edge.imports.eventfile import parse_event_file
from edge.services.race_rules import rules_to_json
from edge.store.database import Database


@dataclass
class LoadReport:
    """What loading an event file changed (an empty ``changes`` list: nothing)."""

    slug: str
    created: bool
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RaceOverview:
    """A race with its ordered points, waves and categories."""

    race: Race
    points: list[TimingPoint]
    waves: list[Wave]
    categories: list[Category]


@dataclass(frozen=True)
class EventOverview:
    """An event with everything defined in its file."""

    event: Event
    points: list[TimingPoint]
    races: list[RaceOverview]


async def get_event(session: AsyncSession, slug: str) -> Event:
    """Return the event with ``slug`` or raise NotFound."""
    event = (await session.exec(select(Event).where(Event.slug == slug))).first()
    if event is None:
        raise NotFound(f"no event with slug {slug!r}; load it with `chrono-edge event load`")
    return event


async def get_race(session: AsyncSession, event: Event, code: str) -> Race:
    """Return the race ``code`` of ``event`` or raise NotFound naming the known codes."""
    races = (await session.exec(select(Race).where(Race.event_id == event.id))).all()
    for race in races:
        if race.code.casefold() == code.casefold():
            return race
    known = ", ".join(r.code for r in races) or "none"
    raise NotFound(f"event {event.slug!r} has no race {code!r} (races: {known})")


def _assign(row: object, label: str, values: dict[str, Any], changes: list[str]) -> None:
    """Set changed attributes only, recording each change, so a reload writes nothing."""
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            setattr(row, name, value)
            changes.append(f"{label}: {name} {old!r} -> {value!r}")


class EventService:
    """Events and their definitions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load_text(self, data: bytes, source: str) -> LoadReport:
        """Create or update an event from the bytes of its YAML file.

        Parsed in a thread: a large file must not stall the screens' streams.
        """
        definition = await asyncio.to_thread(_parse_event_bytes, data, source)
        return await self.load(definition)

    async def load(self, definition: EventDefinition) -> LoadReport:
        """Create or update an event from its definition, in one transaction."""
        async with self.db.write() as session:
            event = (await session.exec(select(Event).where(Event.slug == definition.slug))).first()
            report = LoadReport(slug=definition.slug, created=event is None)
            if event is None:
                event = Event(
                    slug=definition.slug,
                    name=definition.name,
                    date=definition.date,
                    timezone=definition.timezone,
                    age_reference=definition.age_reference,
                    place=definition.place,
                )
                session.add(event)
                report.changes.append(f"event {definition.slug}: created")
            else:
                _assign(
                    event,
                    f"event {event.slug}",
                    {
                        "name": definition.name,
                        "date": definition.date,
                        "timezone": definition.timezone,
                        "age_reference": definition.age_reference,
                        "place": definition.place,
                    },
                    report.changes,
                )
            await session.flush()
            points = await self._sync_points(session, event, definition, report.changes)
            await self._sync_races(session, event, definition, points, report.changes)
            return report

    async def _sync_points(
        self,
        session: AsyncSession,
        event: Event,
        definition: EventDefinition,
        changes: list[str],
    ) -> dict[str, TimingPoint]:
        existing = {
            p.code: p
            for p in (
                await session.exec(select(TimingPoint).where(TimingPoint.event_id == event.id))
            ).all()
        }
        wanted = {p.code for p in definition.timing_points}
        for code, old_point in existing.items():
            if code in wanted:
                continue
            used = await session.scalar(
                select(func.count()).select_from(Passing).where(Passing.point_id == old_point.id)
            )
            if used:
                raise Conflict(
                    f"timing point {code} has {used} passings and cannot be removed; "
                    "keep it in the event file"
                )
            await session.exec(delete(RacePoint).where(col(RacePoint.point_id) == old_point.id))
            await session.delete(old_point)
            changes.append(f"timing point {code}: removed")
        points: dict[str, TimingPoint] = {}
        for position, spec in enumerate(definition.timing_points):
            values: dict[str, Any] = {
                "kind": spec.kind,
                "distance_m": spec.distance_m,
                "position": position,
                "crossing_method": spec.crossing.method,
                "quiet_gap_us": spec.crossing.quiet_gap_us,
                "stray_limit_us": spec.crossing.stray_limit_us,
                "repeat_window_us": spec.crossing.repeat_window_us,
                "no_read_alarm_us": spec.no_read_alarm_us,
            }
            point = existing.get(spec.code)
            if point is None:
                point = TimingPoint(event_id=event.id, code=spec.code, **values)
                session.add(point)
                changes.append(f"timing point {spec.code}: created")
            else:
                _assign(point, f"timing point {spec.code}", values, changes)
            points[spec.code] = point
        await session.flush()
        return points

    async def _sync_races(
        self,
        session: AsyncSession,
        event: Event,
        definition: EventDefinition,
        points: dict[str, TimingPoint],
        changes: list[str],
    ) -> None:
        existing = {
            r.code: r
            for r in (await session.exec(select(Race).where(Race.event_id == event.id))).all()
        }
        wanted = {r.code for r in definition.races}
        for code, old_race in existing.items():
            if code in wanted:
                continue
            await self._refuse_if_entrants(session, Entrant.race_id == old_race.id, f"race {code}")
            await session.delete(old_race)
            changes.append(f"race {code}: removed")
        for position, spec in enumerate(definition.races):
            values: dict[str, Any] = {
                "name": spec.name,
                "timing": spec.timing,
                "min_time_us": spec.min_time_us,
                "cutoff_us": spec.cutoff_us,
                "team_size": spec.team_size,
                "position": position,
                "format": spec.format.value,
                "format_rules": rules_to_json(spec.rules),
            }
            race = existing.get(spec.code)
            if race is None:
                race = Race(event_id=event.id, code=spec.code, **values)
                session.add(race)
                changes.append(f"race {spec.code}: created")
            else:
                _assign(race, f"race {spec.code}", values, changes)
            await session.flush()
            await self._sync_race_points(session, race, spec, points, changes)
            await self._sync_waves(session, race, spec, changes)
            await self._sync_categories(session, race, spec, changes)

    async def _sync_race_points(
        self,
        session: AsyncSession,
        race: Race,
        spec: RaceDefinition,
        points: dict[str, TimingPoint],
        changes: list[str],
    ) -> None:
        rows = (
            await session.exec(
                select(RacePoint)
                .where(RacePoint.race_id == race.id)
                .order_by(col(RacePoint.position))
            )
        ).all()
        wanted = [points[code].id for code in spec.points]
        if [r.point_id for r in rows] == wanted:
            return
        await session.exec(delete(RacePoint).where(col(RacePoint.race_id) == race.id))
        for position, point_id in enumerate(wanted):
            session.add(RacePoint(race_id=race.id, point_id=point_id, position=position))
        changes.append(f"race {race.code}: points set to {', '.join(spec.points)}")
        await session.flush()

    async def _sync_waves(
        self, session: AsyncSession, race: Race, spec: RaceDefinition, changes: list[str]
    ) -> None:
        existing = {
            w.code: w
            for w in (await session.exec(select(Wave).where(Wave.race_id == race.id))).all()
        }
        wanted = {w.code for w in spec.waves}
        for code, old_wave in existing.items():
            if code not in wanted:
                label = f"wave {race.code}/{code}"
                await self._refuse_if_entrants(session, Entrant.wave_id == old_wave.id, label)
                await session.delete(old_wave)
                changes.append(f"{label}: removed")
        for position, wave_spec in enumerate(spec.waves):
            values: dict[str, Any] = {"start_us": wave_spec.start_us, "position": position}
            wave = existing.get(wave_spec.code)
            if wave is None:
                session.add(Wave(race_id=race.id, code=wave_spec.code, **values))
                changes.append(f"wave {race.code}/{wave_spec.code}: created")
            else:
                _assign(wave, f"wave {race.code}/{wave_spec.code}", values, changes)
        await session.flush()

    async def _sync_categories(
        self, session: AsyncSession, race: Race, spec: RaceDefinition, changes: list[str]
    ) -> None:
        existing = {
            c.code: c
            for c in (await session.exec(select(Category).where(Category.race_id == race.id))).all()
        }
        wanted = {c.code for c in spec.categories}
        for code, old_category in existing.items():
            if code not in wanted:
                await session.delete(old_category)
                changes.append(f"category {race.code}/{code}: removed")
        for position, rule in enumerate(spec.categories):
            values: dict[str, Any] = {
                "position": position,
                "sex": rule.sex,
                "min_age": rule.min_age,
                "max_age": rule.max_age,
            }
            category = existing.get(rule.code)
            if category is None:
                session.add(Category(race_id=race.id, code=rule.code, **values))
                changes.append(f"category {race.code}/{rule.code}: created")
            else:
                _assign(category, f"category {race.code}/{rule.code}", values, changes)
        await session.flush()

    @staticmethod
    async def _refuse_if_entrants(
        session: AsyncSession, where: ColumnElement[bool] | bool, label: str
    ) -> None:
        count = await session.scalar(select(func.count()).select_from(Entrant).where(where))
        if count:
            raise Conflict(
                f"{label} has {count} entrants and cannot be removed; "
                "move them first or keep it in the event file"
            )

    async def list_events(self) -> list[Event]:
        """Return every event, newest date first."""
        async with self.db.read() as session:
            rows = await session.exec(select(Event).order_by(col(Event.date).desc()))
            return list(rows.all())

    async def overview(self, slug: str) -> EventOverview:
        """Return an event with its points, races, waves and categories."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            return await load_overview(session, event)


async def load_overview(session: AsyncSession, event: Event) -> EventOverview:
    """Read the whole definition of ``event`` in the given session."""
    points = (
        await session.exec(
            select(TimingPoint)
            .where(TimingPoint.event_id == event.id)
            .order_by(col(TimingPoint.position))
        )
    ).all()
    by_id = {p.id: p for p in points}
    races = (
        await session.exec(
            select(Race).where(Race.event_id == event.id).order_by(col(Race.position))
        )
    ).all()
    overviews = []
    for race in races:
        links = (
            await session.exec(
                select(RacePoint)
                .where(RacePoint.race_id == race.id)
                .order_by(col(RacePoint.position))
            )
        ).all()
        waves = (
            await session.exec(
                select(Wave).where(Wave.race_id == race.id).order_by(col(Wave.position))
            )
        ).all()
        categories = (
            await session.exec(
                select(Category).where(Category.race_id == race.id).order_by(col(Category.position))
            )
        ).all()
        overviews.append(
            RaceOverview(
                race=race,
                points=[by_id[link.point_id] for link in links],
                waves=list(waves),
                categories=list(categories),
            )
        )
    return EventOverview(event=event, points=list(points), races=overviews)


def _parse_event_bytes(data: bytes, source: str) -> EventDefinition:
    return parse_event_file(data.decode("utf-8-sig", errors="replace"), source=source)
