"""Ages and categories: which age an entrant counts as, which category that gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from edge.timing.model import CategoryRule, EntrantInfo, RaceSpec

AGE_REFERENCES = ("year_end", "event_date")


def age_of(entrant: EntrantInfo, event_date: dt.date, age_reference: str) -> int | None:
    """Return the age used for categories, or None when the birth data is missing."""
    if age_reference not in AGE_REFERENCES:
        raise ValueError(f"age reference {age_reference!r} is not one of {AGE_REFERENCES}")
    birth = entrant.birth_date
    if age_reference == "event_date" and birth is not None:
        # Exact age on race day: the birthday itself already counts.
        before_birthday = (event_date.month, event_date.day) < (birth.month, birth.day)
        return event_date.year - birth.year - int(before_birthday)
    # "year_end", or "event_date" with only a birth year known: the age reached
    # during the event's year is the best estimate available.
    year = entrant.birth_year
    if year is None and birth is not None:
        year = birth.year
    return event_date.year - year if year is not None else None


def rule_matches(rule: CategoryRule, sex: str | None, age: int | None) -> bool:
    """Tell whether a category rule admits this sex and age (bounds inclusive)."""
    if rule.sex is not None and rule.sex != sex:
        return False
    if rule.min_age is None and rule.max_age is None:
        return True
    # An unknown age cannot be proven to fall inside any bound.
    if age is None:
        return False
    if rule.min_age is not None and age < rule.min_age:
        return False
    return rule.max_age is None or age <= rule.max_age


def assign_category(rules: Sequence[CategoryRule], sex: str | None, age: int | None) -> str | None:
    """Return the code of the first rule matching sex and age, or None when none does."""
    for rule in rules:
        if rule_matches(rule, sex, age):
            return rule.code
    return None


def category_of(spec: RaceSpec, entrant: EntrantInfo) -> str | None:
    """Return an entrant's category: its override when set, else the first matching rule."""
    if entrant.category_override:
        return entrant.category_override
    if not spec.categories:
        return None
    age = age_of(entrant, spec.event_date, spec.age_reference)
    return assign_category(spec.categories, entrant.sex or None, age)
