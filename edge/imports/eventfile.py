"""The event file (YAML): parsed, validated and turned into plain definitions.

Every problem found is reported at once, with its field path and line, and
nothing is returned unless the whole file is valid.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from edge.domain.clock import to_us
from edge.domain.event import AgeReference, CrossingMethod, PointKind, Timing
from edge.errors import InvalidInput
from edge.imports.eventchecks import Checker
from edge.imports.eventdefs import (
    CategoryDefinition,
    CrossingDefinition,
    EventDefinition,
    PointDefinition,
    RaceDefinition,
    WaveDefinition,
)
from edge.imports.raceformat import FORMAT_KEYS, race_format
from edge.imports.yamlsource import Path, load_yaml

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Files of the zoneinfo folder that name no place: 'localtime' is this box's own
# setting (it would silently follow the appliance's configuration) and 'Factory'
# means "time zone not set".
_NOT_PLACES = frozenset({"localtime", "Factory"})
WAVE_DISTANCE_DAYS = 2
"""A wave starting further than this from the event date is almost always a typo."""


EVENT_KEYS = {"slug", "name", "date", "timezone", "age_reference", "timing_points", "races",
              "place"}  # fmt: skip
PLACE_MAX = 100
"""Characters of an event's place: central's public list shows it on a phone's line."""
POINT_KEYS = {"code", "kind", "distance_m", "crossing", "no_read_alarm_s"}
CROSSING_KEYS = {"method", "quiet_gap_s", "stray_limit_s", "repeat_window_s"}
RACE_KEYS = {"code", "name", "timing", "min_time", "cutoff", "points", "waves", "categories"}
RACE_KEYS |= {"teams"} | FORMAT_KEYS
WAVE_KEYS = {"code", "start"}
CATEGORY_KEYS = {"code", "sex", "min_age", "max_age"}


def load_event_file(path: FilePath) -> EventDefinition:
    """Read and validate an event file (UTF-8, BOM tolerated)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            f"not UTF-8 text (byte {error.start}); save it as UTF-8"
            if isinstance(error, UnicodeDecodeError)
            else error.strerror or str(error)
        )
        problem = Checker.problem_at(str(path), reason)
        raise InvalidInput([problem], f"cannot read the event file {path}") from error
    return parse_event_file(text, source=str(path))


def parse_event_file(text: str, source: str = "event file") -> EventDefinition:
    """Validate the YAML text of an event file; raise InvalidInput listing every problem.

    A wave start written without an offset is read in the event's timezone; a local
    time that a daylight-saving change skips or repeats is refused (add the offset).
    """
    document = load_yaml(text, source, what="event file")
    check = Checker(document)
    # Duplicate keys and the like are reported alongside the field problems, in one go.
    check.problems.extend(document.problems)
    if document.data is None:
        check.fail((), "the file is empty; it should define slug, name, date, timing_points...")
    root = None if document.data is None else check.mapping(document.data, (), EVENT_KEYS)
    if root is None:
        raise InvalidInput(check.problems, f"{source} is not a valid event file")
    slug = check.text(root, ("slug",), pattern=_SLUG, hint="lowercase letters, digits, hyphens")
    name = check.text(root, ("name",))
    date = check.date(root, ("date",))
    timezone = _timezone(check, root)
    place = check.text(root, ("place",), required=False)
    if place is not None and len(place) > PLACE_MAX:
        check.fail(("place",), f"must be at most {PLACE_MAX} characters (it has {len(place)})")
    age_reference = check.choice(root, ("age_reference",), AgeReference, AgeReference.YEAR_END)
    known, points = _points(check, root)
    races = _races(check, root, known, points, date, timezone)
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
        place=place,
    )


@functools.cache
def _zones() -> frozenset[str]:
    # Scanning the zoneinfo folder takes tens of milliseconds: once per process is enough.
    return frozenset(available_timezones() - _NOT_PLACES)


def _timezone(check: Checker, root: dict[str, Any]) -> str | None:
    name = check.text(root, ("timezone",))
    if name is None or name in _zones():
        return name
    # 'europe/paris' or 'Paris' are clear enough to suggest the exact name.
    close = [z for z in sorted(_zones()) if name.lower() in (z.lower(), z.rsplit("/")[-1].lower())]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    check.fail(("timezone",), f"{name!r} is not an IANA timezone such as Europe/Paris{hint}")
    return None


def _points(check: Checker, root: dict[str, Any]) -> tuple[list[str], dict[str, PointDefinition]]:
    """Every code written (valid or not), and the valid points by code."""
    known: list[str] = []  # a list, so the 'known:' hint keeps the file's order
    points: dict[str, PointDefinition] = {}
    for path, item in check.items(root, ("timing_points",)):
        entry = check.mapping(item, path, POINT_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*path, "code"), known)
        kind = check.choice(entry, (*path, "kind"), PointKind, None)
        distance = check.integer(entry, (*path, "distance_m"), default=0, minimum=0)
        crossing = _crossing(check, entry, (*path, "crossing"))
        alarm = _no_read_alarm(check, entry, (*path, "no_read_alarm_s"))
        if code is not None:
            known.append(code)
        if code is None or kind is None or distance is None or crossing is None:
            continue
        if alarm != _INVALID:
            points[code] = PointDefinition(code, kind, distance, crossing, alarm)
    return known, points


_INVALID = -1


def _no_read_alarm(check: Checker, point: dict[str, Any], path: Path) -> int | None:
    """The point's ``no_read_alarm_s`` in µs; None when absent (the box's setting applies)."""
    if "no_read_alarm_s" not in point:
        return None
    found = check.seconds(point, path, default=0, maximum_s=86_400)
    return _INVALID if found is None else found


def _crossing(check: Checker, point: dict[str, Any], path: Path) -> CrossingDefinition | None:
    """The point's ``crossing:`` settings; the defaults when the key is absent."""
    default = CrossingDefinition()
    if "crossing" not in point:
        return default
    entry = check.mapping(point["crossing"], path, CROSSING_KEYS)
    if entry is None:
        return None
    method = check.choice(entry, (*path, "method"), CrossingMethod, default.method)
    gap = check.seconds(entry, (*path, "quiet_gap_s"), default=default.quiet_gap_us, maximum_s=60)
    stray = check.seconds(
        entry, (*path, "stray_limit_s"), default=default.stray_limit_us, maximum_s=3600
    )
    repeat = check.seconds(
        entry, (*path, "repeat_window_s"), default=default.repeat_window_us, maximum_s=86_400
    )
    if method is None or gap is None or stray is None or repeat is None:
        return None
    if gap == 0:
        check.fail((*path, "quiet_gap_s"), "must be more than 0 (a pass ends after a quiet gap)")
        return None
    if stray <= gap:
        check.fail((*path, "stray_limit_s"), "must be longer than quiet_gap_s")
        return None
    return CrossingDefinition(method, gap, stray, repeat)


def _races(
    check: Checker,
    root: dict[str, Any],
    known: list[str],
    points: dict[str, PointDefinition],
    date: dt.date | None,
    timezone: str | None,
) -> list[RaceDefinition]:
    seen: set[str] = set()
    races: list[RaceDefinition] = []
    for path, item in check.items(root, ("races",)):
        entry = check.mapping(item, path, RACE_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*path, "code"), seen)
        seen.update([code] if code is not None else [])
        name = check.text(entry, (*path, "name"))
        timing = check.choice(entry, (*path, "timing"), Timing, Timing.CHIP)
        min_time = check.duration(entry, (*path, "min_time"), default=0)
        cutoff = check.duration(entry, (*path, "cutoff"), default=None)
        if min_time is not None and cutoff is not None and cutoff <= min_time:
            check.fail((*path, "cutoff"), "the cutoff must be later than min_time")
        route = _route(check, entry, (*path, "points"), known, points)
        waves = _waves(check, entry, (*path, "waves"), date, timezone)
        categories = _categories(check, entry, (*path, "categories"))
        team_size = _team_size(check, entry, (*path, "teams"))
        formatted = race_format(check, entry, path, route)
        if code is None or name is None or timing is None or min_time is None:
            continue
        if route is None or waves is None or categories is None or formatted is None:
            continue
        races.append(
            RaceDefinition(
                code=code,
                name=name,
                timing=timing,
                min_time_us=min_time,
                cutoff_us=cutoff,
                points=route,
                waves=waves,
                categories=categories,
                team_size=team_size,
                format=formatted[0],
                rules=formatted[1],
            )
        )
    return races


def _route(
    check: Checker,
    race: dict[str, Any],
    path: Path,
    known: list[str],
    points: dict[str, PointDefinition],
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
        # With no valid timing_points list at all, that list's own problem says it all.
        if code not in known and known:
            check.fail((*path, index), f"unknown timing point {code!r} (known: {', '.join(known)})")
            ok = False
    # A point that is known but invalid already has its problem: the order cannot be judged.
    if not ok or any(code not in points for code in codes):
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
    race: dict[str, Any],
    path: Path,
    date: dt.date | None,
    timezone: str | None,
) -> tuple[WaveDefinition, ...] | None:
    seen: set[str] = set()
    waves: list[WaveDefinition] = []
    ok = True
    for item_path, item in check.items(race, path):
        entry = check.mapping(item, item_path, WAVE_KEYS)
        if entry is None:
            ok = False
            continue
        code = check.code(entry, (*item_path, "code"), seen)
        seen.update([code] if code is not None else [])
        start = _wave_start(check, entry, (*item_path, "start"), date, timezone)
        if code is None or start is None:
            ok = False
            continue
        waves.append(WaveDefinition(code=code, start_us=to_us(start)))
    return tuple(waves) if ok and waves else None


def _wave_start(
    check: Checker,
    wave: dict[str, Any],
    path: Path,
    date: dt.date | None,
    timezone: str | None,
) -> dt.datetime | None:
    raw = wave.get("start")
    if isinstance(raw, str) and _DATE_ONLY.match(raw.strip()):
        # fromisoformat would read a bare date as midnight: a start at 00:00 is a forgotten time.
        check.fail(path, f"{raw!r} has no time of day (e.g. {raw.strip()}T09:30:00+02:00)")
        return None
    start = check.instant(wave, path, timezone)
    if start is None:
        return None
    if isinstance(start.tzinfo, ZoneInfo):
        trouble = _local_time_trouble(start, start.tzinfo)
        if trouble:
            check.fail(path, f"{raw!r} {trouble}")
            return None
    if date is not None:
        day = start.astimezone(ZoneInfo(timezone) if timezone else dt.UTC).date()
        if abs((day - date).days) > WAVE_DISTANCE_DAYS:
            check.fail(path, f"starts on {day}, far from the event date {date}")
            return None
    return start


def _local_time_trouble(instant: dt.datetime, zone: ZoneInfo) -> str | None:
    """Why a local time without offset names no single instant, or None when it does."""
    wall = instant.replace(tzinfo=None)
    if instant.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return f"does not exist in {zone.key} (the clocks skip it); add an offset"
    first, second = (instant.replace(fold=f).isoformat()[-6:] for f in (0, 1))
    if first != second:
        return f"happens twice in {zone.key} (the clocks go back); add {first} or {second}"
    return None


def _categories(
    check: Checker, race: dict[str, Any], path: Path
) -> tuple[CategoryDefinition, ...] | None:
    if race.get("categories") is None:
        return ()
    seen: set[str] = set()
    rules: list[CategoryDefinition] = []
    before = len(check.problems)
    for item_path, item in check.items(race, path, allow_empty=True):
        entry = check.mapping(item, item_path, CATEGORY_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*item_path, "code"), seen)
        seen.update([code] if code is not None else [])
        sex = check.sex(entry, (*item_path, "sex"))
        low = check.integer(entry, (*item_path, "min_age"), default=None, minimum=0)
        high = check.integer(entry, (*item_path, "max_age"), default=None, minimum=0)
        if low is not None and high is not None and low > high:
            check.fail((*item_path, "max_age"), f"max_age {high} is below min_age {low}")
        if code is not None:
            rules.append(CategoryDefinition(code=code, sex=sex, min_age=low, max_age=high))
    return tuple(rules) if len(check.problems) == before else None


def _team_size(check: Checker, race: dict[str, Any], path: Path) -> int | None:
    """The team size; None when the race has no teams (or when invalid: a problem is recorded)."""
    if race.get("teams") is None:
        return None
    teams = check.mapping(race["teams"], path, {"size"})
    if teams is None:
        return None
    return check.integer(teams, (*path, "size"), default=None, minimum=1, required=True)
