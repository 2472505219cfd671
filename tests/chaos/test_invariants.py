"""The campaign's own logic, without a network: the schedule and how reads are counted."""

from __future__ import annotations

import errno
import json
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from edge.roleconfig import Role
from tests.chaos.faults import KINDS, DiskFill, Injector, _counted_packets, schedule
from tests.chaos.published import differences
from tests.chaos.truth import GroundTruth, Key, Sent, tally

BOXES, SLAVES, UNITS = ["start", "km5", "finish"], ["start", "km5"], ("reader", "worker", "serve")


def test_a_seed_replays_the_same_schedule_and_thirty_minutes_hold_over_100_faults() -> None:
    first = schedule(7, 30, BOXES, SLAVES, UNITS)
    assert first == schedule(7, 30, BOXES, SLAVES, UNITS)
    assert first != schedule(8, 30, BOXES, SLAVES, UNITS)
    assert len(first) >= 100  # the long campaign
    assert {fault.kind for fault in first} == set(KINDS)
    assert all(fault.at_s + fault.hold_s <= 30 * 60 for fault in first)
    assert all(fault.target in SLAVES for fault in first if fault.kind == "role_switch")


def key(n: int) -> Key:
    return ("KM5", f"{n:024d}", 1, 1_000_000 + n)


def test_reads_cut_in_flight_by_a_reader_kill_are_not_received_a_gap_is_lost() -> None:
    # Connection 1 sent reads 0..9 and was cut by a kill at t=100; the box committed
    # 0..6 except 3. Connection 2 (ended normally) sent 10..14; the box lacks 12.
    truth = GroundTruth(
        reads=[Sent(key(n), 1, 10 * n) for n in range(10)]
        + [Sent(key(n), 2, 200 + n) for n in range(10, 15)],
        closed_us={1: 100, 2: 300},
    )
    on_box = Counter(key(n) for n in (0, 1, 2, 4, 5, 6, 10, 11, 13, 14))
    on_central = on_box + Counter([key(0)])  # one read twice on central
    line = tally("km5", "KM5", truth, [95], on_box, on_box, on_central)
    assert (line.sent, line.received, line.not_received) == (15, 10, 3)  # 7, 8, 9
    assert line.lost == 2  # 3 (a gap before the last committed read) and 12
    assert line.doubled == 1
    assert not tally("km5", "KM5", truth, [], on_box, on_box, on_box).not_received


def test_a_full_disk_without_its_alarm_fails_unless_the_reader_held_nothing_or_died() -> None:
    held = DiskFill("km5", free_before=1 << 20, holds_before=0, holds=1, alarms={"disk_low"})
    assert held.alarm_missing
    assert not replace(held, alarms={"disk_full"}).alarm_missing
    assert not replace(held, holds=0).alarm_missing  # nothing came to commit meanwhile
    assert not replace(held, reader_cut=True).alarm_missing  # its held reads died with it


def test_the_packets_nftables_duplicated_are_read_from_the_rule_counter() -> None:
    listing = {
        "nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"table": {"family": "ip", "name": "ce_chaos1"}},
            {
                "rule": {
                    "expr": [
                        {"match": {}},
                        {"counter": {"packets": 42, "bytes": 4200}},
                        {"dup": {"addr": {}, "dev": "wgb"}},
                    ]
                }
            },
        ]
    }
    assert _counted_packets(json.dumps(listing)) == 42


def row(bib: int, rank: int | None, status: str = "FIN", gun: str | None = None) -> dict[str, Any]:
    return {"bib": str(bib), "rank": rank, "status": status, "gun_time": gun, "split_KM5": None}


def test_published_results_differ_on_status_time_or_a_rank_no_close_runner_explains() -> None:
    truth = {
        "1": row(1, 1, gun="0:01:00.0"),
        "2": row(2, 2, gun="0:01:00.1"),  # 0.1 s behind 1: they may swap
        "3": row(3, 3, gun="0:01:30.0"),
        "4": row(4, None, "DNS"),
    }
    swapped = {**truth, "1": row(1, 2, gun="0:01:00.1"), "2": row(2, 1, gun="0:01:00.0")}
    assert differences(truth, swapped) == []
    late = {**truth, "3": row(3, 3, gun="0:01:30.3")}  # beyond 0.15 s + the truncated tenth
    assert differences(truth, late) == [
        "bib 3: gun_time 0:01:30.3 published, 0:01:30.0 from the truth"
    ]
    ranked = {**truth, "3": row(3, 1, gun="0:01:30.0")}
    assert differences(truth, ranked)[0].startswith("bib 3: rank 1 published, 3 from the truth")
    dropped = {**truth, "4": row(4, None, "DNF")}
    assert differences(truth, dropped) == ["bib 4: status DNF published, DNS from the truth"]
    ordered = {**truth, "3": {**truth["3"], "split_KM5": "0:00:00.0"}}  # seed 12: 13 ms apart
    assert differences(truth, ordered) == []
    split = {**truth, "3": {**truth["3"], "split_KM5": "0:00:00.5"}}
    assert differences(truth, split) == [
        "bib 3: split_KM5 0:00:00.5 published, None from the truth"
    ]
    missing = {bib: r for bib, r in truth.items() if bib != "2"}
    assert differences(truth, missing)[0] == "bib 2: in the truth's results, not published"


class FullBox:
    """A box whose reader.json cannot be rewritten until ``room`` is set."""

    name = "km5"

    def __init__(self) -> None:
        self.room, self.roles = False, list[Role]()

    def switch_role(self, role: Role) -> None:
        if not self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.roles.append(role)


def test_seed_9_a_role_switch_on_a_full_disk_waits_for_room_instead_of_stopping_the_campaign() -> (
    None
):
    box = FullBox()
    injector = Injector.__new__(Injector)  # no network: only the role switch's bookkeeping
    injector.rig = SimpleNamespace(boxes={"km5": box})  # type: ignore[assignment]
    injector._pending_roles = {}
    injector._switch("km5", Role.MASTER)
    injector._switch("km5", Role.SLAVE)  # the switch back, the disk still full
    assert box.roles == []
    box.room = True
    injector._room_again(box)  # type: ignore[arg-type]
    assert box.roles == [Role.SLAVE]  # the role it must end with, once
    injector._room_again(box)  # type: ignore[arg-type]
    assert box.roles == [Role.SLAVE]
