"""First boot: every step that turns a card identical to all others into one box.

Steps run in order, each logged with what it did, on the console (the unit sends
standard output to the journal and the console) and in ``chronoedge-firstboot.log``
on the boot partition, rewritten after each step so a power cut leaves the steps
done so far. Every step makes what is missing and keeps what is there, so a box cut
off in the middle finishes at its next boot; the marker
``/var/lib/chronoedge/.firstboot-done`` is written last, and only when every
required step succeeded. A failing optional step (Wi-Fi, SSH keys, role,
enrollment, a bad line in chronoedge.txt) is reported and never stops the others.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Literal

from edge.appliance import bootconfig, disk, identity, presets, sshkeys, wifi
from edge.appliance.bootconfig import BootConfig
from edge.appliance.runner import CommandRunner
from edge.errors import ChronoEdgeError, InvalidInput
from edge.fleet.enrollment import CentralUnreachable
from edge.fleet.identity import CPUINFO, DEVICE_TREE_SERIAL
from edge.paths import APPLIANCE_CONFIG_DIR, APPLIANCE_STATE_DIR, BoxPaths
from edge.store.files import write_atomic

LOG_FILE = "chronoedge-firstboot.log"
MARKER = ".firstboot-done"
BOX_USER = "chronoedge"
AUTHORIZED_KEYS = "root/.ssh/authorized_keys"


@dataclass
class FirstBoot:
    """One run of first boot on the system under ``root``, reading ``boot_dir``."""

    root: Path
    boot_dir: Path
    runner: CommandRunner = field(default_factory=CommandRunner)
    # "auto": find the CHRONODATA partition (only on the running system, root "/").
    data_partition: disk.DataPartition | Literal["auto"] | None = "auto"
    cpuinfo: Path = CPUINFO
    device_tree: Path = DEVICE_TREE_SERIAL
    enroll: presets.Enroll | None = None  # None: the box's own enrollment with central
    echo: Callable[[str], None] = print
    lines: list[str] = field(default_factory=list)
    failed_required: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Whether this is the running system (not an image or a test folder)."""
        return self.root.resolve() == Path("/")

    @property
    def paths(self) -> BoxPaths:
        """The box's files under ``root`` (the appliance layout)."""
        return BoxPaths.under(
            self.root / APPLIANCE_STATE_DIR.relative_to("/"),
            self.root / APPLIANCE_CONFIG_DIR.relative_to("/"),
        )

    @property
    def marker(self) -> Path:
        """Written last: first boot is over."""
        return self.paths.data_dir / MARKER

    def run(self) -> bool:
        """Run every step not done yet; True when first boot is complete (marker written)."""
        if self.marker.exists():
            self.echo(f"first boot already done ({self.marker}): nothing to do")
            return True
        self.log(f"ChronoEdge {version('chronoedge')}: first boot of this box")
        config = bootconfig.read_config(self.boot_dir)
        self.step("data partition", self.grow_data, required=True)
        self.step("machine id", lambda: identity.ensure_machine_id(self.root), required=True)
        self.step("SSH host keys", lambda: identity.ensure_host_keys(self.runner, self.root))
        self.step("host name", lambda: self.name_box(config), required=True)
        self.step("time zone", lambda: self.set_timezone(config))
        self.step("Wi-Fi", lambda: self.set_wifi(config))
        self.step("SSH authorized keys", lambda: self.authorize_keys(config))
        self.step("role", lambda: self.preset_role(config))
        self.step("enrollment", lambda: self.enroll_box(config))
        self.step("secrets", self.erase_secrets)
        self.step("ownership", self.hand_over, required=True)
        self.step("setup PIN", self.show_pin, required=True)
        for problem in sorted(config.problems, key=lambda p: p.line):
            self.log(f"chronoedge.txt {problem}")
        if self.failed_required:
            self.log(
                f"first boot NOT finished ({', '.join(self.failed_required)} failed):"
                " it runs again at the next boot"
            )
            return False
        write_atomic(self.marker, f"ChronoEdge {version('chronoedge')}\n")
        bad = (
            f", {len(config.problems)} line(s) of chronoedge.txt not applied"
            if config.problems
            else ""
        )
        self.log(f"first boot done{bad}; it will not run again ({self.marker})")
        return True

    def log(self, line: str) -> None:
        """Say ``line`` on the console and add it to the log on the boot partition."""
        self.echo(line)
        self.lines.append(line)
        # A read-only or missing boot partition: the journal still has every line.
        with contextlib.suppress(OSError):
            write_atomic(self.boot_dir / LOG_FILE, "\n".join(self.lines) + "\n", mode=None)

    def step(self, name: str, action: Callable[[], str | None], required: bool = False) -> None:
        """Run one step; log what it did, or why it failed (and go on)."""
        try:
            said = action()
        except InvalidInput as error:
            self.log(f"{name}: refused: {error}".rstrip())
        except (ChronoEdgeError, OSError, RuntimeError, ValueError) as error:
            self.log(f"{name}: FAILED: {error}")
            if required:
                self.failed_required.append(name)
        else:
            if said:
                self.log(f"{name}: {said}")

    def grow_data(self) -> str:
        """Grow the data partition and its file system to the card."""
        part = self.data_partition
        if part == "auto":
            part = disk.find_data_partition(self.runner, self.paths.data_dir) if self.live else None
        if part is None:
            return f"no {disk.DATA_LABEL} partition: nothing to grow"
        return (
            f"{disk.grow_partition(self.runner, part)}; {disk.grow_filesystem(self.runner, part)}"
        )

    def name_box(self, config: BootConfig) -> str:
        """The operator's host name, else chrono-<serial tail>."""
        name = config.get("hostname") or identity.default_hostname(
            self.root, self.cpuinfo, self.device_tree
        )
        said = identity.set_hostname(self.root, name)
        if self.live:
            said += "; " + identity.apply_hostname_now(self.runner, name)
        return said + f"; the box answers at http://{name}.local/"

    def set_timezone(self, config: BootConfig) -> str | None:
        """The operator's time zone (none given: the image's, UTC)."""
        zone = config.get("timezone")
        if zone is None:
            return None
        try:
            return identity.set_timezone(self.root, zone)
        except ValueError as error:
            config.problem("timezone", str(error))
            return f"not changed ({config.problems[-1]})"

    def set_wifi(self, config: BootConfig) -> str | None:
        """The operator's Wi-Fi network (none given: Ethernet only)."""
        ssid = config.get("wifi_ssid")
        if ssid is None:
            return None
        return wifi.write_wifi(
            self.root, ssid, config.get("wifi_password") or None, config.get("wifi_country")
        )

    def authorize_keys(self, config: BootConfig) -> str | None:
        """Let the operator's SSH keys log in as root (the box has no password login)."""
        if not config.ssh_keys:
            return None
        added = sshkeys.merge_authorized_keys(self.root / AUTHORIZED_KEYS, config.ssh_keys)
        kept = len(config.ssh_keys) - len(added)
        return f"{len(added)} key(s) added to /{AUTHORIZED_KEYS}, {kept} already there"

    def preset_role(self, config: BootConfig) -> str | None:
        """The role chronoedge.txt presets, checked as /setup checks it."""
        role = config.get("role")
        if role is None:
            return None
        address = None
        if reader := config.get("reader"):
            host, _, port = reader.partition(":")
            address = (host, int(port) if port else 5084)
        preset = presets.RolePreset(
            role,
            config.get("event"),
            config.get("point"),
            config.get("master_url"),
            config.get("event_key"),
            address,
        )
        try:
            return presets.apply_role(self.paths, preset)
        except InvalidInput as error:
            reason = "; ".join([error.message, *(str(p) for p in error.problems)])
            config.problem("role", f"not applied, the box stays as it was: {reason}")
            return f"not applied ({reason})"

    def enroll_box(self, config: BootConfig) -> str | None:
        """Join central's fleet with the token, or keep the token until central answers."""
        central_url, token = config.get("central_url"), config.get("enrollment_token")
        if central_url is not None and token is not None:
            presets.keep_pending(self.paths, central_url, token)  # before the FAT copy goes
        if presets.read_pending(self.paths) is None:
            return None
        kwargs = {} if self.enroll is None else {"enroll": self.enroll}
        try:
            return presets.enroll_pending(self.paths, **kwargs)
        except CentralUnreachable as error:
            return (
                f"central not reachable now ({error.message}); the token is kept in"
                f" {presets.pending_path(self.paths)} (0600) and chronoedge-enroll-pending"
                " enrolls the box once the network is up"
            )
        except ChronoEdgeError as error:
            config.problem("enrollment_token", f"central refused the enrollment: {error.message}")
            return f"refused by central ({error.message}): enroll on /setup with a new token"

    def erase_secrets(self) -> str | None:
        """Remove the secrets from the FAT file now that they are kept on the box."""
        removed = bootconfig.remove_secrets(self.boot_dir)
        if not removed:
            return None
        return f"{', '.join(removed)} removed from {bootconfig.CONFIG_FILE}"

    def hand_over(self) -> str | None:
        """Give the box's user the files first boot wrote as root in its folders."""
        owner = _user_ids(self.root / "etc/passwd", BOX_USER)
        if owner is None:
            return f"no user {BOX_USER} in this system: files left as they are"
        paths = self.paths
        targets = [
            paths.role_file,
            paths.setup_pin,
            presets.pending_path(paths),
            paths.key_folder,
            *(paths.key_folder.rglob("*") if paths.key_folder.is_dir() else []),
        ]
        changed = 0
        for path in targets:
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            if (info.st_uid, info.st_gid) != owner:
                os.lchown(path, *owner)
                changed += 1
        return f"{changed} file(s) given to {BOX_USER}" if changed else None

    def show_pin(self) -> str:
        """The setup PIN (the one /setup expects), on the console and the boot partition."""
        from edge.services.admin import AdminService

        admin = AdminService(self.paths, self.boot_dir)
        pin = admin.prepare()
        self.hand_over()  # the PIN file is new and root's: serve must read and delete it
        if pin is None:
            return "the box is already claimed: no PIN"
        name = identity.current_hostname(self.root)
        return (
            f"{pin} (open http://{name}.local/setup to claim the box;"
            f" also in {self.boot_dir / 'chronoedge-setup-pin.txt'})"
        )


def _user_ids(passwd: Path, user: str) -> tuple[int, int] | None:
    try:
        lines = passwd.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] == user:
            return int(fields[2]), int(fields[3])
    return None
