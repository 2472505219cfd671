"""Ages (year end or exact on race day) and the first category rule that matches."""

from __future__ import annotations

import datetime as dt

import pytest

from edge.timing.categories import age_of, assign_category, category_of
from edge.timing.model import CategoryRule, EntrantInfo, RaceSpec

RACE_DAY = dt.date(2026, 4, 12)

RULES = (
    CategoryRule("U20", max_age=19),
    CategoryRule("SEF", sex="F", min_age=20, max_age=39),
    CategoryRule("SEM", sex="M", min_age=20, max_age=39),
    CategoryRule("V1", min_age=40, max_age=49),
    CategoryRule("MAS", min_age=40),
    CategoryRule("OPEN"),
)


def spec(age_reference: str = "year_end", categories: tuple[CategoryRule, ...] = RULES) -> RaceSpec:
    """A race held on RACE_DAY with the given category rules."""
    return RaceSpec(
        code="10K",
        timing="chip",
        min_time_us=0,
        cutoff_us=None,
        start_points=frozenset(),
        finish_points=frozenset({"FINISH"}),
        split_points=(),
        waves={"A": 0},
        first_wave="A",
        categories=categories,
        event_date=RACE_DAY,
        age_reference=age_reference,
    )


def test_year_end_age_is_event_year_minus_birth_year() -> None:
    late_birthday = EntrantInfo("1", birth_date=dt.date(2000, 12, 31))
    assert age_of(late_birthday, RACE_DAY, "year_end") == 26
    assert age_of(EntrantInfo("1", birth_year=2000), RACE_DAY, "year_end") == 26


def test_birth_year_is_preferred_to_the_year_of_birth_date() -> None:
    both = EntrantInfo("1", birth_year=1999, birth_date=dt.date(2000, 5, 5))
    assert age_of(both, RACE_DAY, "year_end") == 27


def test_event_date_age_turns_on_the_birthday_itself() -> None:
    on_the_day = EntrantInfo("1", birth_date=dt.date(2006, 4, 12))
    assert age_of(on_the_day, RACE_DAY, "event_date") == 20


def test_event_date_age_is_one_less_when_the_birthday_is_the_day_after() -> None:
    day_after = EntrantInfo("1", birth_date=dt.date(2006, 4, 13))
    assert age_of(day_after, RACE_DAY, "event_date") == 19
    assert age_of(day_after, RACE_DAY, "year_end") == 20


def test_leap_day_birthday_is_reached_on_march_first_in_other_years() -> None:
    leap = EntrantInfo("1", birth_date=dt.date(2004, 2, 29))
    assert age_of(leap, dt.date(2025, 2, 28), "event_date") == 20
    assert age_of(leap, dt.date(2025, 3, 1), "event_date") == 21


def test_event_date_with_only_a_birth_year_falls_back_to_year_difference() -> None:
    assert age_of(EntrantInfo("1", birth_year=2006), RACE_DAY, "event_date") == 20


def test_unknown_birth_gives_unknown_age() -> None:
    assert age_of(EntrantInfo("1"), RACE_DAY, "year_end") is None
    assert age_of(EntrantInfo("1"), RACE_DAY, "event_date") is None


def test_unknown_age_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="age reference"):
        age_of(EntrantInfo("1", birth_year=2000), RACE_DAY, "birthday")


@pytest.mark.parametrize(
    ("sex", "age", "code"),
    [
        ("F", 19, "U20"),  # max bound inclusive
        ("F", 20, "SEF"),  # min bound inclusive
        ("M", 39, "SEM"),
        ("F", 45, "V1"),  # a rule without sex admits every sex
        ("M", 49, "V1"),
        ("M", 50, "MAS"),  # no max bound
        (None, 30, "OPEN"),  # no sex: only rules without sex can match
        ("F", None, "OPEN"),  # unknown age: only rules without age bounds can match
    ],
)
def test_first_matching_rule_wins(sex: str | None, age: int | None, code: str) -> None:
    assert assign_category(RULES, sex, age) == code


def test_no_matching_rule_gives_no_category() -> None:
    rules = (CategoryRule("SEF", sex="F", min_age=20),)
    assert assign_category(rules, "M", 30) is None
    assert assign_category(rules, "F", 19) is None
    assert assign_category((), "F", 30) is None


def test_day_after_birthday_changes_the_category_only_with_event_date_reference() -> None:
    runner = EntrantInfo("1", sex="F", birth_date=dt.date(2006, 4, 13))
    assert category_of(spec("year_end"), runner) == "SEF"
    assert category_of(spec("event_date"), runner) == "U20"


def test_category_override_beats_the_rules() -> None:
    runner = EntrantInfo("1", sex="F", birth_year=1990, category_override="ELITE")
    assert category_of(spec(), runner) == "ELITE"


def test_empty_override_is_no_override() -> None:
    runner = EntrantInfo("1", sex="F", birth_year=1990, category_override="")
    assert category_of(spec(), runner) == "SEF"


def test_race_without_categories_gives_none() -> None:
    assert category_of(spec(categories=()), EntrantInfo("1", sex="M", birth_year=1990)) is None
