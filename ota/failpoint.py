"""Deterministic crash points for the fault tests: ``CHRONO_OTA_FAILPOINT=<name>``.

When the variable names a point the process reaches, the process SIGKILLs itself
there, as a power cut or ``kill -9`` would stop it: no cleanup, no ``finally``, no
flush. The points (docs/ota.md, "Faults"): ``download`` (half of a bundle downloaded),
``unpack`` (a release installed in its ``.partial`` folder, not renamed), ``migrate``
(the new release's migrations done, ``current`` not switched), ``switch`` (``current``
switched, the state file not yet saying so), ``restart`` (the units restarted on the
new release, its health gate not passed), ``rollback`` (``current`` switched back,
the units not restarted). Unset on a box.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "CHRONO_OTA_FAILPOINT"


def failpoint(name: str) -> None:
    """Kill this process at once (SIGKILL) if ``CHRONO_OTA_FAILPOINT`` names ``name``."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
