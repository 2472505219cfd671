"""Entrant lists (CSV) checked row by row; every bad row is reported with its line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge.errors import InvalidInput, Problem
from edge.imports.csvfile import (
    bib_problem,
    cell_values,
    extra_cells,
    normalise_bib,
    quoted_headers,
    read_csv_table,
)
from edge.imports.entrant_columns import ALIASES, EXAMPLES
from edge.imports.headers import fold_text, look_alike, map_headers, normalise_header
from edge.imports.relay_legs import RaceLegs
from edge.phrase import Phrase

__all__ = ["ALIASES", "EntrantRow", "EntrantsFile", "parse_entrants_csv"]
HEADER = Phrase("header")
"""Where a problem of the header line is."""

# Keys are folded like headers (lowercase, no accents) before the lookup.
SEXES = {
    **dict.fromkeys(("m", "h", "homme", "male", "man", "masculin"), "M"),
    **dict.fromkeys(("f", "femme", "female", "woman", "feminin"), "F"),
}
# A spreadsheet may add the midnight of a date cell ("1990-03-14 00:00:00").
_MIDNIGHT = r"(?:[ T]00:00(?::00)?)?"
_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})" + _MIDNIGHT)
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})" + _MIDNIGHT)
_HEX = re.compile(r"[0-9A-F]+")


@dataclass(frozen=True)
class EntrantRow:
    """One valid row of an entrants file."""

    line: int
    bib: str
    last_name: str
    first_name: str
    sex: str | None
    birth_date: dt.date | None
    birth_year: int | None
    club: str
    team: str
    race: str
    wave: str | None
    tag1: str | None
    tag2: str | None
    category: str | None
    leg: str | None = None  # a relay race's leg code (edge.imports.relay_legs)


@dataclass(frozen=True)
class EntrantsFile:
    """A parsed entrants file: valid rows, every problem, and what the file holds."""

    rows: list[EntrantRow]
    problems: list[Problem]
    columns: frozenset[str]
    encoding: str
    delimiter: str
    ignored_headers: list[str]


class _Row:
    """One record being checked: its values and every problem found so far."""

    def __init__(self, line: int, values: dict[str, str]) -> None:
        self.line = line
        self.values = values
        self.bib = normalise_bib(values["bib"])
        self.where = Phrase("bib {bib}", bib=self.bib) if self.bib else Phrase("bib")
        self.problems: list[Problem] = []

    def get(self, field: str) -> str:
        """The trimmed value of a field, empty when the file has no such column."""
        return self.values.get(field, "")

    def fail(self, reason: str) -> None:
        """Record one more thing wrong with this row."""
        self.problems.append(Problem(self.where, reason, self.line))


class _SeenInFile:
    """Bibs and tags already met in the file, to refuse a second use of either."""

    def __init__(self) -> None:
        self.bibs: dict[str, int] = {}
        self.tags: dict[str, tuple[str, int]] = {}

    def check(self, row: _Row, bib_ok: bool, tags: Sequence[str]) -> None:
        """Flag the row's reused bib and tags, then remember them.

        Rows with other faults are remembered too: fixing them would not make a
        later row with the same bib any less of a duplicate.
        """
        if bib_ok and row.bib in self.bibs:
            row.fail(
                Phrase("bib {bib} already on line {line}", bib=row.bib, line=self.bibs[row.bib])
            )
        for tag in tags:
            if tag in self.tags:
                bib, line = self.tags[tag]
                if bib:
                    row.fail(
                        Phrase(
                            "tag {tag} already given to bib {bib} on line {line}",
                            tag=tag,
                            bib=bib,
                            line=line,
                        )
                    )
                else:
                    row.fail(Phrase("tag {tag} already on line {line}", tag=tag, line=line))
        if bib_ok:
            self.bibs.setdefault(row.bib, row.line)
        for tag in tags:
            self.tags.setdefault(tag, (row.bib, row.line))


class _Races:
    """The event's races, found by code or by name as a file writes them."""

    def __init__(self, waves: Mapping[str, Sequence[str]], names: Mapping[str, str]) -> None:
        self.waves = waves
        self.names = names
        # Folded once here, not for each of 20,000 rows.
        self._codes: dict[str, list[str]] = {}
        self._named: dict[str, list[str]] = {}
        for code in waves:
            self._codes.setdefault(fold_text(code), []).append(code)
            self._named.setdefault(fold_text(names.get(code, "")), []).append(code)
        self._wave_codes = {r: {fold_text(w): w for w in codes} for r, codes in waves.items()}

    def find(self, written: str) -> list[str]:
        """Codes of the races ``written`` means: by code first, else by name ("10 km")."""
        key = fold_text(written)
        return self._codes.get(key) or self._named.get(key) or []

    def wave(self, race: str, written: str) -> str | None:
        """The code of the race's wave ``written`` means, if any."""
        return self._wave_codes[race].get(fold_text(written))

    def listed(self) -> str:
        """The races for a message: ``10K (10 km), 5K (5 km)``."""
        named = [f"{c} ({self.names[c]})" if self.names.get(c) else c for c in self.waves]
        return ", ".join(named) or "—"


def parse_entrants_csv(
    data: bytes,
    races: Mapping[str, Sequence[str]],
    today: dt.date | None = None,
    *,
    race_names: Mapping[str, str] | None = None,
    race_legs: Mapping[str, Sequence[str]] | None = None,
) -> EntrantsFile:
    """Parse an entrants file against the event's races (race code -> its wave codes).

    A row's race may be written as its code or, given ``race_names``, as its name.
    ``race_legs`` holds the relay races' legs: a leg on another race is refused.
    """
    today = today or dt.date.today()
    table = read_csv_table(data)
    columns, ignored, problems = map_headers(table.headers, ALIASES, table.header_line)
    problems.extend(_look_alikes(ignored, columns, table.header_line))
    missing = [f for f in ("bib", "last_name") if f not in columns]
    if "race" not in columns and len(races) != 1:
        missing.append("race")
    if missing:
        reason = Phrase("missing column(s): {columns}", columns=", ".join(missing))
        problems.append(Problem(HEADER, reason, table.header_line))
    if problems:
        message = Phrase(
            "the entrants file's header cannot be used (line {line} reads {found})",
            line=table.header_line,
            found=quoted_headers(table),
        )
        raise InvalidInput(problems, message)
    rows: list[EntrantRow] = []
    seen = _SeenInFile()
    known = _Races(races, race_names or {})
    legs = RaceLegs(race_legs or {})
    for line, cells in table.rows:
        row = _Row(line, cell_values(columns, cells))
        overflow = extra_cells(cells, table.headers, table.delimiter)
        if overflow:
            # Values are shifted past the stray delimiter: checking them would only
            # add confusing reasons to the one that matters.
            row.fail(overflow)
            problems.extend(row.problems)
            continue
        entrant = _check(row, known, legs, today, seen)
        problems.extend(row.problems)
        if entrant is not None:
            rows.append(entrant)
    return EntrantsFile(
        rows=rows,
        problems=problems,
        columns=frozenset(columns),
        encoding=table.encoding,
        delimiter=table.delimiter,
        ignored_headers=ignored,
    )


def _look_alikes(ignored: Sequence[str], columns: Mapping[str, int], line: int) -> list[Problem]:
    """An ignored column that seems to hold a field the file does not give is an error.

    Importing would create every entrant without that field ("Gender" once made 260
    entrants without a sex), so the organiser names the column or removes it.
    """
    problems = []
    for header in ignored:
        alike = look_alike(header, ALIASES, taken=columns)
        if alike is not None:
            reason = Phrase(
                "this column is not read but looks like {field} ({resembles!r}): "
                "rename it (e.g. {names}) to import it, or remove the column",
                field=alike.field,
                resembles=alike.resembles,
                names=EXAMPLES[alike.field],
            )
            problems.append(Problem(alike.header, reason, line))
    return problems


def _check(
    row: _Row, races: _Races, legs: RaceLegs, today: dt.date, seen: _SeenInFile
) -> EntrantRow | None:
    """Check every value of the row; return the entrant only when nothing is wrong."""
    bib_fault = bib_problem(row.bib)
    if bib_fault:
        row.fail(bib_fault)
    last_name = row.get("last_name")
    if not last_name:
        row.fail(Phrase("the last name is empty"))
    sex = _sex(row)
    birth_date = _birth_date(row, today)
    birth_year = _birth_year(row, today)
    if birth_date and birth_year and birth_date.year != birth_year:
        row.fail(
            Phrase(
                "birth year {year} disagrees with birth date {date}",
                year=birth_year,
                date=birth_date.isoformat(),
            )
        )
    race, wave = _race_and_wave(row, races)
    leg = legs.read(race, row.get("leg"), row.fail) if race else None
    tag1 = _tag(row, "tag1")
    tag2 = _tag(row, "tag2")
    if tag1 and tag1 == tag2:
        row.fail(Phrase("tag2 is the same as tag"))
        tag2 = None  # not a second use of the tag by another row
    seen.check(row, bib_fault is None, [t for t in (tag1, tag2) if t])
    if row.problems or race is None:
        return None
    return EntrantRow(
        line=row.line,
        bib=row.bib,
        last_name=last_name,
        first_name=row.get("first_name"),
        sex=sex,
        birth_date=birth_date,
        birth_year=birth_year,
        club=row.get("club"),
        team=row.get("team"),
        race=race,
        wave=wave,
        tag1=tag1,
        tag2=tag2,
        category=row.get("category") or None,
        leg=leg,
    )


def _sex(row: _Row) -> str | None:
    value = row.get("sex")
    if not value:
        return None
    sex = SEXES.get(normalise_header(value))
    if sex is None:
        row.fail(
            Phrase("sex {value!r} is not one of M, H, Homme, Male, F, Femme, Female", value=value)
        )
    return sex


def _birth_date(row: _Row, today: dt.date) -> dt.date | None:
    value = row.get("birth_date")
    if not value:
        return None
    if re.fullmatch(r"[0-9]{4}", value):
        row.fail(
            Phrase(
                "birth date {value!r} is a year alone: give the whole date, or head the "
                "column Birth year (Année de naissance) if it holds years",
                value=value,
            )
        )
        return None
    dmy, ymd = _DMY.fullmatch(value), _YMD.fullmatch(value)
    try:
        if dmy:
            day, month, year = (int(g) for g in dmy.groups())
        elif ymd:
            year, month, day = (int(g) for g in ymd.groups())
        else:
            raise ValueError(value)
        born = dt.date(year, month, day)
    except ValueError:
        row.fail(
            Phrase("birth date {value!r} is not a real date DD/MM/YYYY or YYYY-MM-DD", value=value)
        )
        return None
    if born.year < 1900:
        row.fail(Phrase("birth date {value!r} is before 1900", value=value))
        return None
    if born > today:
        row.fail(Phrase("birth date {value!r} is in the future", value=value))
        return None
    return born


def _birth_year(row: _Row, today: dt.date) -> int | None:
    value = row.get("birth_year")
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{4}", value) or not 1900 <= int(value) <= today.year:
        row.fail(
            Phrase(
                "birth year {value!r} is not a year between 1900 and {year}",
                value=value,
                year=today.year,
            )
        )
        return None
    return int(value)


def _race_and_wave(row: _Row, races: _Races) -> tuple[str | None, str | None]:
    written, wave_written = row.get("race"), row.get("wave")
    if not written and len(races.waves) == 1:
        race = next(iter(races.waves))
    elif not written:
        row.fail(Phrase("the race is empty (races: {races})", races=races.listed()))
        return None, None
    else:
        found = races.find(written)
        if len(found) != 1:
            why = Phrase(
                "race {race!r} is not a race of this event (races: {races})"
                if not found
                else "race {race!r} names more than one race of this event (races: {races})",
                race=written,
                races=races.listed(),
            )
            row.fail(why)
            return None, None
        race = found[0]
    if not wave_written:
        return race, None
    waves = races.waves[race]
    wave = races.wave(race, wave_written)
    if wave is None:
        row.fail(
            Phrase(
                "wave {wave!r} is not a wave of race {race} ({waves})",
                wave=wave_written,
                race=race,
                waves=", ".join(waves) or "—",
            )
        )
    return race, wave


def _tag(row: _Row, field: str) -> str | None:
    written = row.get(field)
    epc = re.sub(r"\s+", "", written).upper()
    if not epc:
        return None
    if not _HEX.fullmatch(epc) or len(epc) % 2 or not 8 <= len(epc) <= 64:
        row.fail(
            Phrase(
                "tag {value!r} is not an EPC (8 to 64 hexadecimal digits, even count)"
                if field == "tag1"
                else "tag2 {value!r} is not an EPC (8 to 64 hexadecimal digits, even count)",
                value=written,
            )
        )
        return None
    return epc
