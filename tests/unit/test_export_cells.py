"""The CSV export's rows, written straight from the results, say what the table rows say.

``sheet_cells`` (tuples, for 20,000-row files) must give every cell ``result_row`` gives,
through ``spreadsheet_cell``, in ``result_columns`` order: for each race format, each
status, names that look like formulas, times past a day and negative times.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.clock import format_duration
from edge.exports.csvsheet import csv_bytes, results_csv_bytes
from edge.exports.tables import Table
from edge.exports.words import FRENCH
from edge.timing.export import (
    _sheet_time,
    result_columns,
    result_row,
    sheet_cells,
    spreadsheet_cell,
)
from edge.timing.model import EntrantInfo, EntrantResult, RaceFormat, RaceSpec, Segment, Status

HOUR_US = 3_600_000_000
TIMES = st.one_of(
    st.none(),
    st.integers(0, 3 * HOUR_US),
    st.integers(-HOUR_US, 30 * 24 * HOUR_US),  # negative, and past the day the table covers
)
TEXTS = st.one_of(
    st.sampled_from(["", "Zoé", "AC Łódź", "=HYPERLINK(1)", "-12", "+cmd", " =1+1", "@SUM"]),
    st.text(max_size=4),
)
SPLITS = ("KM5", "KM10")
SEGMENTS = (Segment("SWIM", "START", "T1"), Segment("BIKE", "T1", "T2"))


def _spec(race_format: RaceFormat, splits: int, segments: int, distance: int | None) -> RaceSpec:
    return RaceSpec(
        code="R",
        timing="chip",
        min_time_us=0,
        cutoff_us=None,
        start_points=frozenset({"START"}),
        finish_points=frozenset({"FINISH"}),
        split_points=SPLITS[:splits],
        waves={"W1": 0},
        first_wave="W1",
        format=race_format,
        laps=3 if race_format is RaceFormat.LAPS else None,
        lap_distance_m=distance,
        segments=SEGMENTS[:segments],
    )


SPECS = st.builds(
    _spec,
    st.sampled_from([RaceFormat.POINT, RaceFormat.LAPS, RaceFormat.TIMED]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(1, 5000)),
)


@st.composite
def results(draw: st.DrawFn) -> EntrantResult:
    gun = draw(TIMES)
    entrant = EntrantInfo(
        bib=draw(st.sampled_from(["1", "10", "-3", "=2"])),
        first_name=draw(TEXTS),
        last_name=draw(TEXTS),
        sex=draw(st.sampled_from([None, "", "F", "M"])),
        club=draw(TEXTS),
        team=draw(TEXTS),
    )
    return EntrantResult(
        entrant=entrant,
        status=draw(st.sampled_from(list(Status))),
        category=draw(st.one_of(st.none(), TEXTS)),
        gun_time_us=gun,
        chip_time_us=draw(st.one_of(st.just(gun), TIMES)),  # often the gun time: no start mat
        rank=draw(st.one_of(st.none(), st.integers(1, 20_000))),
        sex_rank=draw(st.one_of(st.none(), st.integers(1, 20_000))),
        category_rank=draw(st.one_of(st.none(), st.integers(1, 20_000))),
        splits_us=draw(st.dictionaries(st.sampled_from(SPLITS), TIMES)),
        laps=draw(st.one_of(st.none(), st.integers(0, 9))),
        lap_times_us=draw(st.lists(st.integers(0, HOUR_US), max_size=4)),
        segments_us=draw(st.dictionaries(st.sampled_from([s.code for s in SEGMENTS]), TIMES)),
    )


def _table_cells(result: EntrantResult, spec: RaceSpec) -> tuple[object, ...]:
    row = result_row(result, spec)
    return tuple(spreadsheet_cell(row[c]) for c in result_columns(spec))


@settings(deadline=None)  # a shared 2-CPU host: no timing in a test
@given(st.one_of(st.none(), st.integers(-30 * 24 * HOUR_US, 30 * 24 * HOUR_US)))
def test_a_time_reads_as_format_duration_writes_it(us: int | None) -> None:
    expected = None if us is None else spreadsheet_cell(format_duration(us))
    assert _sheet_time(us) == expected


def test_times_at_the_edges_of_the_tables() -> None:
    day = 24 * HOUR_US
    for us in (0, 99_999, 100_000, 59_900_000, 60_000_000, HOUR_US - 1, day - 1, day, -1):
        assert _sheet_time(us) == spreadsheet_cell(format_duration(us)), us
    assert _sheet_time(day - 1) == "23:59:59.9"
    assert _sheet_time(-100_000) == "'-0:00:00.1"  # a negative time never starts a formula


@settings(deadline=None)  # a shared 2-CPU host: no timing in a test
@given(SPECS, st.lists(results(), max_size=3))
def test_every_cell_is_the_table_rows_cell(spec: RaceSpec, made: list[EntrantResult]) -> None:
    cells = list(sheet_cells(made, spec))
    assert cells == [_table_cells(r, spec) for r in made]
    assert all(len(row) == len(result_columns(spec)) for row in cells)


@settings(deadline=None)  # a shared 2-CPU host: no timing in a test
@given(SPECS, st.lists(results(), max_size=3), st.sampled_from(["Provisional results", "=x"]))
def test_the_csv_is_the_tables_csv_byte_for_byte(
    spec: RaceSpec, made: list[EntrantResult], said: str
) -> None:
    columns = (*result_columns(spec), "results_state")
    rows = [{**result_row(r, spec), "results_state": said} for r in made]
    tables = [Table("Scratch", columns, rows)]
    assert results_csv_bytes(made, spec, columns, said) == csv_bytes(tables)
    french = [FRENCH.heading(c) for c in columns]
    assert results_csv_bytes(made, spec, french, said) == csv_bytes(tables, FRENCH)
