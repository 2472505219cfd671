"""A phased rollout over two boxes, each in its own network namespace, from a live central.

Central (in namespace hq) offers 0.1.1 to 50 % of the stable channel; each box runs 0.1.0
with its own opt folder and machine id, reaching central over its own veth link. The box
whose device id the rollout's hash selects updates by itself; the other keeps checking
and stays on 0.1.0 until the rollout is raised to 100 %, then updates too.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ota.offer import read_view
from ota.rollout import in_rollout
from ota.status import update_status
from tests.e2e.eventlab import processes
from tests.e2e.netns import network_lab, skip_unless_netns_possible
from tests.otabox import ReleaseStore, wait_for
from tests.otafleet import FleetBox, enroll, fleet_box, fleet_central, stop_fleet_box

pytestmark = pytest.mark.integration

VERSION = "0.1.1"
REDRAWS = 30
"""Enrollments of the second box until the hash puts it on the other side (2^-30 to fail)."""


def test_a_half_rollout_updates_the_boxes_its_hash_selects_and_raising_it_the_rest(
    ota_bundles: dict[str, Path], release_store: ReleaseStore, tmp_path: Path
) -> None:
    skip_unless_netns_possible()
    with (
        network_lab() as lab,
        processes() as run,
        fleet_central(lab, run, tmp_path / "central", [ota_bundles[VERSION]]) as central,
    ):
        rollout = ("rollout", "start", VERSION, "--channel", "stable", "--percent", "50")
        central.central.publisher(*rollout)
        boxes = [fleet_box(release_store, lab, central, tmp_path / f"box{n}") for n in (1, 2)]
        devices = [enroll(box, central) for box in boxes]
        for _ in range(REDRAWS):  # one box on each side of the hash, so both outcomes show
            if in_rollout(devices[0], VERSION, 50) != in_rollout(devices[1], VERSION, 50):
                break
            boxes[1].new_identity()  # another serial: central gives it another device id
            devices[1] = enroll(boxes[1], central)
        selected = [in_rollout(device, VERSION, 50) for device in devices]
        assert sorted(selected) == [False, True]
        assert devices[0] != devices[1]
        inside, outside = selected.index(True), selected.index(False)
        chosen, chosen_id = boxes[inside], devices[inside]
        left, left_id = boxes[outside], devices[outside]
        try:
            for box in boxes:
                box.start("0.1.0")
            wait_for(lambda: update_status(chosen.layout)["state"] == "healthy", "the chosen box")
            half = datetime.now().astimezone()
            assert chosen.healthz() == (200, VERSION)
            # The other box checked again after that, and was offered nothing.
            wait_for(lambda: checked_since(left, half), "a check by the box left out")
            assert update_status(left.layout)["offered"] is None
            assert (left.current(), left.healthz()) == ("0.1.0", (200, "0.1.0"))
            assert not list(left.paths.downloads_folder.glob("chronoedge-*"))
            wait_for(lambda: central.central.device(chosen_id).get("state") == "healthy", "central")
            assert central.central.device(left_id)["current"] == "0.1.0"
            first_attempt = chosen.attempt().request.id

            central.central.publisher("rollout", "raise", VERSION, "--channel", "stable",
                                      "--percent", "100")  # fmt: skip
            wait_for(lambda: update_status(left.layout)["state"] == "healthy", "the other box")
            for box, device in ((chosen, chosen_id), (left, left_id)):
                assert (box.current(), box.previous()) == (VERSION, "0.1.0")
                assert box.healthz() == (200, VERSION)
                record = central.central.device
                wait_for(lambda: record(device).get("state") == "healthy", f"{device} at central")  # noqa: B023
            assert chosen.attempt().request.id == first_attempt  # updated once, not twice
        finally:
            for box in boxes:
                stop_fleet_box(box)


def checked_since(box: FleetBox, moment: datetime) -> bool:
    """Whether the box's worker asked central's offer after ``moment``."""
    checked = read_view(box.layout.offer_file).checked_at
    return checked is not None and datetime.fromisoformat(checked) > moment
