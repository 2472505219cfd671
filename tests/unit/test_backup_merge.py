"""The backup line merged with the chip line: fill, confirm, review; a choice moves the chip's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.timing.backup import Known, Merged, Verdict, merge_backup
from edge.timing.corrections import Amendment, StoredPassing, amend_passings

S = 1_000_000
CHIP = Known("chip-7", "FINISH", "7", 3600 * S)


def test_no_stored_passing_the_backup_fills() -> None:
    assert merge_backup([("FINISH", "8", 3600 * S)], [CHIP]) == [Merged(Verdict.FILLS, None)]


def test_within_the_tolerance_the_backup_confirms() -> None:
    for gap in (0, S, -S, 400_000):
        verdict = merge_backup([("FINISH", "7", CHIP.time_us + gap)], [CHIP])
        assert verdict == [Merged(Verdict.CONFIRMS, CHIP)], gap


def test_beyond_the_tolerance_the_pair_goes_to_review() -> None:
    for gap in (S + 1, -3 * S, 299 * S):
        verdict = merge_backup([("FINISH", "7", CHIP.time_us + gap)], [CHIP])
        assert verdict == [Merged(Verdict.REVIEW, CHIP)], gap


def test_the_tolerance_and_the_window_are_chosen() -> None:
    backup = [("FINISH", "7", CHIP.time_us + 2 * S)]
    assert merge_backup(backup, [CHIP], tolerance_us=3 * S)[0].verdict is Verdict.CONFIRMS
    assert merge_backup(backup, [CHIP], window_us=S)[0].verdict is Verdict.FILLS


def test_another_point_or_another_bib_does_not_pair() -> None:
    others = [Known("k", "KM5", "7", CHIP.time_us), Known("b", "FINISH", "70", CHIP.time_us)]
    assert merge_backup([("FINISH", "7", CHIP.time_us)], others)[0].verdict is Verdict.FILLS


def test_the_nearest_stored_passing_is_the_pair() -> None:
    early = Known("early", "FINISH", "7", CHIP.time_us - 10 * S)
    verdict = merge_backup([("FINISH", "7", CHIP.time_us - 2 * S)], [early, CHIP])
    assert verdict == [Merged(Verdict.REVIEW, CHIP)]


def test_rows_of_one_file_never_pair_with_each_other() -> None:
    rows = [("FINISH", "8", 3600 * S), ("FINISH", "8", 3600 * S + S // 2)]
    assert [m.verdict for m in merge_backup(rows, [])] == [Verdict.FILLS, Verdict.FILLS]


@given(
    chips=st.lists(st.integers(0, 100_000), max_size=6),
    backups=st.lists(st.integers(0, 100_000), max_size=6),
)
def test_a_counting_backup_is_never_near_a_stored_passing(
    chips: list[int], backups: list[int]
) -> None:
    """Never counted twice: a backup passing counts only where no stored one is near."""
    known = [Known(f"c{i}", "FINISH", "7", t * 10_000) for i, t in enumerate(chips)]
    rows = [("FINISH", "7", t * 10_000) for t in backups]
    for (_, _, time_us), merged in zip(rows, merge_backup(rows, known), strict=True):
        near = [k for k in known if abs(k.time_us - time_us) <= 300 * S]
        assert (merged.verdict is Verdict.FILLS) == (not near)
        if merged.pair is not None:
            assert all(abs(merged.pair.time_us - time_us) <= abs(k.time_us - time_us) for k in near)


def _choice(status: str, time_us: int | None) -> Amendment:
    return Amendment(
        id="c1",
        kind="choose",
        passing_id="backup-7",  # never among the counting passings: the pair is followed
        target_point="FINISH",
        target_epc="E7",
        target_time_us=CHIP.time_us,
        time_us=time_us,
        bib="7",
        status=status,
    )


def test_choosing_the_backup_moves_the_chip_passing_to_its_time() -> None:
    stored = [StoredPassing("chip-7", "FINISH", None, "E7", CHIP.time_us)]
    amended = amend_passings(stored, [_choice("backup", CHIP.time_us + 3 * S)])
    assert amended == [StoredPassing("chip-7", "FINISH", None, "E7", CHIP.time_us + 3 * S)]


def test_choosing_the_chip_changes_nothing() -> None:
    stored = [StoredPassing("chip-7", "FINISH", None, "E7", CHIP.time_us)]
    assert amend_passings(stored, [_choice("chip", None)]) == stored
