"""What the worker does with an offer: never back to an older release, no retry of a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from ota.errors import UpdateRefused
from ota.offer import Download, Offer
from ota.operator import Force
from ota.policy import next_move
from ota.state import Attempt, Request, Step

OFFER = Offer("0.2.0", "chronoedge-0.2.0-linux-x86_64-cp311.tar", "stable", "0.2.0@stable", 10)


def attempt(step: Step, version: str = "0.2.0") -> Attempt:
    request = Request("r1", version, "/x.tar", "linux-x86_64-cp311")
    return Attempt(request, step, "0.1.0", None, "2026-05-01T10:00:00+00:00", error="boom")


def test_nothing_offered_or_already_running_is_idle_or_healthy() -> None:
    assert next_move(None, "0.1.0", None, None).action == "none"
    assert next_move(OFFER, "0.2.0", None, None).state == "healthy"


def test_an_older_offer_is_refused_as_a_rollback() -> None:
    move = next_move(OFFER, "0.3.0", None, None)
    assert (move.action, move.state) == ("none", "refused")
    assert "older than 0.3.0" in (move.reason or "")
    with pytest.raises(UpdateRefused):
        next_move(Offer("not a version", "x", "stable"), "0.1.0", None, None)


def test_a_newer_offer_is_downloaded_then_installed(tmp_path: Path) -> None:
    assert next_move(OFFER, "0.1.0", None, None).action == "download"
    bundle = tmp_path / OFFER.target_name
    verified = Download("0.2.0", OFFER.target_name, str(bundle), 10, 10, "ab", True)
    assert next_move(OFFER, "0.1.0", None, verified).action == "download"  # file gone
    bundle.write_bytes(b"x")
    assert next_move(OFFER, "0.1.0", None, verified).action == "install"


def test_a_release_that_failed_here_is_not_retried_unless_forced() -> None:
    for step in (Step.ROLLED_BACK, Step.REFUSED, Step.FAILED):
        move = next_move(OFFER, "0.1.0", attempt(step), None)
        assert move.action == "none", step
        assert "not retried unless forced" in (move.reason or "")
    force = Force("0.2.0", "the start clock fix", "2026-05-01T11:00:00+00:00")
    assert next_move(OFFER, "0.1.0", attempt(Step.ROLLED_BACK), None, force).action == "download"
    # An install in progress is left to the installer; a deferral is asked again.
    assert next_move(OFFER, "0.1.0", attempt(Step.GATE), None).state == "installed"
    assert next_move(OFFER, "0.1.0", attempt(Step.DEFERRED), None).action == "download"


def test_a_request_the_installer_has_not_taken_yet_is_an_install_under_way(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "b.tar"
    bundle.write_bytes(b"x")
    verified = Download("0.2.0", "x", str(bundle), 1, 1, verified=True)
    asked = Request("r2", "0.2.0", str(bundle), "linux-x86_64-cp311")
    # Between the worker's request and state.json naming it, nothing says "downloaded".
    move = next_move(OFFER, "0.1.0", None, verified, requested=asked)
    assert (move.action, move.state) == ("none", "installing")
    move = next_move(OFFER, "0.1.0", attempt(Step.DEFERRED), verified, requested=asked)
    assert (move.action, move.state) == ("none", "installing")
    # Once the installer took it, state.json speaks (a leftover request file is ignored).
    taken = attempt(Step.GATE)
    assert next_move(OFFER, "0.1.0", taken, verified, requested=taken.request).state == "installed"
