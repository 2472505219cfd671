"""On course or DNF: a runner with no finish is on course until the race closes."""

from __future__ import annotations

import dataclasses

from edge.timing.course import OPEN_WITHOUT_CUTOFF_US, on_course, race_open
from edge.timing.model import EntrantInfo, EntrantResult, Status
from tests.unit.test_results_rules import GUN, MIN, WAVE_B, make_spec


def test_a_race_is_open_until_its_last_wave_cutoff() -> None:
    spec = make_spec()  # cutoff 2 h; wave B starts 10 min after wave A
    assert race_open(spec, GUN - MIN)  # before the gun too: nobody has finished yet
    assert race_open(spec, WAVE_B + 120 * MIN)
    assert not race_open(spec, WAVE_B + 120 * MIN + 1)


def test_without_a_cutoff_a_race_is_open_for_a_day_after_its_last_wave() -> None:
    spec = make_spec(cutoff_us=None)
    assert race_open(spec, WAVE_B + OPEN_WITHOUT_CUTOFF_US)
    assert not race_open(spec, WAVE_B + OPEN_WITHOUT_CUTOFF_US + 1)
    assert race_open(make_spec(cutoff_us=None, waves={}), 0)  # no wave: nothing says it is over


def test_only_a_computed_dnf_in_an_open_race_is_on_course() -> None:
    runner = EntrantResult(entrant=EntrantInfo(bib="7"), status=Status.DNF)
    given_up = dataclasses.replace(runner, entrant=EntrantInfo(bib="7", manual_status="DNF"))
    assert on_course(runner, still_open=True)
    assert not on_course(runner, still_open=False)
    assert not on_course(given_up, still_open=True)  # the operator said DNF
    for status in (Status.FIN, Status.DNS, Status.DSQ):
        assert not on_course(dataclasses.replace(runner, status=status), still_open=True)
