"""What systemd does for a box's units, for processes inside namespaces: restart them.

Every process of the rig is started here with its argv, environment and log file.
``kill`` is a ``kill -9`` the rig inflicts (the process is restarted after a pause, like
``Restart=always``); a process that exits by itself is a crash: it is restarted too,
and counted. Crash-looping is what the campaign refuses at the end.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.netns import Namespace

RESTART_AFTER_S = 1.0  # systemd's RestartSec on a box is about this
CRASH_LOOP = 5  # exits by itself: this many in a row without a minute of life is a loop


@dataclass
class Unit:
    """One long-running process: how to start it, the one running, what happened to it."""

    host: Namespace
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    down_until: float = 0.0  # restart no sooner (a power cut holds its box down)
    stopped: bool = False  # stopped on purpose: never restarted
    kills: int = 0
    crashes: list[tuple[float, int]] = field(default_factory=list)  # (when, exit code)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.host.argv(*self.argv), env=self.env, cwd=self.log.parent,
                stdout=out, stderr=out,
            )  # fmt: skip
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def crash_looping(self) -> bool:
        """Whether its last exits came one after the other without a minute of life between."""
        recent = [at for at, _ in self.crashes if at > time.monotonic() - 60 * CRASH_LOOP]
        return len(recent) >= CRASH_LOOP


class Supervisor:
    """Units started, watched every 0.2 s in a thread, restarted when they die."""

    def __init__(self) -> None:
        self.units: dict[str, Unit] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="chaos-supervisor", daemon=True)
        self._thread.start()

    def start(
        self, host: Namespace, name: str, argv: list[str], env: dict[str, str], log: Path
    ) -> Unit:
        """Start ``argv`` in ``host`` as unit ``name`` (its output appended to ``log``)."""
        unit = Unit(host, name, argv, env, log)
        with self._lock:
            self.units[name] = unit
            unit.start()
        return unit

    def kill(self, names: list[str], down_s: float = RESTART_AFTER_S) -> None:
        """``kill -9`` these units at once; each comes back after ``down_s``."""
        with self._lock:
            units = [self.units[name] for name in names]
            for unit in units:
                if unit.process is not None and unit.alive():
                    unit.process.kill()
                unit.kills += 1
                # A power cut holds the box down longer than a kill inside it would.
                unit.down_until = max(unit.down_until, time.monotonic() + down_s)
            for unit in units:
                if unit.process is not None:
                    unit.process.wait()

    def stop(self, name: str, timeout_s: float = 20.0) -> None:
        """SIGTERM ``name`` (as systemctl stop) and wait; it is not restarted afterwards."""
        with self._lock:
            unit = self.units[name]
            unit.stopped = True
        if unit.process is None or not unit.alive():
            return
        unit.process.terminate()
        try:
            unit.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            unit.process.kill()
            unit.process.wait()

    def close(self) -> None:
        """Stop watching; stop every unit, the last started first."""
        self._stop.set()
        self._thread.join()
        for name in reversed(list(self.units)):
            self.stop(name)

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                for unit in self.units.values():
                    self._tend(unit)

    def _tend(self, unit: Unit) -> None:
        if unit.stopped or unit.process is None:
            return
        code = unit.process.poll()
        if code is None:
            return
        now = time.monotonic()
        if unit.down_until == 0.0:  # nobody killed it: it exited by itself
            unit.crashes.append((now, code))
            unit.down_until = now + RESTART_AFTER_S
        if now >= unit.down_until:
            unit.down_until = 0.0
            unit.start()
