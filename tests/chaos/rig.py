"""The rig: central in ``hq`` and three boxes, each with its emulated reader, in namespaces.

``finish`` is the MASTER: linked to ``hq`` by the venue's uplink, enrolled from its
/setup API, it syncs to central through its WireGuard tunnel. ``start`` and ``km5`` are
SLAVEs, each on its own cable to ``finish`` (the timing LAN), forwarding their reads to
it. Every box runs ``reader``, ``worker`` and ``serve`` under the rig's ``Supervisor``
(systemd's part); each emulator plays its own seeded race and logs every read it sent
(``--sent-log``, the ground truth). Central runs on PostgreSQL when the test server is
configured (``CHRONO_TEST_POSTGRES_URL``), else on SQLite.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from edge.rfid.emulator import RaceScenario
from edge.rfid.emulator.scenarios import epc_for_bib
from edge.roleconfig import Role, RoleConfig, VpnConfig, load_role, save_role
from edge.vpn.keys import PRIVATE_KEY, ensure_keypair
from tests import diskfill
from tests.browser import box_env
from tests.chaos.pgbridge import PostgresBridge
from tests.chaos.supervisor import Supervisor
from tests.e2e.eventlab import (
    ADMIN,
    BOX_PORT,
    HQ_LAN,
    HUB_PORT,
    PI1_LAN,
    USERSPACE,
    Central,
    edge,
    nsctl,
    wait_healthy,
)
from tests.e2e.netns import Lab, Namespace, network_lab
from tests.servers import POSTGRES_ENV, free_port, postgres_database
from tests.syncbox import SLUG

EVENT_KEY = "chaos-event-key-of-the-race"
PASSWORD = "correct horse battery"
READER_PORT = "5084"
UNITS = ("reader", "worker", "serve")  # a box's processes the faults may kill
RACE = "10K"  # the event's one race, whose results central publishes
MB = 1024 * 1024
# A box's data directory is a tmpfs of its own, so the disk_full fault can fill it: room
# for the race with a wide margin (seed 21, 10 minutes, 1,000 runners a box: the MASTER's
# edge.db reached 192 MB, a SLAVE's 73 MB), sized from the runners the race plays.
DISK_BASE_BYTES = {Role.MASTER: 96 * MB, Role.SLAVE: 48 * MB}
DISK_PER_RUNNER_BYTES = {Role.MASTER: 400_000, Role.SLAVE: 150_000}


@dataclass(frozen=True)
class BoxPlan:
    """Who a box is: its name (also its namespace), point, role and its LAN to the MASTER."""

    name: str
    point: str
    role: Role
    lan: str = ""  # the /24 of its cable to finish (SLAVEs): .1 finish, .2 the box


BOXES = (
    BoxPlan("start", "START", Role.SLAVE, "192.168.78"),
    BoxPlan("km5", "KM5", Role.SLAVE, "192.168.79"),
    BoxPlan("finish", "FINISH", Role.MASTER),
)


@dataclass
class Box:
    """One box of the rig: its namespace, files and the link(s) faults may cut."""

    plan: BoxPlan
    host: Namespace
    db: Path
    env: dict[str, str]
    logs: Path  # its processes' logs and its emulator's sent log (never on the small disk)
    race: RaceScenario  # what its emulator plays
    link: tuple[Namespace, str]  # (namespace, device) of the box's own end of its cable

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def folder(self) -> Path:
        """The box's data directory (a small tmpfs of its own when the rig runs as root)."""
        return self.db.parent

    @property
    def sent_log(self) -> Path:
        return self.logs / "sent.jsonl"

    def units(self) -> list[str]:
        return [f"{self.name}-{unit}" for unit in UNITS]

    def switch_role(self, role: Role) -> None:
        """Rewrite reader.json atomically with ``role``, as /setup does (each process follows
        within 2 s); the device id, event and point stay."""
        path = self.folder / "reader.json"
        save_role(path, load_role(path).model_copy(update={"role": role}))


@dataclass
class Rig:
    """Everything running: the lab, the processes, central and the boxes."""

    lab: Lab
    run: Supervisor
    central: Central
    central_url: str  # the database URL as seen from the rig (root namespace)
    boxes: dict[str, Box]
    uplink: tuple[Namespace, str]  # finish's end of its cable to hq
    event: EventFiles
    logs: Path  # the campaign's folder


@dataclass(frozen=True)
class EventFiles:
    """The event every box loads and the entrants the MASTER (alone) imports."""

    event: Path
    entrants: Path


def write_event(folder: Path, runners: int) -> EventFiles:
    """The rig's event: one gun-timed race whose wave started now, over START, KM5 and
    FINISH, and one entrant per runner the emulators play (bib N wears the EPC of N)."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    event = folder / "event.yaml"
    event.write_text(
        f"""slug: {SLUG}
name: "Chaos campaign"
date: {start.date().isoformat()}
timezone: UTC
age_reference: year_end
timing_points:
  - {{code: START, kind: start, distance_m: 0}}
  - {{code: KM5, kind: split, distance_m: 5000}}
  - {{code: FINISH, kind: finish, distance_m: 10000}}
races:
  - code: {RACE}
    name: "10 km"
    timing: gun
    cutoff: "06:00:00"
    points: [START, KM5, FINISH]
    waves:
      - {{code: W1, start: "{start.isoformat()}"}}
""",
        encoding="utf-8",
    )
    entrants = folder / "entrants.csv"
    with entrants.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["bib", "last_name", "first_name", "sex", "birth_year", "race", "wave",
                         "tag1"])  # fmt: skip
        for bib in range(1, runners + 1):
            writer.writerow([bib, f"Runner{bib}", "Chaos", "FM"[bib % 2], 1970 + bib % 40, RACE,
                             "W1", epc_for_bib(bib).hex().upper()])  # fmt: skip
    return EventFiles(event, entrants)


@contextmanager
def rig(folder: Path, race: RaceScenario, seed: int) -> Iterator[Rig]:
    """Bring the whole network up (torn down on the way out, also on failure); each box's
    emulator plays ``race`` with a seed of its own drawn from ``seed``."""
    with ExitStack() as stack:
        database = _central_database(stack, folder)
        for plan in BOXES:  # unmounted after every process stopped (callbacks run last first)
            _data_directory(stack, folder / plan.name, plan.role, race.runners)
        lab = stack.enter_context(network_lab())
        supervisor = Supervisor()
        stack.callback(supervisor.close)
        event = write_event(folder / "event", race.runners)
        yield _bring_up(lab, supervisor, folder, database, race, seed, event)


def _data_directory(stack: ExitStack, logs: Path, role: Role, runners: int) -> Path:
    """``logs/data``, the box's data directory: a tmpfs of its own sized for ``runners``
    when this process may mount one (root), else a plain folder (disk_full is skipped).
    On the way out its files are copied to ``logs/data.kept`` (the tmpfs goes with the
    unmount), so a failed campaign's databases stay for the replay."""
    data = logs / "data"
    logs.mkdir(parents=True)
    if not diskfill.can_mount():
        data.mkdir()
        return data
    diskfill.mount(data, DISK_BASE_BYTES[role] + DISK_PER_RUNNER_BYTES[role] * runners)
    stack.callback(diskfill.unmount, data)
    stack.callback(_keep, data, logs / "data.kept")
    return data


def _keep(data: Path, kept: Path) -> None:
    diskfill.free(data)
    shutil.copytree(data, kept, ignore=shutil.ignore_patterns(diskfill.FILLER))


def _central_database(stack: ExitStack, folder: Path) -> tuple[str, str]:
    """(URL for central inside hq, URL for the rig): PostgreSQL when configured, else SQLite."""
    if not os.environ.get(POSTGRES_ENV):
        url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
        return url, url
    tcp_url = stack.enter_context(postgres_database())
    parsed = make_url(tcp_url)
    bridge = stack.enter_context(
        PostgresBridge(folder / "pg", parsed.host or "127.0.0.1", parsed.port or 5432)
    )
    return bridge.url_for(tcp_url), tcp_url


def _bring_up(lab: Lab, run: Supervisor, folder: Path, database: tuple[str, str],
              race: RaceScenario, seed: int, event: EventFiles) -> Rig:  # fmt: skip
    hq = lab.host("hq")
    hosts = {plan.name: lab.host(plan.name) for plan in BOXES}
    finish = hosts["finish"]
    _, uplink = lab.link(hq, f"{HQ_LAN}/24", finish, f"{PI1_LAN}/24")
    central = _start_central(run, hq, folder, lab.name("wgh"), database[0])
    token = json.loads(central.cli("enroll-token", "create", "--event", SLUG, "--json"))["token"]

    boxes: dict[str, Box] = {}
    for plan in BOXES:
        host = hosts[plan.name]
        if plan.role is Role.SLAVE:
            _, end = lab.link(finish, f"{plan.lan}.1/24", host, f"{plan.lan}.2/24")
            link = (host, end)
        else:
            link = (finish, uplink)
        db, env = _prepare_box(folder / plan.name / "data", _planned_role(plan, lab), event)
        plays = dataclasses.replace(race, seed=seed * 10 + len(boxes))  # each box its own race
        box = Box(plan, host, db, env, folder / plan.name, plays, link)
        boxes[plan.name] = box
        _start_services(run, box)
    _enroll(boxes["finish"], central, token)  # before the reads pour in, as on race morning
    for box in boxes.values():
        _start_reading(run, box)
    return Rig(lab, run, central, database[1], boxes, (finish, uplink), event, folder)


def _prepare_box(data: Path, role: RoleConfig, event: EventFiles) -> tuple[Path, dict[str, str]]:
    """A box's files in ``data`` (migrated database with the event, the entrants on the
    MASTER, reader.json); its env."""
    env = box_env(data) | {"CHRONO_EDGE_SYNC_EVERY_S": "0.5"} | USERSPACE
    db = data / "edge.db"
    steps = [("db", "upgrade"), ("event", "load", str(event.event))]
    if role.role is Role.MASTER:
        steps.append(("entrants", "import", str(event.entrants), "--event", SLUG))
    for args in steps:
        subprocess.run(edge(db, *args), env=env, cwd=data.parent, check=True,
                       capture_output=True)  # fmt: skip
    save_role(data / "reader.json", role)
    return db, env


def _planned_role(plan: BoxPlan, lab: Lab) -> RoleConfig:
    """What a box's reader.json says when the race runs as planned."""
    if plan.role is Role.SLAVE:
        return RoleConfig(role=Role.SLAVE, event=SLUG, point=plan.point, event_key=EVENT_KEY,
                          master_url=f"http://{plan.lan}.1:{BOX_PORT}")  # fmt: skip
    return RoleConfig(role=Role.MASTER, event=SLUG, point=plan.point, event_key=EVENT_KEY,
                      vpn=VpnConfig(interface=lab.name("wgb")))  # fmt: skip


def _start_central(run: Supervisor, hq: Namespace, folder: Path, hub: str, url: str) -> Central:
    """Central in ``hq`` with its WireGuard hub and an admin (as tests.e2e.eventlab's)."""
    ensure_keypair(folder / "hub")
    port = free_port()
    env = {
        **os.environ, **USERSPACE,
        "CHRONO_CENTRAL_DATABASE_URL": url,
        # Not "central": processes run in ``folder``, where a folder of that name would
        # shadow the package for `python -m central` (found first on sys.path, as a
        # namespace package) once central had created it: every restart failed.
        "CHRONO_CENTRAL_DATA_DIR": str(folder / "central-data"),
        "CHRONO_CENTRAL_HUB_INTERFACE": hub,
        "CHRONO_CENTRAL_HUB_PRIVATE_KEY_FILE": str(folder / "hub" / PRIVATE_KEY),
        "CHRONO_CENTRAL_HUB_ENDPOINT": f"{HQ_LAN}:{HUB_PORT}",
        "CHRONO_CENTRAL_HUB_LISTEN_PORT": str(HUB_PORT),
    }  # fmt: skip
    central = Central(f"http://{HQ_LAN}:{port}", Path(), env, folder / "central.log", hq)
    central.cli("user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
    serve = [sys.executable, "-m", "central", "serve", "--host", "0.0.0.0", "--port", str(port)]
    run.start(hq, "central", serve, env, central.log)
    wait_healthy(hq, central.public_url)
    return central


def _start_services(run: Supervisor, box: Box) -> None:
    """The box's worker and serve processes; serve answering."""
    folder, env, name = box.logs, box.env, box.name
    worker = edge(box.db, "worker", "--concurrency", "2")
    run.start(box.host, f"{name}-worker", worker, env, folder / "worker.log")
    serve = edge(box.db, "serve", "--host", "0.0.0.0", "--port", str(BOX_PORT))
    run.start(box.host, f"{name}-serve", serve, env, folder / "serve.log")
    wait_healthy(box.host, f"http://127.0.0.1:{BOX_PORT}")


def _start_reading(run: Supervisor, box: Box) -> None:
    """The box's emulated reader (never faulted: the reader is its own hardware) playing
    its race, and the box's reader process."""
    plays = box.race
    race = ["--scenario", "race", "--runners", str(plays.runners),
            "--first-finish", str(plays.first_finish_s), "--spread", str(plays.spread_s),
            "--waves", str(plays.waves), "--wave-gap", str(plays.wave_gap_s),
            "--antennas", str(len(plays.antennas)), "--seed", str(plays.seed)]  # fmt: skip
    emulator = ["simulate-reader", "--host", "127.0.0.1", "--port", READER_PORT, "--quiet",
                *race, "--sent-log", str(box.sent_log)]  # fmt: skip
    folder, env, name = box.logs, box.env, box.name
    run.start(box.host, f"{name}-emulator", edge(box.db, *emulator), env, folder / "emulator.log")
    reader = ["reader", "--host", "127.0.0.1", "--port", READER_PORT, "--event", SLUG,
              "--point", box.plan.point]  # fmt: skip
    run.start(box.host, f"{name}-reader", edge(box.db, *reader), env, folder / "reader.log")


def _enroll(box: Box, central: Central, token: str) -> None:
    """Enroll the MASTER from its /setup API (claim with the PIN, then the token)."""
    pin = (box.folder / "setup-pin.txt").read_text(encoding="ascii").strip()
    setup = f"http://127.0.0.1:{BOX_PORT}"  # "--": a token may start with "-"
    answer = json.loads(
        nsctl(box.host, "setup-enroll", "--", setup, pin, PASSWORD, central.public_url, token)
    )
    if answer["status"]["vpn"]["up"] is not True:
        raise RuntimeError(f"finish's tunnel did not come up: {answer['status']['vpn']}")
