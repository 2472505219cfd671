"""The snapshot the alarm rules look at, read from the box's files (plain sqlite3, blocking).

Run :func:`box_alarms` in a thread from async code. It only reads: a box without a
database yet has no point, reader or worker to look at, and nothing is migrated.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from edge.alarms.model import (
    Alarm,
    BacklogState,
    BoxSnapshot,
    ClockState,
    DiskState,
    HeldState,
    PointWatch,
    ReaderWatch,
    Thresholds,
    WorkerState,
)
from edge.alarms.rules import evaluate
from edge.domain.clock import US_PER_SECOND, now_us
from edge.errors import ChronoEdgeError
from edge.heartbeat import STALE_AFTER_S
from edge.paths import BoxPaths
from edge.roleconfig import Role, RoleConfig, load_role
from edge.settings import Settings
from edge.store.held import HeldReads, read_held
from edge.store.sqlite import out_of_space
from edge.timing.course import race_live

ANTENNA_MEMORY_S = 3600
"""An antenna that read at its point within this long is expected to go on reading."""

AlarmSource = Callable[[int], Iterable[Alarm]]
"""Another module's alarms at ``now_us`` (the clock checks): merged with the box's own."""


def thresholds_of(settings: Settings) -> Thresholds:
    """The alarm thresholds the settings ask for."""
    return Thresholds(
        no_read_s=settings.alarm_no_read_s,
        disk_free_pct=settings.alarm_disk_free_pct,
        backlog_age_s=settings.alarm_backlog_age_s,
    )


def box_alarms(
    paths: BoxPaths,
    thresholds: Thresholds,
    *,
    clock: ClockState | None = None,
    sources: Sequence[AlarmSource] = (),
    now: int | None = None,
    by_worker: bool = False,
) -> list[Alarm]:
    """Every alarm of the box now: its own rules, then each of ``sources``' alarms.

    ``by_worker``: the worker asks (for its status report), so a worker runs whatever its
    heartbeat row says: the row lags while the worker drains at a stop or cannot write to
    a full disk, and a report must not say its own sender is down."""
    now = now_us() if now is None else now
    snapshot = gather(paths, thresholds, clock=clock or ClockState(), now=now)
    if by_worker:
        snapshot = dataclasses.replace(snapshot, worker=WorkerState(True, now))
    extra = [alarm for source in sources for alarm in source(now)]
    return evaluate(snapshot, thresholds, extra)


def gather(paths: BoxPaths, thresholds: Thresholds, *, clock: ClockState, now: int) -> BoxSnapshot:
    """The box as the rules see it at ``now``."""
    try:
        role: RoleConfig | None = load_role(paths.role_file)
    except ChronoEdgeError:  # /setup shows a broken reader.json; the rest is still watched
        role = None
    database = paths.database
    disk = _disk(database.parent if database.parent.exists() else paths.data_dir)
    held = held_state(database, now)
    if not database.exists():
        return BoxSnapshot(now, clock=clock, disk=disk, held=held)
    from edge.store.reads import connect

    try:
        connection = connect(database)
    except sqlite3.Error as err:
        if not out_of_space(err, database):
            raise
        # Too full for SQLite to open the database: the disk's alarms are what matter.
        return BoxSnapshot(now, clock=clock, disk=disk, held=held)
    try:
        points = _points(connection, role, thresholds, now)
        readers = _readers(connection, role, now, reader_alive=held is not None)
        worker = _worker(connection, now)
    finally:
        connection.close()
    return BoxSnapshot(
        now,
        points=points,
        readers=readers,
        clock=clock,
        disk=disk,
        held=held,
        backlog=_backlog(database, role),
        worker=worker,
    )


def held_state(database: Path, now: int | None = None) -> HeldState | None:
    """The reads the box's running reader holds because its disk is full (None: none)."""
    return _held(_notice(database, now_us() if now is None else now))


def _notice(database: Path, now: int) -> HeldReads | None:
    notice = read_held(database)
    if notice is not None and not notice.fresh(now):
        return None  # from a reader process that stopped: it holds nothing now
    return notice


def _held(notice: HeldReads | None) -> HeldState | None:
    """The reads the running reader holds because the disk is full (None: it holds none)."""
    if notice is None or notice.since_us is None:
        return None
    return HeldState(notice.held, notice.dropped, notice.bound, notice.since_us)


def _disk(folder: Path) -> DiskState | None:
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return None
    return DiskState(usage.free, usage.total)


def _points(
    connection: sqlite3.Connection, role: RoleConfig | None, thresholds: Thresholds, now: int
) -> list[PointWatch]:
    """Points in an open race of the event that read before (or that this box reads)."""
    if role is None or not role.event:
        return []
    try:
        rows = connection.execute(
            "SELECT p.id, p.code, p.no_read_alarm_us, r.id, r.cutoff_us, w.start_us"
            " FROM timing_point p JOIN event e ON e.id = p.event_id"
            " JOIN race_point rp ON rp.point_id = p.id JOIN race r ON r.id = rp.race_id"
            " JOIN wave w ON w.race_id = r.id WHERE e.slug = ?",
            (role.event,),
        ).fetchall()
    except sqlite3.Error:  # not migrated yet
        return []
    races: dict[tuple[str, str], tuple[int | None, list[int]]] = {}
    points: dict[str, tuple[str, int | None]] = {}
    for point_id, code, alarm_us, race_id, cutoff, start in rows:
        points[point_id] = (code, alarm_us)
        races.setdefault((point_id, race_id), (cutoff, []))[1].append(start)
    open_since: dict[str, int] = {}
    for (point_id, _), (cutoff, starts) in races.items():
        if race_live(starts, cutoff, now):
            first = min(starts)
            open_since[point_id] = min(open_since.get(point_id, first), first)
    watched = []
    for point_id, since in open_since.items():
        code, alarm_us = points[point_id]
        limit_s = thresholds.no_read_s if alarm_us is None else alarm_us / US_PER_SECOND
        (last,) = connection.execute(
            "SELECT max(corrected_time_us) FROM tag_read WHERE point_id = ?", (point_id,)
        ).fetchone()
        ours = role.role is not Role.UNCONFIGURED and role.point == code
        if last is None and not ours:
            continue  # never read here: a point without a reader (manual entry only)
        antennas = connection.execute(
            "SELECT antenna, max(corrected_time_us) FROM tag_read"
            " WHERE point_id = ? AND corrected_time_us >= ? GROUP BY antenna",
            (point_id, now - ANTENNA_MEMORY_S * US_PER_SECOND),
        ).fetchall()
        recent = {int(antenna): int(at) for antenna, at in antennas}
        watched.append(PointWatch(code, since, limit_s, last, recent))
    return sorted(watched, key=lambda p: p.code)


def _readers(
    connection: sqlite3.Connection, role: RoleConfig | None, now: int, *, reader_alive: bool
) -> list[ReaderWatch]:
    """The reader of reader.json, when the box reads at a point.

    ``reader_alive``: the reader process wrote its held-reads notice recently. On a full
    disk it cannot write its health row, yet it runs: that is the disk's alarm, not the
    reader's.
    """
    if role is None or role.role is Role.UNCONFIGURED or not role.point:
        return []
    address = f"{role.reader.host}:{role.reader.port}"
    try:
        row = connection.execute(
            "SELECT connected, updated_us, last_message_us, last_error FROM reader_health"
            " WHERE reader = ?",
            (address,),
        ).fetchone()
    except sqlite3.Error:
        row = None
    fresh = row is not None and now - row[1] <= STALE_AFTER_S * US_PER_SECOND
    if reader_alive and not fresh:
        return []  # its connection is unknown: the "disk full" alarm says what is wrong
    if row is None:
        return [ReaderWatch(address, role.point, reported=False)]
    connected, _, last_message, last_error = row
    return [
        ReaderWatch(
            address,
            role.point,
            reported=True,
            connected=bool(connected),
            service_running=fresh,
            last_message_us=last_message,
            last_error=last_error or "",
        )
    ]


def _worker(connection: sqlite3.Connection, now: int) -> WorkerState:
    """Whether a worker beats (as /jobs and chrono-edge status say)."""
    from edge.jobs.admin import HEARTBEAT_S

    try:
        (beat,) = connection.execute(
            "SELECT max(heartbeat_us) FROM job_worker WHERE status = 'running'"
        ).fetchone()
    except sqlite3.Error:  # not migrated yet: no worker ever ran
        beat = None
    running = beat is not None and now - beat <= 3 * HEARTBEAT_S * US_PER_SECOND
    return WorkerState(running, beat)


def _backlog(database: Path, role: RoleConfig | None) -> BacklogState | None:
    """The outbox toward where this box sends: its MASTER (SLAVE), central (enrolled MASTER)."""
    from edge.sync.outbox import Outbox

    if role is None:
        return None
    if role.role is Role.SLAVE:
        target = "master"
    elif role.role is Role.MASTER and role.central is not None:
        target = "central"
    else:
        return None
    try:
        lag = Outbox(database, target).lag()
    except sqlite3.Error:
        return None
    return BacklogState(target, lag.pending, lag.oldest_pending_age_s, lag.last_error)
