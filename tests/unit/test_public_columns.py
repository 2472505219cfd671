"""The headings of central's public results page (pure)."""

from __future__ import annotations

from central.web.columns import column_label


def test_every_column_a_box_publishes_gets_a_heading_people_read() -> None:
    names = ["rank", "gun_time", "split_KM5", "laps", "lap_12", "distance_m", "seg_T1",
             "leg_L2_bib", "leg_L2", "leg_L2_rank", "total_time"]  # fmt: skip
    assert [column_label(name) for name in names] == [
        "Rank", "Gun time", "KM5", "Laps", "Lap 12", "Distance (m)", "T1",
        "L2 bib", "L2", "L2 rank", "Total time",
    ]  # fmt: skip


def test_leg_codes_with_underscores_and_unknown_columns_are_kept() -> None:
    assert column_label("leg_LEG_1_bib") == "LEG_1 bib"
    assert column_label("leg_LEG_1") == "LEG_1"
    assert column_label("wind_speed") == "wind_speed"  # a newer box's column: shown as named
