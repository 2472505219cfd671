"""Rollouts: the hash selection only grows with the percentage; start/raise/pause/abort rules."""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ota.errors import RolloutRefused
from ota.repository import init_repository, publish
from ota.rollout import (
    ABORTED,
    ACTIVE,
    DONE,
    PAUSED,
    Rollout,
    change_rollout,
    in_rollout,
    load_rollouts,
    move,
    offer,
    raise_to,
    start,
)
from tests.otabundles import release_bundle

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DEVICES = [f"box-{n:04d}" for n in range(1000)]


def selected(version: str, percent: int) -> set[str]:
    return {d for d in DEVICES if in_rollout(d, version, percent)}


def test_half_of_a_thousand_boxes_are_selected_at_fifty_percent() -> None:
    assert 450 <= len(selected("0.2.0", 50)) <= 550
    assert selected("0.2.0", 0) == set()
    assert selected("0.2.0", 100) == set(DEVICES)


def test_each_version_picks_its_own_first_boxes() -> None:
    assert selected("0.2.0", 10) != selected("0.3.0", 10)


@given(st.text(min_size=1, max_size=40), st.integers(0, 100), st.integers(0, 100))
def test_raising_the_percentage_never_removes_a_box(device: str, low: int, high: int) -> None:
    low, high = sorted((low, high))
    assert not in_rollout(device, "0.2.0", low) or in_rollout(device, "0.2.0", high)


def test_selection_is_the_contracts_formula() -> None:
    # sha256("0.2.0:box-0000")[:8] as an integer, times 100, against percent * 2**64.
    value = int.from_bytes(sha256(b"0.2.0:box-0000").digest()[:8], "big")
    threshold = value * 100 / 2**64
    assert not in_rollout("box-0000", "0.2.0", int(threshold))
    assert in_rollout("box-0000", "0.2.0", int(threshold) + 1)


def started(percent: int = 10, version: str = "0.2.0") -> list[Rollout]:
    rollouts: list[Rollout] = []
    start(rollouts, version, "stable", percent, {version}, NOW)
    return rollouts


def refusal(action, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(RolloutRefused) as caught:
        action(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_start_refuses_an_unpublished_version() -> None:
    message = refusal(start, [], "0.2.0", "stable", 10, {"0.1.0"}, NOW)
    assert message == (
        "0.2.0 is not published in stable: chrono-ota publish BUNDLE --channel stable first"
    )


def test_one_open_rollout_per_channel() -> None:
    rollouts = started()
    message = refusal(start, rollouts, "0.3.0", "stable", 10, {"0.3.0"}, NOW)
    assert message == "rollout 0.2.0@stable is active: abort it or raise it to 100 % first"
    move(rollouts, "0.2.0", "stable", "pause", NOW)
    assert "is paused" in refusal(start, rollouts, "0.3.0", "stable", 10, {"0.3.0"}, NOW)
    move(rollouts, "0.2.0", "stable", "abort", NOW)
    start(rollouts, "0.3.0", "stable", 10, {"0.3.0"}, NOW)
    assert [r.state for r in rollouts] == [ABORTED, ACTIVE]


def test_raise_only_increases_and_a_full_rollout_is_done() -> None:
    rollouts = started(10)
    assert "raise only increases" in refusal(raise_to, rollouts, "0.2.0", "stable", 10, NOW)
    assert "raise only increases" in refusal(raise_to, rollouts, "0.2.0", "stable", 5, NOW)
    raise_to(rollouts, "0.2.0", "stable", 50, NOW)
    assert rollouts[0].state == ACTIVE
    raise_to(rollouts, "0.2.0", "stable", 100, NOW)
    assert (rollouts[0].state, rollouts[0].percent) == (DONE, 100)
    assert [h["action"] for h in rollouts[0].history] == ["start", "raise", "raise"]
    message = refusal(raise_to, rollouts, "0.2.0", "stable", 100, NOW)
    assert message == "no active or paused rollout of 0.2.0 in stable"


def test_start_refuses_a_version_not_newer_than_the_finished_one() -> None:
    rollouts = started(100, "0.3.0")
    message = refusal(start, rollouts, "0.2.0", "stable", 10, {"0.2.0", "0.3.0"}, NOW)
    assert message == "0.2.0 is not newer than 0.3.0, which stable already runs"
    assert "not newer" in refusal(start, rollouts, "0.3.0", "stable", 10, {"0.3.0"}, NOW)
    start(rollouts, "0.10.0", "stable", 10, {"0.10.0"}, NOW)  # versions compare as versions


def test_pause_resume_abort_follow_the_state() -> None:
    rollouts = started()
    assert "is active, it cannot resume" in refusal(
        move, rollouts, "0.2.0", "stable", "resume", NOW
    )
    move(rollouts, "0.2.0", "stable", "pause", NOW)
    assert rollouts[0].state == PAUSED
    assert "is paused, it cannot pause" in refusal(move, rollouts, "0.2.0", "stable", "pause", NOW)
    move(rollouts, "0.2.0", "stable", "resume", NOW)
    move(rollouts, "0.2.0", "stable", "abort", NOW)
    assert rollouts[0].state == ABORTED
    message = refusal(move, rollouts, "0.2.0", "stable", "resume", NOW)
    assert message == "no active or paused rollout of 0.2.0 in stable"
    other = started(10, "0.3.0")
    message = refusal(move, other, "0.2.0", "stable", "pause", NOW)
    assert message == "no active or paused rollout of 0.2.0 in stable; the open one is 0.3.0@stable"


def test_the_offer_follows_selection_pause_and_the_finished_release() -> None:
    rollouts = started(100, "0.2.0")
    start(rollouts, "0.3.0", "stable", 50, {"0.3.0"}, NOW)
    chosen = selected("0.3.0", 50)
    inside, outside = sorted(chosen)[0], sorted(set(DEVICES) - chosen)[0]
    assert offer(rollouts, inside) is rollouts[1]
    assert offer(rollouts, outside) is rollouts[0]  # everyone runs the finished 0.2.0
    move(rollouts, "0.3.0", "stable", "pause", NOW)
    assert offer(rollouts, inside) is rollouts[0]
    assert offer([], inside) is None


def test_rollouts_json_records_every_change(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    init_repository(repo)
    publish(repo, release_bundle(tmp_path / "build", "0.2.0"), "stable")
    change_rollout(repo, "stable", "start", "0.2.0", 10, now=NOW)
    change_rollout(repo, "stable", "raise", "0.2.0", 40, now=NOW)
    assert "--percent must be 0 to 100, got 120" in refusal(
        change_rollout, repo, "stable", "raise", "0.2.0", 120
    )
    (rollout,) = load_rollouts(repo, "stable")
    assert (rollout.version, rollout.percent, rollout.state) == ("0.2.0", 40, ACTIVE)
    assert rollout.started_at == "2025-06-01T12:00:00+00:00"
    assert load_rollouts(repo, "beta") == []
    assert "not published in beta" in refusal(change_rollout, repo, "beta", "start", "0.2.0", 10)
