"""One campaign: the rig up, the seeded faults, the end of the storm, the invariants, the table.

``python -m tests.chaos --seed 7 --minutes 5`` (``make chaos SEED=7 MINUTES=5``) prints the
schedule, runs it, then stops the faults, heals every link, stops the emulators (each
reader commits what it holds) and waits for the network to converge within a deadline:
every SLAVE's forward queue and the MASTER's outbox acknowledged, central holding what
the MASTER holds. It exits non-zero on any lost, doubled or made-up read, a missed
deadline, a crash-looping process or a sync status that is not clean.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge.rfid.emulator import RaceScenario
from edge.roleconfig import Role
from edge.sync.outbox import Outbox
from tests.chaos.faults import KINDS, DiskFill, Fault, Injector, box_alarms, schedule
from tests.chaos.heldout import HeldOut, compare
from tests.chaos.published import (
    TOLERANCE_US,
    delivered_reads,
    differences,
    published_results,
    truth_results,
)
from tests.chaos.rig import BOXES, RACE, UNITS, Rig, rig
from tests.chaos.truth import (
    Tally,
    box_passings,
    box_reads,
    central_passings,
    central_reads,
    ground_truth,
    passing_differences,
    tally,
)
from tests.e2e.eventlab import edge

RUNNERS_PER_MINUTE = 100  # 300 runners at least, in one wave a minute: reads all along
CONVERGE_DEADLINE_S = 180.0
PUBLISH_DEADLINE_S = 90.0  # after convergence, for central's document to match the truth
SAMPLE_EVERY_S = 2.0


@dataclass
class Report:
    """What a campaign found: the table's figures and every failed check."""

    seed: int
    minutes: float
    faults: list[Fault]
    done: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    lines: list[Tally] = field(default_factory=list)
    converged_s: float | None = None
    largest_backlog: int = 0
    crashes: dict[str, int] = field(default_factory=dict)
    held_out: list[HeldOut] = field(default_factory=list)
    fills: list[DiskFill] = field(default_factory=list)
    duplicated: int = 0  # packets sent twice by nftables' dup
    published: tuple[int, int] | None = None  # rows and finishers compared
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not any(line.failed for line in self.lines)

    def table(self) -> str:
        """The campaign's figures as printed by ``make chaos``."""
        out = [f"chaos campaign: seed {self.seed}, {self.minutes:g} min, "
               f"{sum(self.done.values())} faults injected"]  # fmt: skip
        out += [f"  {kind:<16}{self.done.get(kind, 0):>5}" for kind in KINDS]
        out += [f"  (skipped {kind}: {why})" for kind, why in self.skipped.items()]
        if self.done.get("duplicate") and "duplicate" not in self.skipped:
            out.append(f"  (duplicate: {self.duplicated} packets sent twice by nftables' dup;"
                       " none counted where netem did it)")  # fmt: skip
        head = ("box", "sent", "received", "on MASTER", "on central", "not recv.", "missed",
                "lost", "doubled", "made up")  # fmt: skip
        out.append("".join(f"{h:>11}" for h in head))
        for line in self.lines:
            cells = (
                line.box, line.sent, line.received, line.on_master, line.on_central,
                line.not_received, line.missed, line.lost, line.doubled, line.strays,
            )  # fmt: skip
            out.append("".join(f"{c:>11}" for c in cells))
        converged = "MISSED" if self.converged_s is None else f"{self.converged_s:.1f} s"
        out.append(f"convergence: {converged} (deadline {CONVERGE_DEADLINE_S:g} s); "
                   f"largest backlog: {self.largest_backlog} changes")  # fmt: skip
        for held in self.held_out:
            out.append(f"passings at {held.point} on central: {held.matched} of {held.intact} "
                       f"intact runners within 0.15 s of the true crossing")  # fmt: skip
        if self.published is not None:
            rows, finishers = self.published
            out.append(f"published results of {RACE} on central: {rows} entrants, {finishers}"
                       f" finishers, compared with the ground truth's (times within"
                       f" {TOLERANCE_US / 1e6:g} s)")  # fmt: skip
        if self.fills:
            holding = [fill for fill in self.fills if fill.holds]
            alarmed = sum("disk_full" in fill.alarms for fill in holding)
            out.append(f"disks filled: {len(self.fills)}; the reader held reads on {len(holding)},"
                       f" the disk_full alarm was up on {alarmed} of those")  # fmt: skip
        crashed = ", ".join(f"{n} x{c}" for n, c in self.crashes.items() if c) or "none"
        out.append(f"processes that exited by themselves: {crashed}")
        for line in self.lines:
            out += [f"  {line.box}: {example}" for example in line.examples]
        out += [f"FAILED: {failure}" for failure in self.failures]
        out.append("PASSED" if self.passed else f"FAILED (replay: make chaos SEED={self.seed} "
                   f"MINUTES={self.minutes:g})")  # fmt: skip
        return "\n".join(out)


def run_campaign(seed: int, minutes: float, folder: Path, *, calm: bool = False) -> Report:
    """Run one campaign in ``folder`` (logs and databases stay there); its report.

    ``calm``: the same race without any fault (the baseline a failing seed is held to).
    """
    slaves = [plan.name for plan in BOXES if plan.role is Role.SLAVE]
    faults = [] if calm else schedule(seed, minutes, [p.name for p in BOXES], slaves, UNITS)
    report = Report(seed, minutes, faults)
    print(f"schedule of seed {seed} ({len(faults)} faults):", flush=True)
    for fault in faults:
        print(f"  {fault}", flush=True)
    with rig(folder, race_for(minutes), seed) as running:
        injector = Injector(running)
        report.largest_backlog = _storm(running, injector, faults, minutes * 60)
        report.done, report.skipped = injector.done, injector.skipped
        report.fills, report.duplicated = injector.fills, injector.duplicated
        calm_from = time.monotonic()
        _end_of_storm(running)
        report.converged_s = _converge(running, calm_from)
        _check_processes(running, report)
        _check_disk_alarms(running, report)
        _check_sync_status(running, report)
        report.lines = _tallies(running, injector)
        _check_passings(running, report)
        report.held_out = _check_held_out(running, report)
        _check_published(running, report)
    return report


def race_for(minutes: float) -> RaceScenario:
    """The race each emulator plays: a wave a minute, so reads flow through the whole storm."""
    waves = max(1, round(minutes))
    wave_s = round(max(60.0, minutes * 60) / waves, 1)
    runners = max(300, round(RUNNERS_PER_MINUTE * minutes))
    return RaceScenario(runners=runners, waves=waves, wave_gap_s=wave_s, spread_s=wave_s,
                        first_finish_s=5.0, antennas=(1, 2))  # fmt: skip


def _storm(rig: Rig, injector: Injector, faults: list[Fault], length_s: float) -> int:
    """Apply and heal the faults on time; return the largest backlog seen."""
    events = sorted([(f.at_s, 1, n) for n, f in enumerate(faults)]
                    + [(f.at_s + f.hold_s, 0, n) for n, f in enumerate(faults)])  # fmt: skip
    tokens: dict[int, object] = {}
    started = time.monotonic()
    largest, next_sample = 0, 0.0
    for at_s, starting, n in [*events, (length_s, -1, -1)]:
        while (now := time.monotonic() - started) < at_s:
            if now >= next_sample:
                largest = max(largest, _backlog(rig))
                next_sample = now + SAMPLE_EVERY_S
            time.sleep(min(0.2, at_s - now))
        if starting == 1:
            print(f"  now {time.monotonic() - started:5.1f} s: {faults[n]}", flush=True)
            tokens[n] = injector.apply(faults[n])
        elif starting == 0:
            injector.heal(faults[n], tokens.pop(n))
    return largest


def _backlog(rig: Rig) -> int:
    """Changes waiting in the outboxes of every box, toward the MASTER and central."""
    total = 0
    for box in rig.boxes.values():
        target = "central" if box.plan.role is Role.MASTER else "master"
        try:
            total += Outbox(box.db, target).lag().pending
        except Exception:  # a box mid-power-cut: the next sample
            continue
    return total


def _end_of_storm(rig: Rig) -> None:
    """Faults stopped and healed; the readers stop first, politely (every report their
    emulator sent before arrives and is committed), then the emulators."""
    for box in rig.boxes.values():
        rig.run.stop(f"{box.name}-reader", timeout_s=120)
    for box in rig.boxes.values():
        rig.run.stop(f"{box.name}-emulator")


def _converge(rig: Rig, started: float) -> float | None:
    """Seconds from ``started`` (the end of the storm) until every queue is drained and
    central holds the MASTER's reads; None if the deadline passed."""
    master = rig.boxes["finish"]
    while time.monotonic() - started < CONVERGE_DEADLINE_S:
        slaves_done = all(
            Outbox(box.db, "master").lag().pending == 0
            for box in rig.boxes.values() if box is not master
        )  # fmt: skip
        if (
            slaves_done
            and Outbox(master.db, "central").lag().pending == 0
            and sum(central_reads(rig.central_url).values()) == sum(box_reads(master.db).values())
        ):
            return time.monotonic() - started
        time.sleep(1)
    return None


def _check_processes(rig: Rig, report: Report) -> None:
    for name, unit in rig.run.units.items():
        report.crashes[name] = len(unit.crashes)
        if unit.crash_looping():
            report.failures.append(f"{name} is crash-looping (see {unit.log})")
        elif not unit.stopped and not unit.alive():
            report.failures.append(f"{name} is not running at the end (see {unit.log})")


def _check_disk_alarms(rig: Rig, report: Report) -> None:
    """While a disk was full and the reader held reads, the console said so; none is left."""
    for fill in report.fills:
        if fill.alarm_missing:
            report.failures.append(
                f"{fill.box}: the reader held reads on a full disk ({fill.holds} times) but the"
                f" console's alarms were {sorted(fill.alarms)}, without disk_full"
            )
    for box in rig.boxes.values():
        if "disk_full" in box_alarms(box):
            report.failures.append(f"{box.name}: the disk_full alarm is still up at the end")


def _check_sync_status(rig: Rig, report: Report) -> None:
    """``chrono-edge sync status``: nothing pending toward each box's target."""
    for box in rig.boxes.values():
        target = "central" if box.plan.role is Role.MASTER else "master"
        done = subprocess.run(edge(box.db, "sync", "status", "--json"), env=box.env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            report.failures.append(f"{box.name}: sync status failed: {done.stderr.strip()}")
            continue
        (lag,) = [lag for lag in json.loads(done.stdout) if lag["target"] == target]
        if lag["pending"]:
            report.failures.append(f"{box.name}: sync status says {lag}")


def _check_passings(rig: Rig, report: Report) -> None:
    """Central's passings are the MASTER's; at each SLAVE's point, the SLAVE's own."""
    master = box_passings(rig.boxes["finish"].db)
    held = central_passings(rig.central_url)
    if not master:
        report.failures.append("the MASTER computed no passing")
    report.failures += passing_differences("central", master, held)
    for box in rig.boxes.values():
        if box.plan.role is Role.SLAVE:
            mine = box_passings(box.db)
            report.failures += passing_differences(f"{box.name}'s own", held, mine, box.plan.point)


def _check_held_out(rig: Rig, report: Report) -> list[HeldOut]:
    """Central's passings against each emulator's race (heldout.py)."""
    held = central_passings(rig.central_url)
    found = []
    for box in rig.boxes.values():
        point = box.plan.point
        truth = ground_truth(box.sent_log, point)
        compared = compare(point, box.race, truth, box_reads(box.db), held)
        if not compared.intact:
            report.failures.append(f"{point}: no runner to compare with the truth")
        report.failures += compared.errors
        found.append(compared)
    return found


def _check_published(rig: Rig, report: Report) -> None:
    """Central's published results equal those the ground truth gives (published.py)."""
    lines = {line.box: line for line in report.lines}
    delivered = {
        box.plan.point: delivered_reads(box.race, ground_truth(box.sent_log, box.plan.point),
                                        lines[box.name].absent)
        for box in rig.boxes.values()
    }  # fmt: skip
    truth = truth_results(rig.logs / "truth", rig.event, delivered)
    started, found = time.monotonic(), ["nothing published"]
    while time.monotonic() - started < PUBLISH_DEADLINE_S:
        published = published_results(rig.central.host, rig.central.public_url)
        found = ["nothing published"] if published is None else differences(truth, published)
        if not found:
            break
        time.sleep(2)
    finishers = sum(row["status"] == "FIN" for row in truth.values())
    report.published = (len(truth), finishers)
    if not finishers:
        report.failures.append("the ground truth's results have no finisher to compare")
    if found:
        report.failures.append(
            f"central's published results differ from the ground truth's ({len(found)} bibs): "
            + "; ".join(found[:10])
        )


def _tallies(rig: Rig, injector: Injector) -> list[Tally]:
    on_master = box_reads(rig.boxes["finish"].db)
    on_central = central_reads(rig.central_url)
    return [
        tally(box.name, box.plan.point, ground_truth(box.sent_log, box.plan.point),
              injector.reader_kills_us[box.name], box_reads(box.db), on_master, on_central)
        for box in rig.boxes.values()
    ]  # fmt: skip
