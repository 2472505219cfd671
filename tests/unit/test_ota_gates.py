"""The gates an update passes, as pure functions of the box's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ota.errors import OtaError
from ota.gates import explain, parse_window, refusals

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIVE = {"event": "spring-10k", "race": "10K", "open_until": "2026-05-01T13:00:00+00:00"}


def status(role: str = "master", enrolled: bool = True, **pending: int) -> dict[str, Any]:
    sync = {t: {"pending": pending.get(t, 0)} for t in ("master", "central")}
    return {"role": role, "enrolled": enrolled, "sync": sync, "live_races": []}


def gates_of(found: list[Any]) -> list[str]:
    return [refusal.gate for refusal in found]


def test_a_quiet_box_may_update() -> None:
    assert refusals(status(), now=NOW) == []


def test_a_live_race_holds_the_update_and_says_which() -> None:
    found = refusals(status() | {"live_races": [LIVE]}, now=NOW)
    assert gates_of(found) == ["live"]
    assert explain(found) == "race 10K of spring-10k is live (open until 2026-05-01T13:00:00+00:00)"


def test_data_the_role_must_send_first_holds_the_update() -> None:
    assert gates_of(refusals(status("master", central=3), now=NOW)) == ["unsynced"]
    assert gates_of(refusals(status("slave", master=1), now=NOW)) == ["unsynced"]
    # A SLAVE's changes reach central through its MASTER; an unenrolled MASTER sends nothing.
    assert refusals(status("slave", central=9), now=NOW) == []
    assert refusals(status("master", enrolled=False, central=9), now=NOW) == []
    assert "reads or changes not yet sent to the central" in explain(
        refusals(status("master", central=3), now=NOW)
    )


def test_the_install_window_wraps_past_midnight() -> None:
    window = parse_window("22:00-06:00")
    assert window is not None
    local = datetime(2026, 5, 1, 23, 30).astimezone()
    assert refusals(status(), now=local, window=window) == []
    noon = datetime(2026, 5, 1, 12, 0).astimezone()
    assert gates_of(refusals(status(), now=noon, window=window)) == ["window"]
    assert parse_window("") is None
    with pytest.raises(OtaError, match="HH:MM-HH:MM"):
        parse_window("tonight")


def test_force_lifts_race_sync_and_window_but_not_a_deferral() -> None:
    busy = status("master", central=5) | {"live_races": [LIVE]}
    window = parse_window("01:00-02:00")
    assert len(refusals(busy, now=NOW, window=window)) == 3
    assert refusals(busy, now=NOW, window=window, forced=True) == []
    later = NOW + timedelta(hours=1)
    assert gates_of(refusals(busy, now=NOW, deferred_until=later, forced=True)) == ["deferred"]
    assert "deferred" not in gates_of(refusals(busy, now=later, deferred_until=later))
