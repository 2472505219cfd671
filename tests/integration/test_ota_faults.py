"""kill -9 of the installer, and of the whole box (a power cut), at every step of an install.

The installer kills itself at a named step (``CHRONO_OTA_FAILPOINT``, ota/failpoint.py).
Then, as on a box: systemd starts the killed installer again (Restart=on-failure), or
the box boots (its units start from ``current``, and chronoedge-update.service runs at
boot). Either way the box ends on the old or the new release, healthy, never a broken
one, and the attempt reaches a final state by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ota.state import Step
from tests.otabox import ReleaseStore, running_box

pytestmark = pytest.mark.integration

# failpoint -> (release asked for, releases installed beforehand, how it ends, running after)
FAULTS = {
    "unpack": ("0.1.1", ("0.1.0",), Step.HEALTHY, "0.1.1"),
    "migrate": ("0.1.1", ("0.1.0", "0.1.1"), Step.HEALTHY, "0.1.1"),
    "switch": ("0.1.1", ("0.1.0", "0.1.1"), Step.HEALTHY, "0.1.1"),
    "restart": ("0.1.1", ("0.1.0", "0.1.1"), Step.ROLLED_BACK, "0.1.0"),
    "rollback": ("0.1.2", ("0.1.0", "0.1.2"), Step.ROLLED_BACK, "0.1.0"),
}
CASES = [
    ("unpack", "power cut"),  # the slow one (an offline install twice): once
    ("migrate", "installer"),
    ("switch", "installer"),
    ("switch", "power cut"),
    ("restart", "installer"),
    ("restart", "power cut"),
    ("rollback", "installer"),
    ("rollback", "power cut"),
]


@pytest.mark.parametrize(("failpoint", "killed"), CASES)
def test_a_killed_install_ends_on_a_healthy_release_by_itself(
    failpoint: str, killed: str, release_store: ReleaseStore, tmp_path: Path
) -> None:
    version, installed, final, running = FAULTS[failpoint]
    release_store.reset(installed, current="0.1.0")
    with running_box(release_store, tmp_path / "box") as box:
        box.start("0.1.0")
        box.cli("event", "load", str(Path(__file__).parents[1] / "fixtures/events/spring-10k.yaml"))
        before = box.timing_data()
        box.request(version)
        done = box.apply(failpoint)
        assert done.returncode == -9, done.stdout + done.stderr  # SIGKILL at the failpoint
        assert box.attempt().step.final is False
        if killed == "power cut":
            box.power_cut()
            box.start()  # boot: the units start from whatever current names
        resumed = box.apply()  # systemd starting it again, or the unit at boot
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        attempt = box.attempt()
        assert attempt.step is final, (attempt.step, attempt.error)
        assert box.current() == running
        assert box.healthz() == (200, running)
        assert box.timing_data() == before  # the database is never rolled back, nor lost
        assert not list((box.store.opt / "releases").glob("*.partial"))
        assert not box.installer_pids()
