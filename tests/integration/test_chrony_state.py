"""The clock state read from real chronyd daemons (``chronyd -x``: the host clock untouched).

A MASTER serving its own clock (``local stratum 10``) and a SLAVE following it over
loopback, as on the event LAN; the role's source written for chronyd; then chronyd gone,
and chronyc missing.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from edge.clocks.alarms import ClockState, clock_alarms
from edge.clocks.chrony import read_chrony
from edge.clocks.errors import ClockError
from edge.clocks.eventlan import SOURCES_FILE, apply_event_lan
from edge.roleconfig import Role, RoleConfig
from edge.services import clocks as clock_service
from edge.services.clocks import ClockService
from edge.store.database import Database
from tests.chronyd import Chronyd, chrony_or_skip, master_chronyd, ntp_port, slave_chronyd

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


def test_the_role_chosen_on_setup_sets_chronys_event_lan_source(tmp_path: Path) -> None:
    """A SLAVE's worker writes its MASTER as chrony's source and chronyd takes it at once;
    the same box turned MASTER has none (the file removed, chronyd told again)."""
    chrony_or_skip()
    sources = tmp_path / "sources"
    sources.mkdir(mode=0o755)
    daemon = Chronyd(tmp_path / "box", f"port 0\nlocal stratum 10\nsourcedir {sources}")
    try:
        slave = RoleConfig(
            role="slave", event="spring-10k-2026", point="KM5",
            master_url="http://127.0.0.1:8000", event_key="k",
        )  # fmt: skip
        applied = apply_event_lan(slave, sources, socket=daemon.socket)
        assert applied.changed
        assert "server 127.0.0.1 iburst prefer" in (sources / SOURCES_FILE).read_text()
        assert (sources / SOURCES_FILE).stat().st_mode & 0o777 == 0o644  # chronyd's user reads it
        state = asyncio.run(read_chrony(host=daemon.socket))
        assert [s.name for s in state.sources] == ["127.0.0.1"]
        assert not apply_event_lan(slave, sources, socket=daemon.socket).changed  # idempotent

        master = slave.model_copy(update={"role": Role.MASTER, "master_url": None})
        assert apply_event_lan(master, sources, socket=daemon.socket).changed
        assert not (sources / SOURCES_FILE).exists()
        assert asyncio.run(read_chrony(host=daemon.socket)).sources == ()
    finally:
        daemon.stop()


def test_a_refused_reload_says_why(tmp_path: Path) -> None:
    chrony_or_skip()
    slave = RoleConfig(
        role="slave", event="e", point="KM5", master_url="http://10.1.2.3", event_key="k"
    )
    with pytest.raises(ClockError, match="chronyc reload sources failed"):
        apply_event_lan(slave, tmp_path, socket=str(tmp_path / "no-chronyd.sock"))


async def test_consoles_polling_share_one_answer_of_chronyd_for_a_moment(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every console asks for the alarms every 3 s: chronyc runs once for all of them."""
    clocks = ClockService(database, chrony_socket="")
    monkeypatch.setattr(clock_service, "CHRONY_FRESH_S", 3600.0)  # no race with a slow host
    with master_chronyd(tmp_path / "master", ntp_port()) as master:
        clocks.chrony_socket = master.socket
        first = await clocks.state("finish-box")
        assert first.chrony.tracking is not None
        assert first.chrony.tracking.local
    # chronyd is gone now; the answer of a moment ago is still the one given...
    assert (await clocks.state("finish-box")).chrony is first.chrony
    # ...until it is stale: then chronyd is asked again, and its absence is said.
    monkeypatch.setattr(clock_service, "CHRONY_FRESH_S", 0.0)
    later = await clocks.state("finish-box")
    assert later.chrony.tracking is None
    assert later.chrony.problem is not None
    assert "not running" in str(later.chrony.problem)
