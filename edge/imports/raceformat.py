"""The format keys of a race in the event file: laps, timed, relay and segments.

Every key is optional and an old file reads as before (format ``point``). A key that
belongs to another format is refused rather than ignored: ``laps: 10`` on a race
that forgot ``format: laps`` would otherwise time a criterium as a point race.
"""

from __future__ import annotations

from typing import Any

from edge.imports.eventchecks import Checker
from edge.imports.eventdefs import FormatRules
from edge.imports.yamlsource import Path
from edge.timing.model import RaceFormat, Segment

FORMAT_KEYS = {
    "format",
    "lap_point",
    "laps",
    "min_lap",
    "duration",
    "lap_distance_m",
    "legs",
    "handover_point",
    "min_leg",
    "segments",
}
"""The race keys this module reads (eventfile.py adds them to the race's allowed keys)."""

_KEYS_OF = {
    "lap_point": (RaceFormat.LAPS, RaceFormat.TIMED),
    "min_lap": (RaceFormat.LAPS, RaceFormat.TIMED),
    "laps": (RaceFormat.LAPS,),
    "duration": (RaceFormat.TIMED,),
    "lap_distance_m": (RaceFormat.TIMED,),
    "legs": (RaceFormat.RELAY,),
    "handover_point": (RaceFormat.RELAY,),
    "min_leg": (RaceFormat.RELAY,),
}
SEGMENT_KEYS = {"code", "from", "to"}


def race_format(
    check: Checker, race: dict[str, Any], path: Path, route: tuple[str, ...] | None
) -> tuple[RaceFormat, FormatRules] | None:
    """The race's format and its settings; None when something is wrong (problems recorded).

    ``route`` is the race's points in order (None when they are invalid: points then
    cannot be checked, and the route's own problem is already recorded).
    """
    before = len(check.problems)
    chosen = check.choice(race, (*path, "format"), RaceFormat, RaceFormat.POINT)
    if chosen is None:
        return None
    for key, formats in _KEYS_OF.items():
        if race.get(key) is not None and chosen not in formats:
            names = " or ".join(f.value for f in formats)
            check.fail((*path, key), f"{key} applies to format {names}; this race is {chosen}")
    rules = FormatRules(
        lap_point=_point(check, race, (*path, "lap_point"), route),
        laps=check.integer(race, (*path, "laps"), default=None, minimum=1),
        min_lap_us=check.duration(race, (*path, "min_lap"), default=0) or 0,
        duration_us=check.duration(race, (*path, "duration"), default=None),
        lap_distance_m=check.integer(race, (*path, "lap_distance_m"), default=None, minimum=1),
        legs=_legs(check, race, (*path, "legs")),
        handover_point=_point(check, race, (*path, "handover_point"), route),
        min_leg_us=check.duration(race, (*path, "min_leg"), default=0) or 0,
        segments=_segments(check, race, (*path, "segments"), route),
    )
    if chosen is RaceFormat.LAPS and rules.laps is None and race.get("laps") is None:
        check.fail((*path, "laps"), "a laps race needs laps: the number of laps to complete")
    if chosen is RaceFormat.TIMED and race.get("duration") is None:
        check.fail((*path, "duration"), 'a timed race needs a duration such as "06:00:00"')
    elif chosen is RaceFormat.TIMED and rules.duration_us == 0:
        check.fail((*path, "duration"), "the duration must be longer than 0")
    if chosen is RaceFormat.RELAY and race.get("legs") is None:
        check.fail((*path, "legs"), "a relay needs legs: the leg codes in running order")
    return (chosen, rules) if len(check.problems) == before else None


def _point(
    check: Checker, race: dict[str, Any], path: Path, route: tuple[str, ...] | None
) -> str | None:
    code = check.text(race, path, required=False)
    if code is not None and route is not None and code not in route:
        check.fail(path, f"{code!r} is not one of this race's points ({', '.join(route)})")
        return None
    return code


def _legs(check: Checker, race: dict[str, Any], path: Path) -> tuple[str, ...]:
    if race.get("legs") is None:
        return ()
    codes = check.text_list(race, path) or []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            check.fail((*path, index), f"leg {code} is listed twice")
        seen.add(code)
    return tuple(codes)


def _segments(
    check: Checker, race: dict[str, Any], path: Path, route: tuple[str, ...] | None
) -> tuple[Segment, ...]:
    if race.get("segments") is None:
        return ()
    seen: set[str] = set()
    segments: list[Segment] = []
    for item_path, item in check.items(race, path):
        entry = check.mapping(item, item_path, SEGMENT_KEYS)
        if entry is None:
            continue
        code = check.code(entry, (*item_path, "code"), seen)
        seen.update([code] if code is not None else [])
        start = _point(check, entry, (*item_path, "from"), route)
        end = _point(check, entry, (*item_path, "to"), route)
        for key, value in (("from", start), ("to", end)):
            if value is None and entry.get(key) is None:
                check.fail((*item_path, key), "is required")
        if code is None or start is None or end is None:
            continue
        if route is not None and route.index(start) >= route.index(end):
            check.fail(item_path, f"{start} must come before {end} in the race's points")
            continue
        segments.append(Segment(code, start, end))
    return tuple(segments)
