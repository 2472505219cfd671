"""The clock state read from real chronyd daemons (``chronyd -x``: the host clock untouched).

A MASTER serving its own clock (``local stratum 10``) and a SLAVE following it over
loopback, as on the event LAN; then chronyd gone, and chronyc missing.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from edge.clocks.alarms import ClockState, clock_alarms
from edge.clocks.chrony import read_chrony
from tests.chronyd import chrony_or_skip, master_chronyd, ntp_port, slave_chronyd

pytestmark = pytest.mark.integration


async def until_synchronised(socket: str, timeout_s: float = 30) -> ClockState:
    """The state chronyd at ``socket`` reports once synchronised (or after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = ClockState(await read_chrony(host=socket))
        if state.chrony.synchronised or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.5)


def test_the_slave_follows_the_master_which_has_no_source(tmp_path: Path) -> None:
    port = ntp_port()
    with (
        master_chronyd(tmp_path / "master", port) as master,
        slave_chronyd(tmp_path / "slave", port) as slave,
    ):
        slave_state = asyncio.run(until_synchronised(slave.socket))
        master_state = ClockState(asyncio.run(read_chrony(host=master.socket)))
    assert slave_state.chrony.synchronised, slave_state
    assert slave_state.chrony.tracking is not None
    assert slave_state.chrony.tracking.stratum == 11  # the MASTER's 10, plus one
    assert slave_state.chrony.source is not None
    assert slave_state.chrony.source.name == "127.0.0.1"
    assert clock_alarms(slave_state) == []

    assert master_state.chrony.tracking is not None
    assert master_state.chrony.tracking.local
    assert [a.code for a in clock_alarms(master_state)] == ["clock_unsynchronised"]


def test_chronyd_not_running_is_said_plainly(tmp_path: Path) -> None:
    chrony_or_skip()
    state = asyncio.run(read_chrony(host=str(tmp_path / "nobody.sock")))
    assert not state.synchronised
    assert "chronyd is not running" in state.problem
    assert "systemctl start chrony" in state.problem


def test_chronyc_missing_is_said_plainly() -> None:
    state = asyncio.run(read_chrony(chronyc="chronyc-not-installed"))
    assert not state.synchronised
    assert "apt install chrony" in state.problem
