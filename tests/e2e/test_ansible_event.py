"""event.yml over two rootfs boxes: a MASTER and its SLAVE set up from the inventory.

Each box is one boxes.yml installed (the session's ``installed_box`` layer);
the play writes their reader.json through the boxes' own ``chrono-edge role set``, so
the test reads the result back the same way, as the units' user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.netns import network_lab
from tests.e2e.playbooks import ANSIBLE_DIR, chroot_host, run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs
from tests.e2e.units import box_cli

pytestmark = pytest.mark.e2e

EVENT_FILE = ANSIBLE_DIR / "events" / "spring-10k.yaml"
SLUG = "spring-10k-2026"
MASTER_ADDRESS = "10.77.5.1"


def role_of(box: Rootfs) -> dict[str, Any]:
    """The box's role as its processes see it (``chrono-edge role show``)."""
    shown = json.loads(box_cli(box, "role", "show"))
    assert isinstance(shown, dict)
    return shown


def boxes_inventory(path: Path, master: Rootfs, slave: Rootfs, slave_point: str) -> Path:
    """A MASTER at the finish, a SLAVE at ``slave_point``, a spare that must not be touched."""
    spare = path.parent / "spare-does-not-exist"  # any access to it would fail the play
    return write_inventory(
        path,
        {
            "boxes": {
                "finish": chroot_host(
                    master.path,
                    chronoedge_role="master",
                    chronoedge_point="FINISH",
                    chronoedge_reader="10.0.0.20:5085",
                    chronoedge_address=MASTER_ADDRESS,
                ),
                "start": chroot_host(
                    slave.path,
                    chronoedge_role="slave",
                    chronoedge_point=slave_point,
                    chronoedge_reader="10.0.0.21",
                ),
                "spare": chroot_host(spare),
            }
        },
    )


def test_event_sets_up_the_master_then_its_slave_and_keeps_unforwarded_reads(
    make_box: Callable[[str], Rootfs], tmp_path: Path
) -> None:
    master, slave = make_box("master"), make_box("slave")
    extra = {"chronoedge_event_file": str(EVENT_FILE)}
    inventory = tmp_path / "hosts.yml"
    with network_lab() as lab:
        netns = lab.host("ctl").name
        boxes_inventory(inventory, master, slave, "start")
        first = run_playbook("event.yml", inventory, extra_vars=extra, netns=netns)
        recap = first.recap()
        assert recap["finish"]["changed"] > 0
        assert recap["start"]["changed"] > 0
        assert recap["spare"]["changed"] == recap["spare"]["failed"] == 0

        on_master, on_slave = role_of(master), role_of(slave)
        assert (on_master["role"], on_master["event"], on_master["point"]) == (
            "master", SLUG, "FINISH",
        )  # fmt: skip
        assert (on_master["reader"]["host"], on_master["reader"]["port"]) == ("10.0.0.20", 5085)
        assert (on_slave["role"], on_slave["event"], on_slave["point"]) == ("slave", SLUG, "START")
        assert on_slave["master_url"] == f"http://{MASTER_ADDRESS}:80"
        assert (on_slave["reader"]["host"], on_slave["reader"]["port"]) == ("10.0.0.21", 5084)
        key = on_master["event_key"]
        assert key
        assert on_slave["event_key"] == key
        assert key not in first.output
        reader_json = slave.file("/etc/chronoedge/reader.json")
        assert reader_json.stat().st_mode & 0o777 == 0o600  # it holds the key

        again = run_playbook("event.yml", inventory, extra_vars=extra, netns=netns)
        assert {host: counts["changed"] for host, counts in again.recap().items()} == {
            "finish": 0, "start": 0, "spare": 0,
        }  # fmt: skip
        assert key not in again.output

        # The SLAVE timed a passing it has not forwarded yet; then it moves to KM5.
        box_cli(
            slave,
            *("passings", "add", "--event", SLUG, "--point", "START"),
            *("--bib", "42", "--time", "2026-04-12T09:31:07+02:00"),
        )
        pending = json.loads(box_cli(slave, "status", "--json"))["sync"]["master"]["pending"]
        assert pending >= 1
        boxes_inventory(inventory, master, slave, "km5")
        moved = run_playbook("event.yml", inventory, extra_vars=extra, netns=netns)
        assert moved.recap()["start"]["changed"] == 1
        assert moved.recap()["finish"]["changed"] == 0
        assert key not in moved.output
        assert role_of(slave)["point"] == "KM5"
        assert role_of(slave)["event_key"] == key
        after = json.loads(box_cli(slave, "status", "--json"))["sync"]["master"]
        assert after["pending"] == pending
        assert after["acked_seq"] == 0
        passings = box_cli(slave, "passings", "export", "--event", SLUG)
        assert "42" in passings
