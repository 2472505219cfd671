"""The faults: a schedule drawn from a seed, and how each kind is inflicted and healed.

``schedule(seed, minutes, ...)`` is a pure function: the same seed and length give the
same list of faults (time, kind, target, how long), printed before the campaign runs,
so a failing seed replays the same storm. ``Injector`` applies each fault at its time
and heals it when its hold is over; faults overlap as they do in the field.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import subprocess
from dataclasses import dataclass, field

from edge.alarms.service import disk_full_alarms
from edge.domain.clock import now_us
from edge.roleconfig import Role, load_role
from tests import diskfill
from tests.chaos.rig import Box, Rig
from tests.e2e.eventlab import BOX_PORT, nsctl

# kind: (weight, hold range in s). A "kill" hold is the restart pause (systemd's RestartSec).
KINDS: dict[str, tuple[int, tuple[float, float]]] = {
    "kill": (6, (0.5, 2.0)),  # kill -9 of one process of a box
    "power_cut": (2, (3.0, 12.0)),  # every process of a box at once, back after the hold
    "link_cut": (3, (2.0, 15.0)),  # a box's cable (finish: the uplink to hq) unplugged
    "loss": (2, (5.0, 20.0)),  # packets dropped on a box's cable
    "duplicate": (1, (5.0, 20.0)),  # packets sent twice (netem, else nftables' dup)
    "reorder": (1, (5.0, 20.0)),  # packets delayed out of order (netem only)
    "central_restart": (1, (1.0, 6.0)),  # kill -9 of central, back after the hold
    "role_switch": (1, (5.0, 20.0)),  # a SLAVE made MASTER mid-race, then SLAVE again
    "disk_full": (1, (5.0, 20.0)),  # a box's data directory filled, then freed
}
WARM_UP_S = 10.0  # reads flow everywhere before the first fault
MEAN_GAP_S = 4.0  # between two faults, on average (exponential)


@dataclass(frozen=True)
class Fault:
    """One fault of the schedule."""

    at_s: float  # after the campaign's start
    kind: str
    target: str  # a box, "box/process", or "central"
    hold_s: float
    detail: str = ""  # the drawn parameter (a loss percentage)

    def __str__(self) -> str:
        extra = f" {self.detail}" if self.detail else ""
        return f"{self.at_s:7.1f} s  {self.kind:<15} {self.target:<14} {self.hold_s:4.1f} s{extra}"


def schedule(seed: int, minutes: float, boxes: list[str], slaves: list[str],
             processes: tuple[str, ...]) -> list[Fault]:  # fmt: skip
    """The faults of a campaign of ``minutes``, drawn from ``seed`` alone."""
    rng = random.Random(seed)
    names, weights = list(KINDS), [weight for weight, _ in KINDS.values()]
    faults: list[Fault] = []
    at_s, end_s = WARM_UP_S, minutes * 60
    while True:
        at_s += rng.expovariate(1 / MEAN_GAP_S)
        kind = rng.choices(names, weights)[0]
        hold_s = round(rng.uniform(*KINDS[kind][1]), 1)
        if at_s + hold_s > end_s:
            return faults
        detail = ""
        if kind == "kill":
            target = f"{rng.choice(boxes)}/{rng.choice(processes)}"
        elif kind == "central_restart":
            target = "central"
        elif kind == "role_switch":
            target = rng.choice(slaves)
        else:
            target = rng.choice(boxes)
        if kind == "loss":
            detail = f"{rng.choice((10, 30, 50, 80))}%"
        faults.append(Fault(round(at_s, 1), kind, target, hold_s, detail))


def netem_available(rig: Rig) -> bool:
    """Whether the kernel has tc netem (duplication and reordering need it)."""
    host, _ = rig.uplink
    probe = host.argv("tc", "qdisc", "add", "dev", "lo", "root", "netem", "loss", "0%")
    if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
        return False
    host.run("tc", "qdisc", "del", "dev", "lo", "root")
    return True


def disk_is_limited(box: Box) -> bool:
    """Whether the box's data directory is a filesystem of its own (mounted small to fill)."""
    return os.path.ismount(box.folder)


HELD_MESSAGE = "the disk is full"  # what the reader logs when it starts holding reads


def box_alarms(box: Box) -> set[str]:
    """The codes of the alarms the box's console shows now (its /api/v1/alarms/).

    A claimed box (the MASTER, enrolled from /setup with a password) answers 401 without a
    login session, and a box whose serve is down answers nothing: then its disk_full alarm
    is read as serve reads it, from the reader's notice (``disk_full_alarms``).
    """
    url = f"http://127.0.0.1:{BOX_PORT}/api/v1/alarms/"
    body = nsctl(box.host, "get", url, "--body", "--attempts", "2", "--pause", "0.5",
                 check=False)  # fmt: skip
    if body:
        return {alarm["code"] for alarm in json.loads(body)}
    return {str(alarm.code) for alarm in asyncio.run(disk_full_alarms(box.db))}


@dataclass
class DiskFill:
    """One disk_full fault as it went: whether the reader held reads, whether the alarm said so."""

    box: str
    free_before: int  # bytes free when the filler came
    holds_before: int  # the reader log's "disk is full" lines before the fill
    holds: int = 0  # ... those written while the disk was full
    reader_cut: bool = False  # the reader killed meanwhile (its held reads went with it)
    alarms: set[str] = field(default_factory=set)  # the box's alarms just before the free
    healed: bool = False

    @property
    def alarm_missing(self) -> bool:
        """The reader held reads on this fill, still ran, and the console did not say so."""
        return bool(self.holds) and not self.reader_cut and "disk_full" not in self.alarms


def _counted_packets(listing: str) -> int:
    """The packets the ``counter`` of an ``nft -j list table`` listing counted."""
    found = 0
    for item in json.loads(listing)["nftables"]:
        for expression in item.get("rule", {}).get("expr", []):
            if "counter" in expression:
                found += int(expression["counter"]["packets"])
    return found


class Injector:
    """Inflicts faults on a rig and heals them; counts what it did and what it skipped."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.netem = netem_available(rig)
        self.done: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.skipped: dict[str, str] = {}  # kind -> why
        self.reader_kills_us: dict[str, list[int]] = {name: [] for name in rig.boxes}
        self.fills: list[DiskFill] = []
        self.duplicated = 0  # packets nftables' dup sent twice (counted at each heal)
        self._pending_roles: dict[str, Role] = {}  # a switch that waits for room on the disk
        self._cuts: dict[str, int] = {}  # a cable cut by overlapping faults stays cut
        self._tables = 0

    def apply(self, fault: Fault) -> object:
        """Inflict ``fault``; return what ``heal`` needs (None: nothing to heal)."""
        kind = fault.kind
        why = self._skip_reason(fault)
        if why:
            self.skipped[kind] = why
            return None
        self.done[kind] += 1
        return getattr(self, f"_apply_{kind}")(fault)

    def heal(self, fault: Fault, token: object) -> None:
        """Undo ``fault`` (its hold is over)."""
        if token is not None:
            getattr(self, f"_heal_{fault.kind}")(fault, token)

    def _skip_reason(self, fault: Fault) -> str:
        if fault.kind == "reorder" and not self.netem:
            return "the kernel has no sch_netem (nftables cannot delay or reorder packets)"
        if fault.kind == "disk_full" and not disk_is_limited(self.rig.boxes[fault.target]):
            return "the boxes' data directories are not on size-limited filesystems"
        return ""

    def _apply_kill(self, fault: Fault) -> None:
        box, process = fault.target.split("/")
        if process == "reader":
            self._reader_cut(box)
        self.rig.run.kill([f"{box}-{process}"], fault.hold_s)

    def _apply_power_cut(self, fault: Fault) -> None:
        self._reader_cut(fault.target)
        self.rig.run.kill(self.rig.boxes[fault.target].units(), fault.hold_s)

    def _reader_cut(self, box: str) -> None:
        self.reader_kills_us[box].append(now_us())
        for fill in self.fills:
            if fill.box == box and not fill.healed:
                fill.reader_cut = True

    def _apply_central_restart(self, fault: Fault) -> None:
        self.rig.run.kill(["central"], fault.hold_s)

    def _apply_link_cut(self, fault: Fault) -> str:
        host, device = self.rig.boxes[fault.target].link
        self._cuts[device] = self._cuts.get(device, 0) + 1
        host.run("ip", "link", "set", device, "down")
        return device

    def _heal_link_cut(self, fault: Fault, device: object) -> None:
        assert isinstance(device, str)
        self._cuts[device] -= 1
        if not self._cuts[device]:
            host, _ = self.rig.boxes[fault.target].link
            host.run("ip", "link", "set", device, "up")

    def _apply_loss(self, fault: Fault) -> str:
        return self._shape(fault, "loss", fault.detail)

    def _apply_duplicate(self, fault: Fault) -> str:
        """25 % of the packets sent twice: netem, else nftables' ``dup`` (docs/chaos.md).

        On a SLAVE's cable the box's HTTP to the MASTER is duplicated as is. The MASTER's
        uplink carries WireGuard, whose replay window drops a copied datagram before it is
        decrypted, so there the inner packets are copied, on the tunnel's own interface.
        """
        if self.netem:
            return self._shape(fault, "duplicate", "25%")
        box = self.rig.boxes[fault.target]
        host, device = box.link
        if box.plan.role is Role.MASTER:
            vpn = load_role(box.folder / "reader.json").vpn
            assert vpn is not None, "the MASTER of the rig has a tunnel"
            host, device = box.host, vpn.interface
        self._tables += 1
        table = f"ce_chaos{self._tables}"
        host.run("nft", "add", "table", "ip", table)
        host.run("nft", "add", "chain", "ip", table, "out",
                 "{ type filter hook output priority 0; policy accept; }")  # fmt: skip
        host.run("nft", "add", "rule", "ip", table, "out", "oifname", device, "numgen", "random",
                 "mod", "100", "<", "25", "counter", "dup", "to", "ip", "daddr", "device",
                 device)  # fmt: skip
        return f"dup:{table}"

    def _apply_reorder(self, fault: Fault) -> str:
        return self._shape(fault, "delay", "50ms", "reorder", "25%", "50%")

    def _shape(self, fault: Fault, *netem: str) -> str:
        host, device = self.rig.boxes[fault.target].link
        if self.netem:
            host.run("tc", "qdisc", "replace", "dev", device, "root", "netem", *netem)
            return f"tc:{device}"
        self._tables += 1
        table = f"ce_chaos{self._tables}"
        percent = fault.detail.rstrip("%")
        host.run("nft", "add", "table", "inet", table)
        host.run("nft", "add", "chain", "inet", table, "out",
                 "{ type filter hook output priority 0; policy accept; }")  # fmt: skip
        host.run("nft", "add", "rule", "inet", table, "out", "oifname", device,
                 "numgen", "random", "mod", "100", "<", percent, "drop")  # fmt: skip
        return f"nft:{table}"

    def _heal_loss(self, fault: Fault, token: object) -> None:
        host, device = self.rig.boxes[fault.target].link
        how, _, name = str(token).partition(":")
        if how == "tc":
            subprocess.run(host.argv("tc", "qdisc", "del", "dev", device, "root"),
                           capture_output=True, check=False)  # fmt: skip
        elif how == "dup":
            box = self.rig.boxes[fault.target]
            host = box.host if box.plan.role is Role.MASTER else host
            self.duplicated += _counted_packets(host.run("nft", "-j", "list", "table", "ip", name))
            host.run("nft", "delete", "table", "ip", name)
        else:
            host.run("nft", "delete", "table", "inet", name)

    _heal_duplicate = _heal_loss
    _heal_reorder = _heal_loss

    def _apply_role_switch(self, fault: Fault) -> str:
        self._switch(fault.target, Role.MASTER)
        return "switched back at the heal"

    def _heal_role_switch(self, fault: Fault, token: object) -> None:
        self._switch(fault.target, Role.SLAVE)

    def _switch(self, name: str, role: Role) -> None:
        """Switch a box's role, as /setup does; on a full disk, once it has room again.

        /setup refuses a change it cannot write (503 DiskFull); the operator frees space
        and switches again. Seed 9 (3 minutes) switched km5 back to SLAVE while its disk
        was full: rewriting reader.json failed with ENOSPC and the campaign stopped.
        """
        try:
            self.rig.boxes[name].switch_role(role)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            print(f"  {name}'s disk is full: switched to {role.value} once it has room", flush=True)
            self._pending_roles[name] = role

    def _apply_disk_full(self, fault: Fault) -> DiskFill:
        """Fill the box's data directory to the last byte (tests.diskfill's filler)."""
        box = self.rig.boxes[fault.target]
        fill = DiskFill(box.name, diskfill.free_bytes(box.folder), self._holds_logged(box))
        self.fills.append(fill)
        diskfill.fill(box.folder)
        return fill

    def _heal_disk_full(self, fault: Fault, fill: object) -> None:
        """Look at the box's alarms while its disk is still full, then free it."""
        assert isinstance(fill, DiskFill)
        box = self.rig.boxes[fault.target]
        fill.holds = self._holds_logged(box) - fill.holds_before
        fill.alarms, fill.healed = box_alarms(box), True
        if not any(f.box == box.name and not f.healed for f in self.fills):
            diskfill.free(box.folder)  # the last overlapping fill of this box is over
            self._room_again(box)

    def _room_again(self, box: Box) -> None:
        """The box's disk has room: the role switch that waited for it is made."""
        if (role := self._pending_roles.pop(box.name, None)) is not None:
            box.switch_role(role)

    def _holds_logged(self, box: Box) -> int:
        log = box.logs / "reader.log"
        return log.read_text(encoding="utf-8", errors="replace").count(HELD_MESSAGE)
