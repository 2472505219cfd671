"""An event file may say where the event takes place (issue 24: central's public list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.eventfile import PLACE_MAX, parse_event_file

EXAMPLE = (Path(__file__).resolve().parents[2] / "docs" / "examples" / "spring-10k.yaml").read_text(
    encoding="utf-8"
)


def with_place(place: str) -> str:
    return EXAMPLE.replace('name: "Spring 10K"\n', f'name: "Spring 10K"\nplace: {place}\n', 1)


def test_the_place_is_read_and_optional() -> None:
    assert parse_event_file(with_place('"Parc des Beaumonts, Montreuil"')).place == (
        "Parc des Beaumonts, Montreuil"
    )
    assert parse_event_file(EXAMPLE).place is None


def test_a_place_too_long_for_a_phone_line_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(with_place("x" * (PLACE_MAX + 1)))
    reasons = [(p.where, p.reason) for p in caught.value.problems]
    assert reasons == [("place", f"must be at most {PLACE_MAX} characters (it has 101)")]
