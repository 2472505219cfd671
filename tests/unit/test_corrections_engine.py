"""The pure application of corrections to passings (edge/timing/corrections.py)."""

from __future__ import annotations

from edge.timing.corrections import (
    FOLLOW_US,
    Amendment,
    StoredPassing,
    amend_passings,
    amend_statuses,
)

A = StoredPassing("a", "FIN", None, "TAG1", 1_000_000_000)
B = StoredPassing("b", "FIN", "7", None, 1_000_500_000)


def _ignore(passing_id: str, **target: object) -> Amendment:
    return Amendment(id=f"x-{passing_id}", kind="ignore", passing_id=passing_id, **target)  # type: ignore[arg-type]


def test_move_ignore_and_add_in_order() -> None:
    moves = [
        Amendment("m1", "move", passing_id="a", time_us=5, point="KM5"),
        Amendment("m2", "move", passing_id="a", time_us=6),
        _ignore("b"),
        Amendment("n", "add", point="FIN", time_us=9, bib="3"),
    ]
    assert amend_passings([A, B], moves) == [
        StoredPassing("a", "KM5", None, "TAG1", 6),
        StoredPassing("n", "FIN", "3", None, 9),
    ]


def test_a_recomputed_passing_is_followed_by_tag_within_the_limit_only() -> None:
    rebuilt = StoredPassing("a2", "FIN", None, "TAG1", A.time_us + FOLLOW_US)
    far = StoredPassing("a3", "FIN", None, "TAG1", A.time_us + FOLLOW_US + 1)
    target = {"target_point": "FIN", "target_epc": "TAG1", "target_time_us": A.time_us}
    assert amend_passings([rebuilt, B], [_ignore("a", **target)]) == [B]
    assert amend_passings([far, B], [_ignore("a", **target)]) == [far, B]
    # Another tag at the same instant is never taken for it.
    other = StoredPassing("c", "FIN", None, "TAG2", A.time_us)
    assert amend_passings([other], [_ignore("a", **target)]) == [other]


def test_the_latest_status_correction_of_a_bib_wins_and_none_means_computed() -> None:
    statuses = amend_statuses(
        [
            Amendment("1", "status", bib="7", status="DSQ"),
            Amendment("2", "status", bib="8", status="DNF"),
            Amendment("3", "status", bib="7", status=None),
        ]
    )
    assert statuses == {"7": None, "8": "DNF"}
