"""boxes.yml on a real Debian rootfs (chroot connection, image-build mode), then the box runs.

The first run is the session's ``installed_box`` (conftest.py): the box here is an
overlay of what it left, so the checks below are of that run, and its rerun must
change nothing.

The installed release serves /healthz and reads the LLRP emulator, started from its units
by the systemctl stand-in, as user chronoedge, inside the box's own network namespace.
"""

from __future__ import annotations

import json
import random
import shlex
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import BOX_WEB_PORT, InstalledBox, box_host
from tests.e2e.netns import network_lab
from tests.e2e.playbooks import run_playbook, write_inventory
from tests.e2e.rootfs import Rootfs
from tests.e2e.units import assert_enabled, assert_verified, install_standin, unit_log

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "tests" / "fixtures" / "events" / "spring-10k.yaml"
UNITS = ("chronoedge-web", "chronoedge-reader", "chronoedge-worker", "chronoedge-panel")
CLI = "/opt/chronoedge/current/bin/chrono-edge"


def owner_mode(path: Path) -> tuple[str, str, str]:
    """(user, group, octal mode) of ``path`` as the rootfs names them."""
    info = path.lstat()
    users = {line.split(":")[2]: line.split(":")[0] for line in _lines(path, "passwd")}
    groups = {line.split(":")[2]: line.split(":")[0] for line in _lines(path, "group")}
    return users[str(info.st_uid)], groups[str(info.st_gid)], oct(stat.S_IMODE(info.st_mode))


def _lines(path: Path, database: str) -> list[str]:
    root = next(p for p in path.parents if (p / "etc" / database).is_file())
    return (root / "etc" / database).read_text().splitlines()


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Poll ``check`` until it holds; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting until {what}")


def stored_reads(box: Rootfs) -> int:
    """Reads in the box's database (0 while it has none)."""
    try:
        with sqlite3.connect(box.file("/var/lib/chronoedge/edge.db"), timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM tag_read").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_boxes_playbook_installs_a_box_that_runs(
    installed_box: InstalledBox,
    make_box: Callable[[str], Rootfs],
    host_bundle: Path,
    tmp_path: Path,
) -> None:
    first = installed_box.first_run.recap()["box"]
    assert first["failed"] == 0, installed_box.first_run.output[-4000:]
    assert first["changed"] > 0
    box = make_box("box")
    install_standin(box)
    web_port, llrp_port = BOX_WEB_PORT, random.randrange(20000, 40000)
    version = installed_box.version
    inventory = write_inventory(
        tmp_path / "hosts.yml", {"boxes": {"box": box_host(box.path, host_bundle)}}
    )
    with network_lab() as lab:
        netns = lab.host("box").name

        # The layout of DESIGN.md, owners and modes included.
        assert owner_mode(box.file("/etc/chronoedge")) == ("root", "chronoedge", "0o770")
        assert owner_mode(box.file("/etc/chronoedge/keys")) == ("chronoedge", "chronoedge", "0o700")
        assert owner_mode(box.file("/var/lib/chronoedge")) == ("chronoedge", "chronoedge", "0o750")
        assert owner_mode(box.file("/opt/chronoedge/releases")) == ("root", "root", "0o755")
        passwd = next(
            line for line in box.file("/etc/passwd").read_text().splitlines()
            if line.startswith("chronoedge:")
        )  # fmt: skip
        assert passwd.endswith(":/var/lib/chronoedge:/usr/sbin/nologin")
        # The panel's GPIO chips: group gpio (Debian has none), chronoedge in it, udev's rule.
        gpio = next(
            line for line in box.file("/etc/group").read_text().splitlines()
            if line.startswith("gpio:")
        )  # fmt: skip
        assert "chronoedge" in gpio.rsplit(":", 1)[1].split(",")
        rule = box.file("/etc/udev/rules.d/60-chronoedge-gpio.rules").read_text()
        assert 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' in rule
        panel = box.file("/etc/systemd/system/chronoedge-panel.service").read_text()
        assert "Environment=LG_WD=/run/chronoedge-panel" in panel
        assert "DeviceAllow=char-gpiochip rw" in panel
        current = box.file("/opt/chronoedge/current")
        assert current.is_symlink()
        assert str(current.readlink()) == f"releases/{version}"
        assert not box.file("/opt/chronoedge/previous").exists()
        release = box.file(f"/opt/chronoedge/releases/{version}")
        assert (release / ".installed").is_file()
        assert not release.stat().st_mode & 0o222, "a release is read-only once installed"
        reader_json = box.file("/etc/chronoedge/reader.json")
        assert json.loads(reader_json.read_text())["role"] == "unconfigured"
        assert owner_mode(reader_json)[:2] == ("chronoedge", "chronoedge")
        assert box.file("/etc/sudoers.d/chronoedge-wireguard").is_file()
        sudoers = box.file("/etc/sudoers.d/chronoedge-update").read_text()
        assert "NOPASSWD: /usr/bin/systemctl start --no-block chronoedge-update.service" in sudoers
        assert owner_mode(box.file("/etc/chronoedge/ota")) == ("root", "chronoedge", "0o750")
        # Clocks on the event LAN: every box serves the private LAN and falls back on its own
        # clock; a SLAVE's MASTER goes in the sourcedir its worker writes, then reloads.
        chrony = box.file("/etc/chrony/conf.d/chronoedge.conf").read_text()
        assert "local stratum 10" in chrony.splitlines()
        assert "allow 192.168.0.0/16" in chrony.splitlines()
        assert "sourcedir /var/lib/chronoedge-chrony" in chrony.splitlines()
        assert "# refclock SHM 0 refid GPS" in chrony  # gpsd: documented, off until plugged in
        parsed = box.run("chronyd", "-p", "-f", "/etc/chrony/chrony.conf")
        assert "sourcedir /var/lib/chronoedge-chrony" in parsed.stdout, parsed.stderr
        sources = box.file("/var/lib/chronoedge-chrony")
        assert owner_mode(sources) == ("chronoedge", "chronoedge", "0o755")
        sudo_chrony = box.file("/etc/sudoers.d/chronoedge-chrony").read_text()
        assert "NOPASSWD: /usr/bin/chronyc reload sources" in sudo_chrony
        worker = box.file("/etc/systemd/system/chronoedge-worker.service").read_text()
        assert "Environment=CHRONO_EDGE_CHRONY_SOURCES_DIR=/var/lib/chronoedge-chrony" in worker
        assert "ReadWritePaths=-/var/lib/chronoedge-chrony" in worker
        assert (
            "SystemMaxUse=" in box.file("/etc/systemd/journald.conf.d/chronoedge.conf").read_text()
        )
        assert_enabled(box, (*UNITS, "chronoedge-update", "chrony", "fake-hwclock"))
        assert_verified(box, (*UNITS, "chronoedge-update"))  # systemd accepts every unit
        # The update installer's command, as its unit runs it at boot: nothing asked, nothing done.
        update = box.file("/etc/systemd/system/chronoedge-update.service").read_text().splitlines()
        unit_env = dict(
            line.removeprefix("Environment=").split("=", 1)
            for line in update
            if line.startswith("Environment=")
        )
        (exec_start,) = (line.removeprefix("ExecStart=") for line in update if "ExecStart=" in line)
        applied = box.run(*shlex.split(exec_start), env=unit_env)
        assert "nothing to install" in applied.stdout, applied.stdout + applied.stderr

        # The release runs as its units would: migrations, then serve answers /healthz.
        env = {
            "CHRONO_EDGE_DATA_DIR": "/var/lib/chronoedge",
            "CHRONO_EDGE_CONFIG_DIR": "/etc/chronoedge",
        }
        box.run(CLI, "db", "upgrade", user="chronoedge", netns=netns, env=env)
        box.run("systemctl", "start", "chronoedge-web.service", netns=netns)
        health = f"http://127.0.0.1:{web_port}/healthz"
        probe = (
            "import sys, urllib.request\n"
            f"try: status = urllib.request.urlopen({health!r}, timeout=2).status\n"
            "except Exception: status = 0\n"
            "sys.exit(0 if status == 200 else 1)\n"
        )
        wait_for(
            lambda: box.run("python3", "-c", probe, netns=netns, check=False).returncode == 0,
            f"serve answers {health}\n{unit_log(box, 'chronoedge-web')}",
        )
        shown = box.run("systemctl", "show", "chronoedge-web.service").stdout
        assert "ActiveState=active" in shown
        assert "UnitFileState=enabled" in shown

        # The reader unit reads the LLRP emulator into edge.db.
        box.file("/tmp/event.yaml").write_bytes(EVENT.read_bytes())
        box.run(CLI, "event", "load", "/tmp/event.yaml", user="chronoedge", netns=netns, env=env)
        box.run(
            CLI, "role", "set", "master", "--event", "spring-10k-2026", "--point", "FINISH",
            "--reader", f"127.0.0.1:{llrp_port}", user="chronoedge", netns=netns, env=env,
        )  # fmt: skip
        emulator = subprocess.Popen(
            ["ip", "netns", "exec", netns, str(ROOT / ".venv" / "bin" / "chrono-edge"),
             "simulate-reader", "--host", "127.0.0.1", "--port", str(llrp_port),
             "--scenario", "burst", "--tags", "20", "--rate", "50", "--duration", "120", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            box.run("systemctl", "start", "chronoedge-reader.service", netns=netns)
            wait_for(
                lambda: stored_reads(box) > 0,
                f"reads land in edge.db\n{unit_log(box, 'chronoedge-reader')}",
            )
            box.run("systemctl", "stop", "chronoedge-reader.service", "chronoedge-web.service")
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)

        # A second run changes nothing, and keeps the box's configured reader.json.
        configured = reader_json.read_bytes()
        started = time.monotonic()
        second = run_playbook("boxes.yml", inventory, netns=netns)
        second_s = time.monotonic() - started
        recap = second.recap()["box"]
        assert recap["failed"] == 0, second.output[-4000:]
        assert recap["changed"] == 0, second.output[-4000:]
        assert reader_json.read_bytes() == configured
        print(f"boxes.yml: first run {installed_box.first_run_s:.1f} s, second {second_s:.1f} s")
