"""A full disk, piece by piece: how it is recognised, the reader's notice, its bound, the alarm."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from sqlalchemy.exc import OperationalError

from edge.alarms.model import AlarmCode, BoxSnapshot, HeldState, Severity, Thresholds
from edge.alarms.rules import evaluate
from edge.rfid.batcher import ReadQueue
from edge.store.held import NOTICE_BYTES, STALE_AFTER_S, HeldNotice, HeldReads, read_held
from edge.store.reads import ReadIn
from edge.store.sqlite import out_of_space
from edge.web.i18n import translator

S = 1_000_000
NOW = 1_780_000_000 * S


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def test_sqlite_full_and_a_missing_shm_file_are_a_full_disk_even_behind_sqlalchemy():
    full = sqlite_error("database or disk is full", sqlite3.SQLITE_FULL)
    assert out_of_space(full)
    assert out_of_space(OperationalError("INSERT ...", {}, full))
    shm = sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR_SHMSIZE)
    assert out_of_space(shm)
    assert out_of_space(OSError(errno.ENOSPC, "No space left on device"))
    # A ROLLBACK that failed after SQLite rolled back by itself keeps the cause as context.
    rollback = sqlite3.OperationalError("cannot rollback - no transaction is active")
    rollback.__context__ = full
    assert out_of_space(rollback)


def test_other_errors_are_not_a_full_disk(tmp_path: Path):
    assert not out_of_space(sqlite_error("database is locked", sqlite3.SQLITE_BUSY))
    assert not out_of_space(OSError(errno.EACCES, "Permission denied"))
    write = sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR_WRITE)
    assert not out_of_space(write)  # where unknown: a failing card, maybe
    assert not out_of_space(write, tmp_path)  # this disk has room


def test_the_notice_is_made_with_its_room_then_overwritten_in_place(tmp_path: Path):
    database = tmp_path / "edge.db"
    notice = HeldNotice(database)
    assert notice.open()
    assert notice.path.stat().st_size == NOTICE_BYTES
    assert read_held(database) is None  # room, nothing said yet
    state = HeldReads(1234, 5, 200_000, NOW, "database or disk is full", os.getpid(), NOW)
    notice.write(state)
    inode = notice.path.stat().st_ino
    notice.write(HeldReads(0, 0, 200_000, None, "", os.getpid(), NOW + S))
    notice.close()
    assert notice.path.stat().st_ino == inode  # the same blocks: no room needed
    assert notice.path.stat().st_size == NOTICE_BYTES
    again = read_held(database)
    assert again == HeldReads(0, 0, 200_000, None, "", os.getpid(), NOW + S)
    assert not again.disk_full
    assert again.fresh(NOW + S + int(STALE_AFTER_S * S))
    assert not again.fresh(NOW + S + int(STALE_AFTER_S * S) + 1)
    assert oct(notice.path.stat().st_mode & 0o777) == oct(0o600)


def read(n: int) -> ReadIn:
    return ReadIn(f"E{n:04d}", 1, -60.0, n, n)


async def test_past_its_bound_the_queue_refuses_the_newest_reads_and_counts_them():
    queue = ReadQueue(bound=5)
    queue.put([read(n) for n in range(3)])
    batch = queue.take(10)  # a commit under way: its reads are still held
    queue.put([read(n) for n in range(3, 6)])
    assert len(queue) == 2
    assert queue.dropped == 1
    queue.give_back(batch)  # the commit failed (a full disk)
    queue.put([read(6)])
    assert queue.dropped == 2
    assert queue.received == 7
    assert [r.epc for r in queue.take(10)] == [f"E{n:04d}" for n in range(5)]
    queue.stored()
    queue.put([read(7)])
    assert len(queue) == 1
    assert queue.dropped == 2


def test_the_alarm_says_how_many_reads_are_held_and_dropped_in_both_languages():
    thresholds = Thresholds()
    held = evaluate(BoxSnapshot(NOW, held=HeldState(1234, 0, 200_000, NOW - S)), thresholds)
    [alarm] = held
    assert alarm.code == AlarmCode.DISK_FULL
    assert alarm.severity is Severity.CRITICAL
    assert alarm.since_us == NOW - S
    assert str(alarm.message).startswith("Disk full: 1234 reads held in memory, not stored yet")
    french = translator("fr")(alarm.message)
    assert french.startswith("Disque plein : 1234 lectures gardées en mémoire")
    [dropping] = evaluate(BoxSnapshot(NOW, held=HeldState(300, 42, 300, NOW)), thresholds)
    assert "42 newer reads dropped (at most 300 held)" in str(dropping.message)
    assert "42 lectures plus récentes perdues" in translator("fr")(dropping.message)
    assert evaluate(BoxSnapshot(NOW), thresholds) == []
