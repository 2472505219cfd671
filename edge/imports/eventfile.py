"""The event file (YAML): parsed, validated and turned into plain definitions.

Every problem found is reported at once, with its field path and line, and
nothing is returned unless the whole file is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path as FilePath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.domain.clock import to_us
from edge.domain.event import AgeReference, PointKind, Timing
from edge.errors import InvalidInput
from edge.imports.eventchecks import Checker
from edge.imports.yamlsource import Path, load_yaml

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
WAVE_DISTANCE_DAYS = 2
"""A wave starting further than this from the event date is almost always a typo."""


@dataclass(frozen=True)
class PointDefinition:
    """A timing point as written in the file."""

    code: str
    kind: PointKind
    distance_m: int


@dataclass(frozen=True)
class WaveDefinition:
    """A wave and its start instant (µs since the epoch)."""

    code: str
    start_us: int


@dataclass(frozen=True)
class CategoryDefinition:
    """A category rule (None = any sex / unbounded age)."""

    code: str
    sex: str | None
    min_age: int | None
    max_age: int | None


@dataclass(frozen=True)
class RaceDefinition:
    """A race as written in the file; durations in µs."""

    code: str
    name: str
    timing: Timing
    min_time_us: int
    cutoff_us: int | None
    points: tuple[str, ...]
    waves: tuple[WaveDefinition, ...]
    categories: tuple[CategoryDefinition, ...]
    team_size: int | None


@dataclass(frozen=True)
class EventDefinition:
    """A whole, valid event file."""

    slug: str
    name: str
    date: dt.date
    timezone: str
    age_reference: AgeReference
    timing_points: tuple[PointDefinition, ...]
    races: tuple[RaceDefinition, ...]


EVENT_KEYS = {"slug", "name", "date", "timezone", "age_reference", "timing_points", "races"}
POINT_KEYS = {"code", "kind", "distance_m"}
RACE_KEYS = {"code", "name", "timing", "min_time", "cutoff", "points", "waves", "categories"}
RACE_KEYS |= {"teams"}
WAVE_KEYS = {"code", "start"}
CATEGORY_KEYS = {"code", "sex", "min_age", "max_age"}


def load_event_file(path: FilePath) -> EventDefinition:
    """Read and validate an event file (UTF-8, BOM tolerated)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InvalidInput(
            [Checker.problem_at(str(path), error.strerror or str(error))],
            f"cannot read the event file {path}",
        ) from error
    except UnicodeDecodeError as error:
        raise InvalidInput(
            [Checker.problem_at(str(path), f"not UTF-8 text (byte {error.start})")],
            f"cannot read the event file {path}",
        ) from error
    return parse_event_file(text, source=str(path))


def parse_event_file(text: str, source: str = "event file") -> EventDefinition:
    """Validate the YAML text of an event file; raise InvalidInput listing every problem.

    A wave start written without an offset is read in the event's timezone.
    """
    document = load_yaml(text, source)
    check = Checker(document)
    root = check.mapping(document.data, (), EVENT_KEYS)
    if root is None:
        raise InvalidInput(check.problems, f"{source} is not a valid event file")
    slug = check.text(root, ("slug",), pattern=_SLUG, hint="lowercase letters, digits, hyphens")
    name = check.text(root, ("name",))
    date = check.date(root, ("date",))
    timezone = _timezone(check, root)
    age_reference = check.choice(root, ("age_reference",), AgeReference, AgeReference.YEAR_END)
    points = _points(check, root)
    races = _races(check, root, points, date, timezone)
    if check.problems:
        raise InvalidInput(check.problems, f"{source} is not a valid event file")
    # Every field was checked above: a None here would have recorded a problem.
    assert slug is not None
    assert name is not None
    assert date is not None
    assert timezone is not None
    assert age_reference is not None
    return EventDefinition(
        slug=slug,
        name=name,
        date=date,
        timezone=timezone,
        age_reference=age_reference,
        timing_points=tuple(points.values()),
        races=tuple(races),
    )


def _timezone(check: Checker, root: dict[str, object]) -> str | None:
    name = check.text(root, ("timezone",))
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.fail(("timezone",), f"{name!r} is not an IANA timezone such as Europe/Paris")
        return None
    return name


def _points(check: Checker, root: dict[str, object]) -> dict[str, PointDefinition]:
    points: dict[str, PointDefinition] = {}
    for path, item in check.items(root, ("timing_points",)):
        entry = check.mapping(item, path, POINT_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*path, "code"), points)
        kind = check.choice(entry, (*path, "kind"), PointKind, None)
        distance = check.integer(entry, (*path, "distance_m"), default=0, minimum=0)
        if code is not None and kind is not None and distance is not None:
            points[code] = PointDefinition(code=code, kind=kind, distance_m=distance)
    return points


def _races(
    check: Checker,
    root: dict[str, object],
    points: dict[str, PointDefinition],
    date: dt.date | None,
    timezone: str | None,
) -> list[RaceDefinition]:
    races: dict[str, RaceDefinition] = {}
    for path, item in check.items(root, ("races",)):
        entry = check.mapping(item, path, RACE_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*path, "code"), races)
        name = check.text(entry, (*path, "name"))
        timing = check.choice(entry, (*path, "timing"), Timing, Timing.CHIP)
        min_time = check.duration(entry, (*path, "min_time"), default=0)
        cutoff = check.duration(entry, (*path, "cutoff"), default=None)
        if min_time is not None and cutoff is not None and cutoff <= min_time:
            check.fail((*path, "cutoff"), "the cutoff must be later than min_time")
        route = _route(check, entry, (*path, "points"), points)
        waves = _waves(check, entry, (*path, "waves"), date, timezone)
        categories = _categories(check, entry, (*path, "categories"))
        team_size = _team_size(check, entry, (*path, "teams"))
        if code is None or name is None or timing is None or min_time is None:
            continue
        if route is None or waves is None or categories is None:
            continue
        races[code] = RaceDefinition(
            code=code,
            name=name,
            timing=timing,
            min_time_us=min_time,
            cutoff_us=cutoff,
            points=route,
            waves=waves,
            categories=categories,
            team_size=team_size,
        )
    return list(races.values())


def _route(
    check: Checker, race: dict[str, object], path: Path, points: dict[str, PointDefinition]
) -> tuple[str, ...] | None:
    codes = check.text_list(race, path)
    if codes is None:
        return None
    ok = True
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            check.fail((*path, index), f"point {code} is listed twice")
            ok = False
        seen.add(code)
        if code not in points and points:
            check.fail(
                (*path, index), f"unknown timing point {code!r} (known: {', '.join(points)})"
            )
            ok = False
    if not ok or not points:
        return None
    kinds = [points[c].kind for c in codes]
    finishes = kinds.count(PointKind.FINISH)
    if finishes != 1:
        check.fail(path, f"a race needs exactly one finish point, found {finishes}")
        return None
    if kinds[-1] is not PointKind.FINISH:
        check.fail(path, "the finish point must come last")
        return None
    starts = [i for i, k in enumerate(kinds) if k is PointKind.START]
    if starts and starts[-1] != len(starts) - 1:
        check.fail(path, "start points must come before every other point")
        return None
    return tuple(codes)


def _waves(
    check: Checker,
    race: dict[str, object],
    path: Path,
    date: dt.date | None,
    timezone: str | None,
) -> tuple[WaveDefinition, ...] | None:
    waves: dict[str, WaveDefinition] = {}
    ok = True
    for item_path, item in check.items(race, path):
        entry = check.mapping(item, item_path, WAVE_KEYS)
        if entry is None:
            ok = False
            continue
        code = check.code(entry, (*item_path, "code"), waves)
        start = check.instant(entry, (*item_path, "start"), timezone)
        if start is not None and date is not None:
            day = start.astimezone(ZoneInfo(timezone) if timezone else dt.UTC).date()
            if abs((day - date).days) > WAVE_DISTANCE_DAYS:
                check.fail(
                    (*item_path, "start"),
                    f"starts on {day.isoformat()}, far from the event date {date.isoformat()}",
                )
                ok = False
                continue
        if code is None or start is None:
            ok = False
            continue
        waves[code] = WaveDefinition(code=code, start_us=to_us(start))
    return tuple(waves.values()) if ok and waves else None


def _categories(
    check: Checker, race: dict[str, object], path: Path
) -> tuple[CategoryDefinition, ...] | None:
    if race.get("categories") is None:
        return ()
    rules: dict[str, CategoryDefinition] = {}
    ok = True
    for item_path, item in check.items(race, path, allow_empty=True):
        before = len(check.problems)
        entry = check.mapping(item, item_path, CATEGORY_KEYS)
        if entry is None:
            ok = False
            continue
        code = check.code(entry, (*item_path, "code"), rules)
        sex = check.sex(entry, (*item_path, "sex"))
        low = check.integer(entry, (*item_path, "min_age"), default=None, minimum=0)
        high = check.integer(entry, (*item_path, "max_age"), default=None, minimum=0)
        if low is not None and high is not None and low > high:
            check.fail((*item_path, "max_age"), f"max_age {high} is below min_age {low}")
            ok = False
            continue
        if code is None or len(check.problems) > before:
            ok = False
            continue
        rules[code] = CategoryDefinition(code=code, sex=sex, min_age=low, max_age=high)
    return tuple(rules.values()) if ok else None


def _team_size(check: Checker, race: dict[str, object], path: Path) -> int | None:
    """The team size; None when the race has no teams (or when invalid: a problem is recorded)."""
    if race.get("teams") is None:
        return None
    teams = check.mapping(race["teams"], path, {"size"})
    if teams is None:
        return None
    return check.integer(teams, (*path, "size"), default=None, minimum=1, required=True)
