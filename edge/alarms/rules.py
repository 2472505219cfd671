"""From a snapshot of the box to its alarms: pure functions, no clock, no I/O.

Other sources (the clock measurements of a SLAVE against its MASTER, say) bring their own
alarms: :func:`evaluate` merges them through ``extra`` (see :func:`merge`), so the console
and central see one list whatever found them.
"""

from __future__ import annotations

from collections.abc import Iterable

from edge.alarms.model import (
    Alarm,
    AlarmCode,
    BacklogState,
    BoxSnapshot,
    ClockState,
    DiskState,
    HeldState,
    PointWatch,
    ReaderWatch,
    Severity,
    Thresholds,
    WorkerState,
)
from edge.phrase import Phrase

_SECOND = 1_000_000
_MB = 1024 * 1024
_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1}


def evaluate(
    snapshot: BoxSnapshot, thresholds: Thresholds, extra: Iterable[Alarm] = ()
) -> list[Alarm]:
    """Every alarm of the box now, merged with ``extra`` alarms from other sources."""
    found: list[Alarm] = []
    for point in snapshot.points:
        found += no_read(point, snapshot.now_us, thresholds)
    for reader in snapshot.readers:
        found += reader_disconnected(reader)
    found += clock_unsynchronised(snapshot.clock)
    if snapshot.disk is not None:
        found += disk_low(snapshot.disk, thresholds)
    if snapshot.held is not None:
        found += disk_full(snapshot.held)
    if snapshot.backlog is not None:
        found += outbox_backlog(snapshot.backlog, thresholds)
    if snapshot.worker is not None:
        found += worker_down(snapshot.worker)
    return merge(found, extra)


def merge(*sources: Iterable[Alarm]) -> list[Alarm]:
    """One list from several sources: one alarm per key (the first one given), critical first.

    This is the hook for alarms found elsewhere (clock offsets measured by another module):
    pass them as a source and they are shown, reported and pushed like the box's own.
    """
    chosen: dict[str, Alarm] = {}
    for source in sources:
        for alarm in source:
            chosen.setdefault(alarm.key, alarm)
    return sorted(chosen.values(), key=lambda a: (_ORDER.get(a.severity, 9), a.code, a.subject))


def no_read(point: PointWatch, now_us: int, thresholds: Thresholds) -> list[Alarm]:
    """No read at the point (or at one of its antennas) for N seconds while its race is open.

    The silence counts from the latest of the race's start and the last read, so a race
    that has just started gets its full N seconds before the first runner arrives.
    """
    limit_s = point.no_read_s
    if limit_s <= 0:
        return []
    limit_us = int(limit_s * _SECOND)
    quiet_from = max(point.open_since_us, point.last_read_us or 0)
    if now_us - quiet_from >= limit_us:
        message = Phrase(
            "No read at {point} for {seconds} s while its race is open",
            point=point.code,
            seconds=(now_us - quiet_from) // _SECOND,
        )
        return [Alarm(AlarmCode.NO_READ, Severity.CRITICAL, message, quiet_from, point=point.code)]
    alarms = []
    for antenna, last_us in sorted(point.antennas.items()):
        quiet_from = max(point.open_since_us, last_us)
        if now_us - quiet_from >= limit_us:
            message = Phrase(
                "No read on antenna {antenna} at {point} for {seconds} s while the others read",
                antenna=antenna,
                point=point.code,
                seconds=(now_us - quiet_from) // _SECOND,
            )
            alarms.append(
                Alarm(
                    AlarmCode.NO_READ,
                    Severity.CRITICAL,
                    message,
                    quiet_from,
                    point=point.code,
                    antenna=antenna,
                )
            )
    return alarms


def reader_disconnected(reader: ReaderWatch) -> list[Alarm]:
    """The box's reader is not connected, or the service that reads it is not running."""
    if reader.reported and reader.connected and reader.service_running:
        return []
    if not reader.reported:
        message = Phrase(
            "Reader {reader} ({point}): no reader service has reported; is chrono-edge reader"
            " running?",
            reader=reader.reader,
            point=reader.point,
        )
    elif not reader.service_running:
        message = Phrase(
            "Reader {reader} ({point}): the reader service is not running",
            reader=reader.reader,
            point=reader.point,
        )
    elif reader.last_error:
        message = Phrase(
            "Reader {reader} ({point}) is disconnected: {error}",
            reader=reader.reader,
            point=reader.point,
            error=reader.last_error,
        )
    else:
        message = Phrase(
            "Reader {reader} ({point}) is disconnected", reader=reader.reader, point=reader.point
        )
    return [
        Alarm(
            AlarmCode.READER_DISCONNECTED,
            Severity.CRITICAL,
            message,
            reader.last_message_us,
            reader=reader.reader,
        )
    ]


def clock_unsynchronised(clock: ClockState) -> list[Alarm]:
    """The box's clock is known not to be synchronised (unknown raises nothing)."""
    if clock.synchronised is not False:
        return []
    if clock.detail:
        message = Phrase("The box's clock is not synchronised: {detail}", detail=clock.detail)
    else:
        message = Phrase("The box's clock is not synchronised")
    return [Alarm(AlarmCode.CLOCK_UNSYNCHRONISED, Severity.CRITICAL, message)]


def disk_low(disk: DiskState, thresholds: Thresholds) -> list[Alarm]:
    """Less free space than ``disk_free_pct`` where the database lives."""
    if disk.free_pct >= thresholds.disk_free_pct:
        return []
    message = Phrase(
        "Disk almost full: {pct} % free ({mb} MB)",
        pct=f"{disk.free_pct:.1f}",
        mb=disk.free_bytes // _MB,
    )
    return [Alarm(AlarmCode.DISK_LOW, Severity.WARNING, message)]


def disk_full(held: HeldState) -> list[Alarm]:
    """The reader cannot store its reads (the disk is full): it holds them in memory."""
    if held.dropped:
        message = Phrase(
            "Disk full: {held} reads held in memory, not stored yet; {dropped} newer reads"
            " dropped (at most {bound} held). Free space on the box now",
            held=held.held,
            dropped=held.dropped,
            bound=held.bound,
        )
    else:
        message = Phrase(
            "Disk full: {held} reads held in memory, not stored yet (at most {bound});"
            " free space on the box, they are stored once there is room",
            held=held.held,
            bound=held.bound,
        )
    return [Alarm(AlarmCode.DISK_FULL, Severity.CRITICAL, message, held.since_us)]


def outbox_backlog(backlog: BacklogState, thresholds: Thresholds) -> list[Alarm]:
    """Changes have waited longer than ``backlog_age_s``: the backlog grows, nothing drains it."""
    if backlog.pending == 0 or backlog.oldest_pending_age_s < thresholds.backlog_age_s:
        return []
    message = Phrase(
        "Outbox backlog growing: {pending} changes wait for the {target}, the oldest for {age} s",
        pending=backlog.pending,
        target=backlog.target,
        age=int(backlog.oldest_pending_age_s),
    )
    return [Alarm(AlarmCode.OUTBOX_BACKLOG, Severity.WARNING, message)]


def worker_down(worker: WorkerState) -> list[Alarm]:
    """No worker beats: no sync, no results cache, no backups."""
    if worker.running:
        return []
    message = Phrase("The worker is not running: no sync, no live results, no backups")
    return [Alarm(AlarmCode.WORKER_DOWN, Severity.CRITICAL, message, worker.heartbeat_us)]
