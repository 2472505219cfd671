"""First boot against a fake root and a fake boot partition, with the real tools.

ssh-keygen, mkfs.ext4, resize2fs, sfdisk and growpart run for real (Debian packages
listed in .ci/debian-packages.txt); a grown image file stands in for the SD card.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from edge.appliance import disk
from edge.appliance.bootconfig import CONFIG_FILE
from edge.appliance.firstboot import LOG_FILE, FirstBoot
from edge.appliance.runner import CommandRunner
from edge.auth.pin import BOOT_PIN_FILE
from edge.fleet.enrollment import EnrollmentRefused
from edge.roleconfig import CentralLink

TOOLS = ("ssh-keygen", "mkfs.ext4", "resize2fs", "dumpe2fs", "sfdisk", "growpart")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"{', '.join(MISSING)} missing: apt-get install $(cat .ci/debian-packages.txt)",
    ),
]
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens on it here
TIMEZONE = "Europe/Paris"


def _public_key(folder: Path, name: str) -> str:
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key.with_suffix(".pub").read_text().strip()


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    """A fake root (as the image ships it) and a fake FAT boot partition."""
    root, boot = tmp_path / "root", tmp_path / "boot"
    for folder in ("etc/ssh", "etc/chronoedge", "var/lib/chronoedge", "root", "proc"):
        (root / folder).mkdir(parents=True)
    (root / "etc/ssh/sshd_config").write_text("# Debian's\n")
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n")
    (root / "etc/hostname").write_text("debian\n")
    (root / "etc/machine-id").write_text("")  # the image ships an empty one
    (root / "usr/share/zoneinfo/Europe").mkdir(parents=True)
    shutil.copy(f"/usr/share/zoneinfo/{TIMEZONE}", root / "usr/share/zoneinfo" / TIMEZONE)
    uid, gid = root.stat().st_uid, root.stat().st_gid
    (root / "etc/passwd").write_text(f"chronoedge:x:{uid}:{gid}::/var/lib/chronoedge:/bin/false\n")
    (root / "proc/cpuinfo").write_text("Hardware\t: BCM2835\nSerial\t\t: 10000000a1b2c3d4\n")
    boot.mkdir()
    (boot / "config.txt").write_text("arm_64bit=1\n")
    return root, boot


def _first_boot(root: Path, boot: Path, **options: object) -> FirstBoot:
    settings: dict[str, object] = {
        "data_partition": None,  # the test machine's own disks are never touched
        "cpuinfo": root / "proc/cpuinfo",
        "device_tree": root / "proc/no-device-tree",
        "echo": lambda line: None,
    }
    return FirstBoot(root=root, boot_dir=boot, **(settings | options))  # type: ignore[arg-type]


def _snapshot(*folders: Path) -> dict[str, tuple[bytes | str, int]]:
    files: dict[str, tuple[bytes | str, int]] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            mode = path.lstat().st_mode
            if path.is_symlink():
                files[str(path)] = (str(path.readlink()), mode)
            elif path.is_file():
                files[str(path)] = (path.read_bytes(), mode)
    return files


def test_a_blank_card_becomes_a_unique_box_with_a_pin(box: tuple[Path, Path]) -> None:
    root, boot = box
    assert _first_boot(root, boot).run()
    machine_id = (root / "etc/machine-id").read_text().strip()
    assert len(machine_id) == 32
    assert int(machine_id, 16) >= 0
    assert sorted(p.name for p in (root / "etc/ssh").glob("ssh_host_*_key")) == [
        "ssh_host_ecdsa_key", "ssh_host_ed25519_key", "ssh_host_rsa_key",
    ]  # fmt: skip
    assert (root / "etc/hostname").read_text() == "chrono-b2c3d4\n"
    assert "127.0.1.1\tchrono-b2c3d4" in (root / "etc/hosts").read_text().splitlines()
    pin = (root / "etc/chronoedge/setup-pin.txt").read_text().strip()
    assert len(pin) == 8
    assert pin in (boot / BOOT_PIN_FILE).read_text()
    assert stat.S_IMODE((root / "etc/chronoedge/setup-pin.txt").stat().st_mode) == 0o600
    log = (boot / LOG_FILE).read_text()
    assert pin in log
    assert "http://chrono-b2c3d4.local/setup" in log
    assert (root / "var/lib/chronoedge/.firstboot-done").exists()
    assert not (root / "etc/chronoedge/reader.json").exists()  # still unconfigured


def test_a_filled_chronoedge_txt_is_applied_and_its_secrets_erased(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    root, boot = box
    key = _public_key(tmp_path, "admin")
    (boot / CONFIG_FILE).write_bytes(
        (
            "# filled on a laptop\r\n"
            "hostname = Finish-Line\r\n"
            f"timezone = {TIMEZONE}\r\n"
            "wifi_ssid = Course 4G\r\n"
            "wifi_password = correct horse battery\r\n"
            "wifi_country = fr\r\n"
            f"ssh_authorized_keys = {key}\r\n"
            f"central_url = {UNREACHABLE}\r\n"
            "enrollment_token = tok-123456\r\n"
            "role = master\r\n"
        ).encode()
    )
    assert _first_boot(root, boot).run()
    assert (root / "etc/hostname").read_text() == "finish-line\n"
    assert (root / "etc/localtime").readlink() == Path("/usr/share/zoneinfo") / TIMEZONE
    assert (root / "etc/timezone").read_text() == f"{TIMEZONE}\n"
    profile = root / "etc/NetworkManager/system-connections/chronoedge-wifi.nmconnection"
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert "ssid=Course 4G" in profile.read_text()
    assert "psk=correct horse battery" in (profile.read_text())
    assert (
        "ieee80211_regdom=FR" in (root / "etc/modprobe.d/chronoedge-wifi-country.conf").read_text()
    )
    assert (root / "root/.ssh/authorized_keys").read_text() == key + "\n"
    assert json.loads((root / "etc/chronoedge/reader.json").read_text())["role"] == "master"
    # Central is out of reach: the token waits on the box, 0600, and is gone from the card.
    pending = root / "etc/chronoedge/pending-enrollment.json"
    assert json.loads(pending.read_text()) == {"central_url": UNREACHABLE, "token": "tok-123456"}
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    card = (boot / CONFIG_FILE).read_text()
    assert "correct horse" not in card
    assert "tok-123456" not in card
    assert "hostname = Finish-Line" in card
    assert "# filled on a laptop" in card
    log = (boot / LOG_FILE).read_text()
    assert "token is kept" in log
    assert "not applied" not in log


def test_bad_values_are_reported_by_line_and_the_box_still_boots_to_setup(
    box: tuple[Path, Path],
) -> None:
    root, boot = box
    (boot / CONFIG_FILE).write_text(
        "hostname = finish_line!\n"
        "timezone = Mars/Olympus\n"
        "ssh_authorized_keys = ssh-rsa AAAAnot-a-key me@laptop\n"
        "favourite_colour = blue\n"
        "role = slave\n"
    )
    assert _first_boot(root, boot).run()
    log = (boot / LOG_FILE).read_text()
    assert "line 1: hostname: 'finish_line!' is not a host name" in log
    assert "line 2: timezone: 'Mars/Olympus' is not a time zone of this system" in log
    assert "line 3: ssh_authorized_keys: " in log
    assert "line 4: favourite_colour: unknown key" in log
    assert "line 5: role: not applied" in log
    assert "a slave needs" in log
    assert (root / "etc/hostname").read_text() == "chrono-b2c3d4\n"  # the default instead
    assert not (root / "etc/localtime").exists()
    assert not (root / "root/.ssh/authorized_keys").exists()
    assert not (root / "etc/chronoedge/reader.json").exists()  # unconfigured: /setup decides
    assert (root / "etc/chronoedge/setup-pin.txt").exists()


def test_enrollment_consumes_the_token_or_forgets_a_refused_one(box: tuple[Path, Path]) -> None:
    root, boot = box
    asked: list[tuple[str, str]] = []

    def central_grants(url: str, token: str, role_file: Path, key_folder: Path) -> CentralLink:
        asked.append((url, token))
        return CentralLink(
            url=url, device_id="dev-1", device_token="t", tunnel_address="10.77.0.2/32"
        )

    config = "central_url = https://central.example\nenrollment_token = tok-1\n"
    (boot / CONFIG_FILE).write_text(config)
    assert _first_boot(root, boot, enroll=central_grants).run()
    assert asked == [("https://central.example", "tok-1")]
    assert not (root / "etc/chronoedge/pending-enrollment.json").exists()
    assert "tok-1" not in (boot / CONFIG_FILE).read_text()
    assert "enrolled with https://central.example as device dev-1" in (boot / LOG_FILE).read_text()

    def central_refuses(url: str, token: str, role_file: Path, key_folder: Path) -> CentralLink:
        raise EnrollmentRefused("this token was already used")

    (root / "var/lib/chronoedge/.firstboot-done").unlink()
    (boot / CONFIG_FILE).write_text(config)
    assert _first_boot(root, boot, enroll=central_refuses).run()
    log = (boot / LOG_FILE).read_text()
    assert "line 2: enrollment_token: central refused the enrollment" in log
    assert not (root / "etc/chronoedge/pending-enrollment.json").exists()


def test_a_second_boot_changes_nothing_and_a_cut_first_boot_finishes_the_same(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    root, boot = box
    key = _public_key(tmp_path, "admin")
    (boot / CONFIG_FILE).write_text(
        f"timezone = {TIMEZONE}\nwifi_ssid = Course\nwifi_password = secret-pass\n"
        f"ssh_authorized_keys = {key}\ncentral_url = {UNREACHABLE}\nenrollment_token = tok\n"
        "role = master\n"
    )
    assert _first_boot(root, boot).run()
    first = _snapshot(root, boot)
    assert _first_boot(root, boot).run()  # the marker: nothing at all is touched
    assert _snapshot(root, boot) == first
    # A power cut just before the marker: the next boot runs every step again.
    (root / "var/lib/chronoedge/.firstboot-done").unlink()
    assert _first_boot(root, boot).run()
    again = _snapshot(root, boot)
    log = str(boot / LOG_FILE)
    assert {k: v for k, v in again.items() if k != log} == {
        k: v for k, v in first.items() if k != log
    }
    assert "kept" in (boot / LOG_FILE).read_text()


def test_a_failed_required_step_leaves_first_boot_to_finish_at_the_next_boot(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    root, boot = box
    missing = disk.DataPartition(tmp_path / "no-card.img", 3, tmp_path / "no-card.img")
    assert not _first_boot(root, boot, data_partition=missing).run()
    assert not (root / "var/lib/chronoedge/.firstboot-done").exists()
    log = (boot / LOG_FILE).read_text()
    assert "data partition: FAILED: growpart" in log
    assert "runs again at the next boot" in log
    assert (root / "etc/chronoedge/setup-pin.txt").exists()  # the other steps still ran
    assert _first_boot(root, boot).run()


def _make_card(path: Path, size_mib: int) -> None:
    """A disk image with a partition table: boot (FAT's place) and a data partition."""
    with path.open("wb") as file:
        file.truncate(size_mib * 1024 * 1024)
    layout = "label: dos\nstart=2048, size=8192, type=c\nstart=10240, size=8192, type=83\n"
    subprocess.run(["sfdisk", "-q", str(path)], input=layout, text=True, check=True)


def _partition_sectors(path: Path, number: int) -> int:
    table = subprocess.run(
        ["sfdisk", "--json", str(path)], capture_output=True, text=True, check=True
    )
    return int(json.loads(table.stdout)["partitiontable"]["partitions"][number - 1]["size"])


def _ext4_blocks(path: Path) -> int:
    header = subprocess.run(
        ["dumpe2fs", "-h", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(
        next(line for line in header.splitlines() if line.startswith("Block count:")).split()[-1]
    )


def test_the_data_partition_and_its_file_system_grow_to_the_card(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    root, boot = box
    card, filesystem = tmp_path / "card.img", tmp_path / "data.ext4"
    _make_card(card, 16)
    with card.open("r+b") as file:
        file.truncate(64 * 1024 * 1024)  # flashed onto a bigger card
    # resize2fs cannot reach inside a partition of an image file without a loop device,
    # so the file system is its own image, grown the way a bigger partition grows it.
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", disk.DATA_LABEL, str(filesystem), "4M"], check=True
    )
    before = _ext4_blocks(filesystem)
    with filesystem.open("r+b") as file:
        file.truncate(32 * 1024 * 1024)
    part = disk.DataPartition(card, 2, filesystem)
    assert _first_boot(root, boot, data_partition=part).run()
    # To the end of the card, less the few sectors growpart keeps free (a backup GPT's room).
    assert 64 * 2048 - 10240 - 2048 < _partition_sectors(card, 2) <= 64 * 2048 - 10240
    assert _ext4_blocks(filesystem) > before * 7
    assert "grown to the end of the disk" in (boot / LOG_FILE).read_text()
    # Nothing left to grow: both tools say so and the step succeeds.
    runner = CommandRunner()
    assert "already fills" in disk.grow_partition(runner, part)
    assert "already fills" in disk.grow_filesystem(runner, part)
