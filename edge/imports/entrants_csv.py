"""Entrant lists (CSV) checked row by row; every bad row is reported with its line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edge.errors import InvalidInput, Problem
from edge.imports.csvfile import map_headers, normalise_bib, normalise_header, read_csv_table

ALIASES = {
    normalise_header(alias): field
    for field, names in {
        "bib": ["bib", "dossard", "bib number", "numero", "no dossard", "num dossard"],
        "last_name": ["last_name", "nom", "last name", "surname", "nom de famille"],
        "first_name": ["first_name", "prénom", "first name", "firstname", "prenom"],
        "sex": ["sex", "sexe", "gender", "genre"],
        "birth_date": ["birth_date", "date de naissance", "date naissance", "birthdate", "dob"],
        "birth_year": ["birth_year", "année", "annee de naissance", "year of birth", "birthyear"],
        "club": ["club"],
        "team": ["team", "équipe", "equipe"],
        "race": ["race", "course", "epreuve"],
        "wave": ["wave", "vague", "sas"],
        "tag1": ["tag", "puce", "tag1", "puce1", "epc", "chip"],
        "tag2": ["tag2", "puce2", "epc2", "chip2"],
        "category": ["category", "catégorie", "cat"],
    }.items()
    for alias in names
}
SEXES = {"m": "M", "h": "M", "homme": "M", "male": "M", "f": "F", "femme": "F", "female": "F"}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_HEX = re.compile(r"^[0-9A-F]+$")


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


@dataclass(frozen=True)
class EntrantsFile:
    """A parsed entrants file: valid rows, every problem, and what the file holds."""

    rows: list[EntrantRow]
    problems: list[Problem]
    columns: frozenset[str]
    encoding: str
    delimiter: str
    ignored_headers: list[str]


class _RowProblems:
    """Collects a row's problems so one row can report several."""

    def __init__(self, line: int, where: str) -> None:
        self.line = line
        self.where = where
        self.found: list[Problem] = []

    def add(self, reason: str) -> None:
        self.found.append(Problem(self.where, reason, self.line))


def parse_entrants_csv(
    data: bytes, races: Mapping[str, Sequence[str]], today: dt.date | None = None
) -> EntrantsFile:
    """Parse an entrants file against the event's races (race code -> its wave codes)."""
    today = today or dt.date.today()
    table = read_csv_table(data)
    columns, ignored, problems = map_headers(table.headers, ALIASES)
    missing = [f for f in ("bib", "last_name") if f not in columns]
    if "race" not in columns and len(races) != 1:
        missing.append("race")
    if missing:
        problems.append(Problem("header", f"missing column(s): {', '.join(missing)}", 1))
    if problems:
        raise InvalidInput(problems, "the entrants file's header cannot be used")
    rows: list[EntrantRow] = []
    bib_lines: dict[str, int] = {}
    tag_lines: dict[str, tuple[str, int]] = {}
    for line, cells in table.rows:
        if len(cells) > len(table.headers):
            problems.append(
                Problem(
                    "row",
                    f"{len(cells)} cells for {len(table.headers)} columns "
                    f"(a {table.delimiter!r} inside a value needs quotes)",
                    line,
                )
            )
            continue
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        row = _row(line, values, races, today)
        if isinstance(row, list):
            problems.extend(row)
            continue
        duplicate = _duplicates(row, bib_lines, tag_lines)
        if duplicate:
            problems.extend(duplicate)
            continue
        rows.append(row)
    return EntrantsFile(
        rows=rows,
        problems=problems,
        columns=frozenset(columns),
        encoding=table.encoding,
        delimiter=table.delimiter,
        ignored_headers=ignored,
    )


def _row(
    line: int, values: dict[str, str], races: Mapping[str, Sequence[str]], today: dt.date
) -> EntrantRow | list[Problem]:
    bib = normalise_bib(values["bib"])
    check = _RowProblems(line, f"bib {bib}" if bib else "bib")
    if not bib:
        check.add("the bib is empty")
    last_name = values["last_name"]
    if not last_name:
        check.add("the last name is empty")
    sex = _sex(values.get("sex", ""), check)
    birth_date = _birth_date(values.get("birth_date", ""), today, check)
    birth_year = _birth_year(values.get("birth_year", ""), today, check)
    if birth_date and birth_year and birth_date.year != birth_year:
        check.add(f"birth year {birth_year} disagrees with birth date {birth_date.isoformat()}")
    race, wave = _race_and_wave(values.get("race", ""), values.get("wave", ""), races, check)
    tag1 = _tag(values.get("tag1", ""), "tag", check)
    tag2 = _tag(values.get("tag2", ""), "tag2", check)
    if tag1 and tag2 and tag1 == tag2:
        check.add("tag2 is the same as tag")
    if check.found or race is None:
        return check.found
    return EntrantRow(
        line=line,
        bib=bib,
        last_name=last_name,
        first_name=values.get("first_name", ""),
        sex=sex,
        birth_date=birth_date,
        birth_year=birth_year,
        club=values.get("club", ""),
        team=values.get("team", ""),
        race=race,
        wave=wave,
        tag1=tag1,
        tag2=tag2,
        category=values.get("category") or None,
    )


def _sex(value: str, check: _RowProblems) -> str | None:
    if not value:
        return None
    sex = SEXES.get(normalise_header(value))
    if sex is None:
        check.add(f"sex {value!r} is not one of M, H, Homme, Male, F, Femme, Female")
    return sex


def _birth_date(value: str, today: dt.date, check: _RowProblems) -> dt.date | None:
    if not value:
        return None
    dmy, ymd = _DMY.match(value), _YMD.match(value)
    try:
        if dmy:
            day, month, year = (int(g) for g in dmy.groups())
        elif ymd:
            year, month, day = (int(g) for g in ymd.groups())
        else:
            raise ValueError
        born = dt.date(year, month, day)
    except ValueError:
        check.add(f"birth date {value!r} is not a real date DD/MM/YYYY or YYYY-MM-DD")
        return None
    if born.year < 1900 or born > today:
        check.add(f"birth date {value!r} is not plausible")
        return None
    return born


def _birth_year(value: str, today: dt.date, check: _RowProblems) -> int | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{4}", value) or not 1900 <= int(value) <= today.year:
        check.add(f"birth year {value!r} is not a year between 1900 and {today.year}")
        return None
    return int(value)


def _race_and_wave(
    race_text: str, wave_text: str, races: Mapping[str, Sequence[str]], check: _RowProblems
) -> tuple[str | None, str | None]:
    if not race_text and len(races) == 1:
        race: str | None = next(iter(races))
    else:
        race = next((code for code in races if code.casefold() == race_text.casefold()), None)
    if race is None:
        known = ", ".join(races) or "none"
        check.add(f"race {race_text!r} is not a race of this event (races: {known})")
        return None, None
    if not wave_text:
        return race, None
    wave = next((w for w in races[race] if w.casefold() == wave_text.casefold()), None)
    if wave is None:
        check.add(f"wave {wave_text!r} is not a wave of race {race} ({', '.join(races[race])})")
    return race, wave


def _tag(value: str, column: str, check: _RowProblems) -> str | None:
    epc = re.sub(r"\s+", "", value).upper()
    if not epc:
        return None
    if not _HEX.match(epc) or len(epc) % 2 or not 8 <= len(epc) <= 64:
        check.add(f"{column} {value!r} is not an EPC (8 to 64 hexadecimal digits, even count)")
        return None
    return epc


def _duplicates(
    row: EntrantRow, bib_lines: dict[str, int], tag_lines: dict[str, tuple[str, int]]
) -> list[Problem]:
    found: list[Problem] = []
    where = f"bib {row.bib}"
    if row.bib in bib_lines:
        found.append(
            Problem(where, f"bib {row.bib} already on line {bib_lines[row.bib]}", row.line)
        )
    for tag in (row.tag1, row.tag2):
        if tag and tag in tag_lines:
            bib, line = tag_lines[tag]
            found.append(
                Problem(where, f"tag {tag} already given to bib {bib} on line {line}", row.line)
            )
    if not found:
        bib_lines[row.bib] = row.line
        for tag in (row.tag1, row.tag2):
            if tag:
                tag_lines[tag] = (row.bib, row.line)
    return found
