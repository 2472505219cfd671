"""The SD-card image's recipe, fast: the host's architecture, a directory rootfs, no kernel.

The same ``image.recipe.prepare`` that ``make image`` runs for arm64 turns an overlay of
the session's installed box (the e2e base, which holds the image's packages, plus the
layer boxes.yml left) into the card's root and data trees; then,
inside that root: every unit enabled and accepted by systemd, ``chrono-edge --version``,
first boot against a fake boot partition (good and bad chronoedge.txt), and serve
answering /healthz in the rootfs's own network namespace.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from image.base import Flavour, host_arch
from image.recipe import DATA_BINDS, Trees, prepare
from tests.e2e.conftest import InstalledBox
from tests.e2e.netns import network_lab, skip_unless_netns_possible
from tests.e2e.rootfs import Rootfs, skip_unless_possible, writable_rootfs
from tests.e2e.units import assert_enabled, assert_verified, install_standin, unit_log

pytestmark = pytest.mark.e2e

TARGET = "linux-x86_64-cp311"
CLI = "/opt/chronoedge/current/bin/chrono-edge"
APP_UNITS = ("chronoedge-web", "chronoedge-reader", "chronoedge-worker", "chronoedge-panel")
IMAGE_UNITS = ("chronoedge-firstboot", "chronoedge-enroll-pending")


class Card:
    """One prepared card: its root (a mounted overlay), data and boot trees."""

    def __init__(self, rootfs: Rootfs, trees: Trees, version: str, epoch: int) -> None:
        self.rootfs = rootfs
        self.trees = trees
        self.version = version
        self.epoch = epoch


@pytest.fixture(scope="module")
def card(
    rootfs_base: Path,
    installed_box: InstalledBox,
    host_bundle: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Card]:
    """The recipe applied once to the session's installed box (its base holds the image's
    packages, tests/e2e/rootfs.PACKAGES): the role finds its release installed, so the
    slow offline pip install is not done twice, and every step of ``prepare`` still runs."""
    skip_unless_possible()
    flavour = Flavour(host_arch(), kernel=False)
    work = tmp_path_factory.mktemp("card")
    version = installed_box.version
    # SOURCE_DATE_EPOCH just after the base and the installed layer were made: the clamp
    # then has the recipe's own writes to fix (what the mtime check below looks at), not
    # every file of the lower layers, whose touch would copy 600 MB up the overlay (34 s).
    epoch = int(time.time()) - 1
    with ExitStack() as stack:
        rootfs = stack.enter_context(
            writable_rootfs(rootfs_base, work / "overlay", [installed_box.layer])
        )
        trees = Trees(rootfs.path, work / "data", work / "boot")
        started = time.monotonic()
        prepare(trees, flavour, host_bundle, version, TARGET, epoch)
        print(f"recipe on the installed box: {time.monotonic() - started:.1f} s")
        # What fstab does on a box: the data partition's folders bound back in place.
        for folder, target in DATA_BINDS.items():
            where = rootfs.file(target)
            subprocess.run(["mount", "--bind", str(trees.data / folder), str(where)], check=True)
            stack.callback(subprocess.run, ["umount", "-l", str(where)], check=False)
        yield Card(rootfs, trees, version, epoch)


def test_the_card_ships_unconfigured_and_identical(card: Card) -> None:
    root, data = card.trees.root, card.trees.data
    assert json.loads((data / "etc-chronoedge/reader.json").read_text()) == {
        "schema": 1,
        "role": "unconfigured",
    }
    assert (root / "etc/machine-id").read_text() == ""
    assert not list((root / "etc/ssh").glob("ssh_host_*"))
    leftovers = [p.name for p in (data / "etc-chronoedge").rglob("*") if p.is_file()]
    assert leftovers == ["reader.json"], "no PIN, password or WireGuard key on a card"
    assert not (data / "chronoedge/admin.json").exists()
    fstab = (root / "etc/fstab").read_text()
    for label in ("LABEL=CHRONOROOT", "LABEL=CHRONOBOOT", "LABEL=CHRONODATA"):
        assert label in fstab
    for target in DATA_BINDS.values():
        assert f" {target} " in fstab
    newer = subprocess.run(
        ["find", str(root), "-xdev", "-newermt", f"@{card.epoch}", "-print", "-quit"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert newer == "", "mtimes clamped to SOURCE_DATE_EPOCH"


def test_every_unit_is_enabled_and_accepted_by_systemd(card: Card) -> None:
    box = card.rootfs
    units = (*APP_UNITS, *IMAGE_UNITS)
    assert_enabled(box, (*units, "ssh", "avahi-daemon", "chrony", "NetworkManager"))
    assert_verified(box, units)
    assert box.run(CLI, "--version").stdout.strip().endswith(card.version)


def test_first_boot_with_a_good_then_a_bad_chronoedge_txt(card: Card, tmp_path: Path) -> None:
    box = card.rootfs
    boot = box.file("/tmp/boot-good")
    boot.mkdir()
    key = tmp_path / "admin"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = key.with_suffix(".pub").read_text().strip()
    (boot / "chronoedge.txt").write_text(
        "hostname = finish-line\n"
        "timezone = Europe/Paris\n"
        "wifi_ssid = Course 4G\n"
        "wifi_password = correct horse battery\n"
        f"ssh_authorized_keys = {public}\n"
    )
    box.run(CLI, "firstboot", "--boot-dir", "/tmp/boot-good", "--root", "/", timeout_s=300)
    assert box.file("/etc/hostname").read_text() == "finish-line\n"
    assert box.file("/etc/machine-id").read_text().strip()
    assert list(box.file("/etc/ssh").glob("ssh_host_*_key"))
    assert box.file("/root/.ssh/authorized_keys").read_text() == public + "\n"
    assert "correct horse" not in (boot / "chronoedge.txt").read_text()
    assert (card.trees.data / "chronoedge/.firstboot-done").exists()
    assert (boot / "chronoedge-setup-pin.txt").exists()
    log = (boot / "chronoedge-firstboot.log").read_text()
    assert "not applied" not in log, log

    # A bad file on a fresh card: reported by line, the box still comes up unconfigured.
    (card.trees.data / "chronoedge/.firstboot-done").unlink()
    bad = box.file("/tmp/boot-bad")
    bad.mkdir()
    (bad / "chronoedge.txt").write_text("hostname = finish_line!\nfavourite_colour = blue\n")
    box.run(CLI, "firstboot", "--boot-dir", "/tmp/boot-bad", "--root", "/", timeout_s=300)
    log = (bad / "chronoedge-firstboot.log").read_text()
    assert "line 1: hostname" in log
    assert "line 2: favourite_colour: unknown key" in log
    reader = json.loads(box.file("/etc/chronoedge/reader.json").read_text())
    assert reader["role"] == "unconfigured"


def test_serve_answers_healthz_in_its_own_network_namespace(card: Card) -> None:
    skip_unless_netns_possible()
    box = card.rootfs
    install_standin(box)
    env = {
        "CHRONO_EDGE_DATA_DIR": "/var/lib/chronoedge",
        "CHRONO_EDGE_CONFIG_DIR": "/etc/chronoedge",
    }
    with network_lab() as lab:
        netns = lab.host("card").name
        # systemd gives the web unit CAP_NET_BIND_SERVICE for port 80; the stand-in only
        # switches user, so this namespace (and nothing else) lets anyone bind port 80.
        lab_sysctl = ["sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=80"]
        subprocess.run(["ip", "netns", "exec", netns, *lab_sysctl], check=True)
        box.run(CLI, "db", "upgrade", user="chronoedge", netns=netns, env=env)
        box.run("systemctl", "start", "chronoedge-web.service", netns=netns)
        probe = (
            "import sys, urllib.request\n"
            "try: status = urllib.request.urlopen("
            "'http://127.0.0.1:80/healthz', timeout=2).status\n"
            "except Exception: status = 0\n"
            "sys.exit(0 if status == 200 else 1)\n"
        )
        deadline = time.monotonic() + 60
        while box.run("python3", "-c", probe, netns=netns, check=False).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail(f"serve never answered /healthz:\n{unit_log(box, 'chronoedge-web')}")
            time.sleep(0.5)
        box.run("systemctl", "stop", "chronoedge-web.service", netns=netns)
