"""A box's worker updates itself from a live central: offer, TUF download, gates, installer.

Central publishes 0.1.1 (a real bundle of this checkout) in a rollout at 100 %; the
box runs 0.1.0 with its units (web, worker, and a reader streaming from the LLRP
emulator in the race test) started by the systemctl stand-in. Nothing is driven by
hand: the worker's ota.check, ota.download and ota.install do it, the installer is
started the way chronoedge-update.service would be, and central hears every report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.rfid.emulator import BackgroundEmulator, BurstScenario
from ota.status import update_status
from tests.integration.test_status_cli import event_file
from tests.otabox import OtaCentral, ReleaseStore, enrolled_box, ota_central, wait_for

pytestmark = pytest.mark.integration

READER_UNITS = ("chronoedge-web", "chronoedge-worker", "chronoedge-reader")
HELD_S = 8
"""Seconds the test watches the box hold the update while the race is live."""


@pytest.fixture
def central(
    ota_bundles: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OtaCentral]:
    """Central offering 0.1.1 to every box of the stable channel (one per test: the boxes
    share this machine's serial, so one central would see them as one device)."""
    folder = tmp_path_factory.mktemp("ota-central")
    with ota_central(folder, [ota_bundles["0.1.1"]]) as found:
        found.publisher("rollout", "start", "0.1.1", "--channel", "stable", "--percent", "100")
        yield found


def test_the_worker_downloads_installs_and_reports_by_itself(
    central: OtaCentral, release_store: ReleaseStore, tmp_path: Path
) -> None:
    box, device = enrolled_box(release_store, central, tmp_path / "box")
    try:
        started = time.monotonic()
        # The worker is killed (SIGKILL, by itself) half way through the download.
        box.start("0.1.0", {"CHRONO_OTA_FAILPOINT": "download"})
        part = box.paths.downloads_folder / "chronoedge-0.1.1-linux-x86_64-cp311.tar.part"
        wait_for(lambda: not box.unit_alive("chronoedge-worker"), "the worker's death")
        cut = part.stat().st_size
        assert 0 < cut < release_store.bundles["0.1.1"].stat().st_size
        box.write_units()  # the unit as on a box: no failpoint
        box.systemctl("start", "chronoedge-worker")  # systemd's Restart=always
        wait_for(lambda: update_status(box.layout)["state"] == "healthy", "the update")
        elapsed = time.monotonic() - started
        status = update_status(box.layout)
        assert (status["current"], status["previous"]) == ("0.1.1", "0.1.0")
        assert status["last_attempt"]["step"] == "healthy"
        assert box.healthz() == (200, "0.1.1")
        assert not part.exists()
        wait_for(lambda: central.device(device).get("state") == "healthy", "central's record")
        record = central.device(device)
        assert (record["current"], record["previous"]) == ("0.1.1", "0.1.0")
        download = status["download"]
        print(
            f"boot on 0.1.0 to healthy on 0.1.1: {elapsed:.1f} s (download of "
            f"{download['total'] / 1e6:.1f} MB cut at {cut / 1e6:.1f} MB by a kill -9, resumed)"
        )
    finally:
        box.stop()


def test_an_update_offered_during_a_live_race_waits_and_loses_no_read(
    central: OtaCentral, release_store: ReleaseStore, tmp_path: Path
) -> None:
    burst = BurstScenario(tags=20, start_s=0.5, duration_s=15.0, reads_per_s=60.0)
    with BackgroundEmulator(burst) as emulator:
        box, device = enrolled_box(
            release_store, central, tmp_path / "box", event="live-10k", units=READER_UNITS
        )
        try:
            # One race under way (started 10 min ago, one hour's cutoff): live.
            started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
            box.cli("event", "load", str(event_file(tmp_path / "live.json", "live-10k", started)))
            box.cli(
                "role", "set", "master", "--event", "live-10k", "--point", "FINISH",
                "--reader", f"127.0.0.1:{emulator.port}",
            )  # fmt: skip
            box.start("0.1.0")

            def deferred_for_the_race() -> bool:
                found = update_status(box.layout)
                return found["state"] == "deferred" and "is live" in (found["reason"] or "")

            wait_for(deferred_for_the_race, "the update deferred by the live race")
            wait_for(lambda: central.device(device).get("state") == "deferred", "the report")
            assert "race 10K of live-10k is live" in str(central.device(device)["reason"])
            # Nothing moves while the race is open: the worker tries the gates every second.
            for _ in range(HELD_S):
                assert box.current() == "0.1.0"
                assert box.healthz() == (200, "0.1.0")
                assert not box.installer_pids()
                time.sleep(1)
            wait_for(lambda: streamed(emulator), "the end of the reads")
            # The race closes: its start moved back, its cutoff is behind us.
            closes = datetime.now(UTC).replace(microsecond=0)
            earlier = closes.replace(microsecond=0) - timedelta(hours=1, seconds=1)
            box.cli("event", "load", str(event_file(tmp_path / "live.json", "live-10k", earlier)))
            wait_for(
                lambda: update_status(box.layout)["state"] == "healthy",
                "the install after the race",
            )
            attempt = box.attempt()
            assert datetime.fromisoformat(attempt.started_at) >= closes
            assert (box.current(), box.previous()) == ("0.1.1", "0.1.0")
            assert attempt.before == {"running": True, "connected": True}  # gated on the reader
            # Every read the emulator sent is stored once, and went to central before the update.
            reads = box.timing_data()
            keys = [line for line in reads if line.startswith('INSERT INTO "tag_read"')]
            assert emulator.stats.reports_sent > 0
            assert len(keys) == emulator.stats.reports_sent
            status = json.loads(box.cli("status", "--json"))
            assert status["sync"]["central"]["pending"] == 0
            # Central heard the wait (with its reason), then the install: no flapping between them.
            wait_for(lambda: central.device(device).get("state") == "healthy", "the report")
            states = central.reports(device)
            assert "downloaded" not in states[states.index("deferred") :], states
            assert states[-1] == "healthy", states
            print(
                f"race closed {closes:%H:%M:%S}, install started {attempt.started_at}, "
                f"{emulator.stats.reports_sent} reads stored"
            )
        finally:
            box.stop()


def streamed(emulator: BackgroundEmulator) -> bool:
    """Whether the emulator sent reads and no more in the last second."""
    sent = emulator.stats.reports_sent
    time.sleep(1)
    return sent > 0 and emulator.stats.reports_sent == sent
