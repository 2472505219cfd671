"""An event's archive: one sealed file holding all the box knows of the event.

Inside the age envelope, a gzip'd tar:

    manifest.json       event, when, the outbox seq of the snapshot, counts, sha256 of each member
    event.db            the database (SQLite online backup) with every other event removed
    corrections.csv     the history of corrections, undone ones included
    exports/...         the event's export files (result sheets, certificates)
    logs/jobs.jsonl     the box's background jobs and their log lines
    logs/readers.json   the readers' health as last seen at the event's points

The plain files exist only in a private work folder while the archive is made and
are removed as soon as it is sealed: the box keeps only what it cannot read.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.backup.purge import purge_event_rows
from edge.domain.clock import now_us
from edge.errors import ChronoEdgeError
from edge.exports.files import export_name
from edge.sealing import Sealed, file_sha256, seal_file
from edge.store.sqlite import BUSY_TIMEOUT_MS, private_database

_PAGES_PER_STEP = 1024  # copy in steps so writers (the reader service) are not held up
_COUNTED = ("tag_read", "passing", "entrant", "correction", "race", "timing_point")


class ArchiveFailed(ChronoEdgeError):
    """The event's archive could not be made; nothing on the box was changed."""


@dataclass(frozen=True)
class BuiltArchive:
    """A sealed archive and what it holds."""

    sealed: Sealed
    seq: int  # the last outbox seq of the box inside the snapshot
    counts: dict[str, int]


def archive_file_name(slug: str, archive_id: str) -> str:
    """The sealed file's name in the archives folder."""
    return f"{export_name(slug, 'archive', archive_id, 'tar.gz')}.age"


def build_archive(
    db_path: Path, slug: str, archive_id: str, folder: Path, exports: Path, recipient: str
) -> BuiltArchive:
    """Snapshot ``slug``'s data, pack it with its exports and logs, seal it for ``recipient``."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f"{archive_id}.work"
    shutil.rmtree(work, ignore_errors=True)  # a build cut short by a restart starts over
    work.mkdir(mode=0o700)
    try:
        seq, counts = _event_database(db_path, slug, work / "event.db")
        counts["corrections_csv"] = _corrections_csv(work / "event.db", work / "corrections.csv")
        counts["exports"] = _copy_exports(exports, slug, work / "exports")
        counts["log_lines"] = _logs(db_path, slug, work / "logs")
        _manifest(work, slug, archive_id, seq, counts)
        packed = work / "archive.tar.gz"
        with tarfile.open(packed, "w:gz", compresslevel=6) as tar:
            for member in sorted(p for p in work.rglob("*") if p.is_file() and p != packed):
                tar.add(member, arcname=str(member.relative_to(work)))
        target = folder / archive_file_name(slug, archive_id)
        sealed = seal_file(packed, target, recipient)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BuiltArchive(sealed, seq, counts)


def _event_database(db_path: Path, slug: str, copy: Path) -> tuple[int, dict[str, int]]:
    """A consistent copy of the box's database holding ``slug`` alone; its seq and counts."""
    source = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
    private_database(copy)
    target = sqlite3.connect(copy, isolation_level=None)
    try:
        source.backup(target, pages=_PAGES_PER_STEP)
        seq = int(target.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])
        row = target.execute("SELECT id FROM event WHERE slug = ?", [slug]).fetchone()
        if row is None:
            raise ArchiveFailed(f"there is no event {slug!r} on this box to archive")
        target.execute("PRAGMA foreign_keys = ON")
        target.execute("BEGIN IMMEDIATE")
        others = target.execute("SELECT id, slug FROM event WHERE slug != ?", [slug]).fetchall()
        for other_id, other_slug in others:
            purge_event_rows(target, other_id, other_slug)
        # Other events' changes and the box's jobs are not this event's (logs/ has the jobs).
        target.execute("DELETE FROM outbox WHERE json_extract(payload, '$.event') IS NOT ?", [slug])
        target.execute("DELETE FROM job_log")
        target.execute("DELETE FROM job")
        target.execute("DELETE FROM event_archive WHERE event_slug != ?", [slug])
        target.execute("DELETE FROM failed_attempt")  # logins to the box, not the event's
        target.execute("COMMIT")
        target.execute("VACUUM")  # the removed rows' bytes go too
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise ArchiveFailed(f"the event's snapshot failed its integrity check: {check}")
        counts = {
            table: int(target.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in _COUNTED
        }
    finally:
        target.close()
        source.close()
    return seq, counts


def _corrections_csv(event_db: Path, target: Path) -> int:
    """Every correction of the event, oldest first, undone ones included; how many."""
    connection = sqlite3.connect(event_db)
    try:
        rows = connection.execute(
            "SELECT c.id, c.created_us, c.created_by, c.kind, c.bib, p.code, c.time_us,"
            " t.code, c.target_epc, c.target_time_us, c.passing_id, c.status, c.reason,"
            " c.undone_us, c.undone_by"
            " FROM correction c LEFT JOIN timing_point p ON p.id = c.point_id"
            " LEFT JOIN timing_point t ON t.id = c.target_point_id ORDER BY c.created_us, c.id"
        ).fetchall()
    finally:
        connection.close()
    header = ["id", "created_us", "created_by", "kind", "bib", "point", "time_us"]
    header += ["target_point", "target_epc", "target_time_us", "passing_id", "status", "reason"]
    header += ["undone_us", "undone_by"]
    with target.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _copy_exports(exports: Path, slug: str, target: Path) -> int:
    """The event's export files (result sheets, certificates); how many."""
    target.mkdir()
    found = event_exports(exports, slug)
    for path in found:
        shutil.copy2(path, target / path.name)
    return len(found)


def event_exports(exports: Path, slug: str) -> list[Path]:
    """The export files of ``slug`` in the exports folder (the purge removes them)."""
    prefix = export_name(slug, "x", "x", "x").split("_", 1)[0] + "_"
    if not exports.is_dir():
        return []
    return sorted(p for p in exports.iterdir() if p.is_file() and p.name.startswith(prefix))


def _logs(db_path: Path, slug: str, target: Path) -> int:
    """The jobs' log lines and the readers' health at the event's points; how many lines."""
    target.mkdir()
    connection = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.row_factory = sqlite3.Row
    try:
        jobs = connection.execute(
            "SELECT id, kind, state, payload, result, errors, created_us, finished_us FROM job"
            " ORDER BY id"
        ).fetchall()
        lines = connection.execute(
            "SELECT job_id, at_us, level, message FROM job_log ORDER BY id"
        ).fetchall()
        readers = connection.execute(
            "SELECT * FROM reader_health WHERE event_slug = ?", [slug]
        ).fetchall()
    finally:
        connection.close()
    by_job: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        by_job.setdefault(int(line["job_id"]), []).append(dict(line))
    with (target / "jobs.jsonl").open("w", encoding="utf-8") as file:
        for job in jobs:
            record = dict(job) | {"log": by_job.get(int(job["id"]), [])}
            file.write(json.dumps(record, sort_keys=True) + "\n")
    (target / "readers.json").write_text(json.dumps([dict(r) for r in readers], indent=1))
    return len(lines)


def _manifest(work: Path, slug: str, archive_id: str, seq: int, counts: dict[str, int]) -> None:
    files = {}
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        name = str(path.relative_to(work))
        files[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    manifest = {
        "format": "chronoedge-event-archive/1",
        "archive_id": archive_id,
        "event": slug,
        "created_us": now_us(),
        "seq": seq,
        "counts": counts,
        "files": files,
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
