"""The system commands first boot runs, through one small object tests can replace."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

TIMEOUT_S = 300.0  # resize2fs on a large, fresh card takes seconds; a hung tool must not


@dataclass(frozen=True)
class Outcome:
    """What one command did: its exit code and what it printed."""

    argv: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr together, stripped

    @property
    def ok(self) -> bool:
        """Whether the command exited 0."""
        return self.returncode == 0


class CommandRunner:
    """Runs commands for real (growpart, resize2fs, ssh-keygen, blkid, ...)."""

    def available(self, name: str) -> bool:
        """Whether the command ``name`` is installed."""
        return shutil.which(name) is not None

    def run(self, argv: Sequence[str]) -> Outcome:
        """Run ``argv`` to completion; a missing or hung command is an outcome, not a crash."""
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            return Outcome(tuple(argv), 127, f"{argv[0]}: command not found")
        except subprocess.TimeoutExpired:
            return Outcome(tuple(argv), 124, f"{argv[0]}: no answer after {TIMEOUT_S:.0f} s")
        output = "\n".join(part.strip() for part in (done.stdout, done.stderr) if part.strip())
        return Outcome(tuple(argv), done.returncode, output)
