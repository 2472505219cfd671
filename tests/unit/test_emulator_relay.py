"""The emulator's relay: handovers on one mat, leg after leg, one chip per runner."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from edge.rfid.emulator import RelayScenario, epc_for_bib, relay_bib
from edge.rfid.emulator.errors import InvalidScenario


def handovers(relay: RelayScenario) -> dict[int, list[tuple[int, int]]]:
    """Per team, its legs' (bib, offset) in the order they ended."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for crossing in relay.crossings():
        if crossing.label.startswith("leg "):
            team, leg = divmod(crossing.bib, 10)
            assert crossing.label == f"leg {leg}"
            found[team].append((crossing.bib, crossing.offset_us))
    return found


def test_bibs_are_team_times_ten_plus_leg() -> None:
    assert [relay_bib(4, leg) for leg in (1, 2, 3)] == [41, 42, 43]
    relay = RelayScenario(teams=12, legs=4)
    assert {c.bib for c in relay.crossings()} <= {
        relay_bib(t, k) for t in range(1, 13) for k in range(1, 5)
    }
    assert all(c.epc == epc_for_bib(c.bib) for c in relay.crossings())


def test_each_team_hands_over_leg_after_leg_and_dropouts_stop_the_team() -> None:
    relay = RelayScenario(teams=40, legs=3, leg_time_s=600, start_s=3, dropout_share=0.1)
    teams = handovers(relay)
    complete = 0
    for team, legs in teams.items():
        assert [bib for bib, _ in legs] == [relay_bib(team, k) for k in range(1, len(legs) + 1)]
        offsets = [3_000_000] + [offset for _, offset in legs]
        assert all(400e6 < b - a < 900e6 for a, b in itertools.pairwise(offsets))
        complete += len(legs) == 3
    assert 30 <= complete <= 39  # 10 % of teams lose a runner, give or take chance
    assert len(teams) >= complete


def test_a_waiting_runner_is_read_entering_the_zone_before_their_leg_begins() -> None:
    relay = RelayScenario(teams=40, legs=3, zone_share=0.5, dropout_share=0)
    ended = {c.label + f"/{c.bib // 10}": c.offset_us for c in relay.crossings()}
    zones = [c for c in relay.crossings() if c.label.startswith("zone")]
    assert 25 <= len(zones) <= 55  # half of 80 handovers
    for crossing in zones:
        team, leg = divmod(crossing.bib, 10)
        assert crossing.label == f"zone before leg {leg}"
        assert leg >= 2
        leg_began = ended[f"leg {leg - 1}/{team}"]
        assert 20e6 <= leg_began - crossing.offset_us <= 90e6


def test_same_seed_same_relay() -> None:
    assert RelayScenario(teams=5).crossings() == RelayScenario(teams=5).crossings()
    assert RelayScenario(teams=5).crossings() != RelayScenario(teams=5, seed=1).crossings()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"legs": 0}, "1 to 9 legs"),
        ({"legs": 10}, "1 to 9 legs"),
        ({"leg_time_s": 0}, "leg time must be positive"),
        ({"zone_share": 2}, "between 0 and 1"),
        ({"zone_s": (0, 10)}, "positive time before the handover"),
    ],
)
def test_inconsistent_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidScenario, match=message):
        RelayScenario(**settings)  # type: ignore[arg-type]
