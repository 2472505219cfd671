"""A race's published document read for runner pages (central.services.runners.race_table)."""

from __future__ import annotations

from typing import Any

from central.services.runners import FINISH, race_table

MIN = 60_000_000
POINTS = [
    {"code": "KM5", "kind": "split", "distance_m": 5000},
    {"code": "KM10", "kind": "split", "distance_m": 10000},
    {"code": "FINISH", "kind": "finish", "distance_m": 21097},
]


def row(bib: str, status: str, km5: str | None, km10: str | None = None,
        chip: str | None = None, rank: int | None = None) -> dict[str, Any]:  # fmt: skip
    return {"bib": bib, "first_name": "Ana", "last_name": bib, "status": status, "rank": rank,
            "chip_time": chip, "split_KM5": km5, "split_KM10": km10}  # fmt: skip


COLUMNS = ["rank", "bib", "first_name", "last_name", "status", "chip_time", "split_KM5",
           "split_KM10"]  # fmt: skip
ROWS = [
    row("1", "FIN", "0:20:00.0", "0:41:00.0", "1:30:00.0", 1),
    row("2", "FIN", "0:22:00.0", "0:45:00.0", "1:40:00.0", 2),
    row("3", "ONC", "0:22:00.0", "0:46:00.0"),  # tied with bib 2 at 5 km
    row("4", "ONC", "0:30:00.0"),
    row("5", "DNF", "0:35:00.0", chip="9:99:99.9"),  # a DNF's finish cell never counts
    row("6", "DNS", None),
    row("7", "FIN", "0:25:00.0", "0:52:00.0", "1:55:00.0", 3),
    {"team": "Relay A", "status": "FIN"},  # a relay's team row: no bib of its own
]


def test_each_point_has_time_pace_and_rank_with_ties_shared() -> None:
    table = race_table("spring", "21K", "etag-1", 0, {"columns": COLUMNS, "rows": ROWS,
                                                      "points": POINTS})  # fmt: skip
    assert sorted(table.rows) == ["1", "2", "3", "4", "5", "6", "7"]
    three = table.runner("3")
    km5, km10, finish = three.passages
    assert (km5.time, km5.pace, km5.rank, km5.passed) == ("0:22:00.0", "4:24", 2, 6)
    assert (km10.time, km10.rank, km10.passed) == ("0:46:00.0", 3, 4)
    assert (finish.time_us, finish.rank, finish.passed) == (None, None, 3)
    assert three.last_passage is km10
    assert three.prediction is not None  # on course: 46:00 x the field's 10 km -> finish
    # Bibs 1, 2 and 7 took x2.195, x2.222 and x2.212 from 10 km: about 1:41:40.
    assert three.prediction.method == "field"
    assert 101 * MIN < three.prediction.finish_us < 102.5 * MIN
    one = table.runner("1")
    assert one.passages[-1].rank == 1  # the finish shows the race's own rank
    assert one.prediction is None
    assert table.runner("5").prediction is None  # not on course: no prediction
    assert table.at_point["FINISH"] == [90 * MIN, 100 * MIN, 115 * MIN]


def test_a_document_without_points_takes_the_split_columns_and_a_finish() -> None:
    table = race_table("spring", "21K", "etag-1", 0, {"columns": COLUMNS, "rows": ROWS})
    assert [p.code for p in table.points] == ["KM5", "KM10", FINISH]
    assert all(p.distance_m == 0 for p in table.points)
    assert table.runner("4").passages[0].pace == ""  # no distance, no pace
    prediction = table.runner("4").prediction  # the field ran 5 km -> 10 km -> finish
    assert prediction is not None
    assert prediction.method == "field"


def test_a_cell_that_is_not_a_time_is_shown_but_not_counted() -> None:
    rows = [row("1", "ONC", "soon"), row("2", "ONC", "0:20:00.0")]
    table = race_table("spring", "5K", "e", 0, {"columns": COLUMNS, "rows": rows})
    assert table.runner("1").passages[0].time_us is None
    assert table.runner("2").passages[0].rank == 1
