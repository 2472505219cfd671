"""The results search index answers exactly as the one-entrant rule, and pages cut right."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.services.paging import MAX_PAGE_ROWS, window
from edge.services.result_search import SEPARATOR, SearchIndex, entrant_matches
from edge.timing.model import EntrantInfo

LETTERS = st.text(alphabet="aAéÉèeHhLlNnOoöØ 1\t", max_size=8)
ENTRANTS = st.lists(
    st.builds(
        EntrantInfo,
        bib=st.text(alphabet="12Ab", min_size=1, max_size=3),
        first_name=LETTERS,
        last_name=LETTERS,
    ),
    max_size=30,
)


@settings(deadline=None)  # a shared 2-CPU host: no timing in a test
@given(ENTRANTS, LETTERS)
def test_the_index_finds_what_entrant_matches_finds(
    entrants: list[EntrantInfo], query: str
) -> None:
    found = SearchIndex(entrants).positions(query)
    expected = [at for at, entrant in enumerate(entrants) if entrant_matches(entrant, query)]
    if found is None:  # an empty search: everyone, without a scan
        assert not query.strip()
        assert expected == list(range(len(entrants)))
    else:
        assert found == expected


def test_accents_and_case_are_ignored_both_ways() -> None:
    index = SearchIndex([EntrantInfo("7", "Hélène", "Lefèvre"), EntrantInfo("8", "Jean", "Dupont")])
    assert index.positions("HELENE") == [0]
    assert index.positions("lefevre helene") == [0]
    assert index.positions("dupont jean") == [1]
    assert index.positions("8") == [1]
    assert index.positions("  ") is None
    assert index.positions("lefevre\thelene") == []  # "first last" and "last first" apart


def test_a_window_cuts_the_list_and_keeps_past_the_end_on_the_last_page() -> None:
    rows = list(range(45))
    assert window(45, 1, 20).rows(rows) == rows[:20]
    third = window(45, 3, 20)
    assert (third.page, third.pages, third.start, third.stop) == (3, 3, 40, 45)
    assert window(45, 9, 20) == third
    assert window(0, 1, 20).pages == 1
    assert window(0, 1, 20).rows([]) == []


@pytest.mark.parametrize(("page", "size"), [(0, 20), (-1, 20), (1, 0), (1, MAX_PAGE_ROWS + 1)])
def test_a_window_out_of_range_is_refused(page: int, size: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        window(45, page, size)


def test_an_index_lent_by_the_last_one_still_sees_an_edited_entrant() -> None:
    helene, jean = EntrantInfo("7", "Hélène", "Lefèvre"), EntrantInfo("8", "Jean", "Dupont")
    before = SearchIndex([helene, jean])
    renamed = replace(helene, last_name="Zola")  # an edit: a new object, equal bib
    after = SearchIndex([jean, renamed], before)  # the ranks moved too
    assert after.positions("zola") == [1]
    assert after.positions("lefevre") == []
    assert after.positions("dupont") == [0]
    assert after.positions("7") == [1]


def test_a_search_holding_the_index_separator_finds_what_entrant_matches_finds() -> None:
    # The index holds "first last" and "last first" in one string split by SEPARATOR: a
    # search holding it must not match across the two spellings, and still find a name
    # that holds it.
    people = [
        EntrantInfo(bib="1", first_name="Ann", last_name="Lee"),
        EntrantInfo(bib="2", first_name=f"A{SEPARATOR}B", last_name="Cy"),
    ]
    for query in (f"lee{SEPARATOR}lee", f"a{SEPARATOR}b", f"cy a{SEPARATOR}b"):
        expected = [at for at, person in enumerate(people) if entrant_matches(person, query)]
        assert SearchIndex(people).positions(query) == expected, query
    assert SearchIndex(people).positions(f"lee{SEPARATOR}lee") == []
    assert SearchIndex(people).positions(f"a{SEPARATOR}b") == [1]
