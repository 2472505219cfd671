"""The clock state read from real chronyd daemons (``chronyd -x``: the host clock untouched).

A MASTER serving its own clock (``local stratum 10``) and a SLAVE following it over
loopback, as on the event LAN; then chronyd gone, and chronyc missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.clocks.alarms import ClockState, clock_alarms
from edge.clocks.chrony import read_chrony

pytestmark = pytest.mark.integration

NEEDS = "needs chrony (apt install chrony; CI installs it) and root for chronyd -x"


def _chrony_or_skip() -> None:
    if shutil.which("chronyd") is None or shutil.which("chronyc") is None or os.geteuid() != 0:
        pytest.skip(NEEDS)


class Chronyd:
    """One chronyd in a directory of its own, queried through its command socket."""

    def __init__(self, folder: Path, config: str) -> None:
        folder.mkdir(mode=0o700)  # chronyd refuses a socket in a folder others can write
        self.socket = str(folder / "chronyd.sock")
        self.pidfile = folder / "chronyd.pid"
        conf = folder / "chrony.conf"
        conf.write_text(
            f"cmdport 0\nbindcmdaddress {self.socket}\npidfile {self.pidfile}\n"
            f"driftfile {folder / 'drift'}\n{config}\n"
        )
        subprocess.run(["chronyd", "-x", "-u", "root", "-f", str(conf)], check=True)

    def stop(self) -> None:
        if self.pidfile.exists():
            pid = int(self.pidfile.read_text())
            os.kill(pid, 15)
            deadline = time.monotonic() + 5
            while self.pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.05)


@pytest.fixture
def event_lan(tmp_path: Path) -> Iterator[tuple[Chronyd, Chronyd]]:
    _chrony_or_skip()
    port = 11_000 + os.getpid() % 1000  # NTP port of this run's MASTER
    master = Chronyd(tmp_path / "master", f"port {port}\nlocal stratum 10\nallow 127.0.0.1")
    slave = Chronyd(
        tmp_path / "slave", f"port 0\nserver 127.0.0.1 port {port} iburst minpoll 0 maxpoll 1"
    )
    try:
        yield master, slave
    finally:
        slave.stop()
        master.stop()


def test_the_slave_follows_the_master_which_has_no_source(
    event_lan: tuple[Chronyd, Chronyd],
) -> None:
    master, slave = event_lan

    async def until_synchronised() -> ClockState:
        deadline = time.monotonic() + 30
        while True:
            state = ClockState(await read_chrony(host=slave.socket))
            if state.chrony.synchronised or time.monotonic() > deadline:
                return state
            await asyncio.sleep(0.5)

    slave_state = asyncio.run(until_synchronised())
    assert slave_state.chrony.synchronised, slave_state
    assert slave_state.chrony.tracking is not None
    assert slave_state.chrony.tracking.stratum == 11  # the MASTER's 10, plus one
    assert slave_state.chrony.source is not None
    assert slave_state.chrony.source.name == "127.0.0.1"
    assert clock_alarms(slave_state) == []

    master_state = ClockState(asyncio.run(read_chrony(host=master.socket)))
    assert master_state.chrony.tracking is not None
    assert master_state.chrony.tracking.local
    assert [a.code for a in clock_alarms(master_state)] == ["clock_unsynchronised"]


def test_chronyd_not_running_is_said_plainly(tmp_path: Path) -> None:
    _chrony_or_skip()
    state = asyncio.run(read_chrony(host=str(tmp_path / "nobody.sock")))
    assert not state.synchronised
    assert "chronyd is not running" in state.problem
    assert "systemctl start chrony" in state.problem


def test_chronyc_missing_is_said_plainly() -> None:
    state = asyncio.run(read_chrony(chronyc="chronyc-not-installed"))
    assert not state.synchronised
    assert "apt install chrony" in state.problem
