"""Real chronyd daemons for clock tests (``chronyd -x``: the host's clock is never touched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NEEDS = "needs chrony (apt install chrony; CI installs it) and root for chronyd -x"


def chrony_or_skip() -> None:
    """Skip (or fail where Debian packages are required) without chronyd or root."""
    if shutil.which("chronyd") is None or shutil.which("chronyc") is None or os.geteuid() != 0:
        if os.environ.get("CHRONO_REQUIRE_ROOTFS"):
            pytest.fail(NEEDS)
        pytest.skip(NEEDS)


class Chronyd:
    """One chronyd in a folder of its own, asked through its command socket."""

    def __init__(self, folder: Path, config: str) -> None:
        folder.mkdir(mode=0o700, parents=True)  # chronyd refuses a socket others can reach
        self.socket = str(folder / "chronyd.sock")
        self.pidfile = folder / "chronyd.pid"
        conf = folder / "chrony.conf"
        conf.write_text(
            f"cmdport 0\nbindcmdaddress {self.socket}\npidfile {self.pidfile}\n"
            f"driftfile {folder / 'drift'}\n{config}\n"
        )
        subprocess.run(["chronyd", "-x", "-u", "root", "-f", str(conf)], check=True)

    def stop(self) -> None:
        """SIGTERM the daemon and wait until it removed its pid file."""
        if self.pidfile.exists():
            os.kill(int(self.pidfile.read_text()), 15)
            deadline = time.monotonic() + 5
            while self.pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.05)


def ntp_port() -> int:
    """An NTP port for this run's MASTER chronyd (several runs may share the host)."""
    return 11_000 + os.getpid() % 1000


@contextmanager
def master_chronyd(folder: Path, port: int) -> Iterator[Chronyd]:
    """A MASTER's chronyd without network: it serves its own clock (``local stratum 10``)."""
    chrony_or_skip()
    daemon = Chronyd(folder, f"port {port}\nlocal stratum 10\nallow 127.0.0.1")
    try:
        yield daemon
    finally:
        daemon.stop()


@contextmanager
def slave_chronyd(folder: Path, master_port: int) -> Iterator[Chronyd]:
    """A SLAVE's chronyd following the MASTER's over loopback, as on the event LAN."""
    chrony_or_skip()
    daemon = Chronyd(
        folder, f"port 0\nserver 127.0.0.1 port {master_port} iburst minpoll 0 maxpoll 1"
    )
    try:
        yield daemon
    finally:
        daemon.stop()
