"""status.yml over rootfs boxes: one table on the controller, a row per box, nothing changed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import InstalledBox
from tests.e2e.netns import network_lab
from tests.e2e.playbooks import ANSIBLE_DIR, chroot_host, run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs
from tests.e2e.units import box_cli

pytestmark = pytest.mark.e2e

EVENT_FILE = ANSIBLE_DIR / "events" / "spring-10k.yaml"
SLUG = "spring-10k-2026"


def table_lines(output: str) -> list[str]:
    """The table's lines as the debug task printed them (one JSON string each)."""
    printed = output.split("TASK [Print the table]", 1)[1].split("PLAY RECAP", 1)[0]
    return re.findall(r'^\s+"(.*)",?$', printed, re.MULTILINE)


def test_status_prints_one_row_per_box_with_its_version_role_and_lag(
    make_box: Callable[[str], Rootfs],
    make_rootfs: Callable[[str], Rootfs],
    installed_box: InstalledBox,
    tmp_path: Path,
) -> None:
    master, spare = make_box("master"), make_rootfs("spare")
    version = installed_box.version
    master.file("/var/lib/chronoedge/event.yaml").write_text(EVENT_FILE.read_text())
    box_cli(master, "event", "load", "/var/lib/chronoedge/event.yaml")
    box_cli(master, "role", "set", "master", "--event", SLUG, "--point", "FINISH")
    box_cli(
        master,
        *("passings", "add", "--event", SLUG, "--point", "FINISH"),
        *("--bib", "7", "--time", "2026-04-12T10:10:00+02:00"),
    )
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {"boxes": {"box01": chroot_host(master.path), "box09": chroot_host(spare.path)}},
    )
    with network_lab() as lab:
        run = run_playbook("status.yml", inventory, netns=lab.host("ctl").name)
    assert {host: counts["changed"] for host, counts in run.recap().items()} == {
        "box01": 0,
        "box09": 0,
    }
    header, *rows = table_lines(run.output)
    assert header.split() == [
        "BOX",
        "RELEASE",
        "VERSION",
        "ROLE",
        "EVENT",
        "POINT",
        "SYNC",
        "TUNNEL",
    ]
    assert len(rows) == 2
    box01 = next(row for row in rows if row.startswith("box01"))
    assert box01.split()[:6] == [
        "box01",
        version,
        version,
        "master",
        SLUG,
        "FINISH",
    ]
    assert "to central: " in box01
    assert "not-enrolled" in box01
    assert header.index("ROLE") == box01.index("master")  # the columns line up
    box09 = next(row for row in rows if row.startswith("box09"))
    assert "no release installed" in box09
