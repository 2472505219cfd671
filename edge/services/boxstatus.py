"""The box at a glance, read-only: version, role, sync lag, tunnel, live races, readers, worker.

What an operator asks of a box before and during an event (``chrono-edge status``), what
update.yml refuses a box with and gates on, and what an over-the-air update checks before
it installs (the worker's ``ota.*`` jobs in-process, the installer through ``chrono-edge
status --json``: ota.gates reads this dictionary either way). It only reads: a box
without a database yet reports no lag rather than creating one, and nothing is migrated.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

from edge.errors import ChronoEdgeError

SYNC_TARGETS = ("master", "central")


def sync_lags(database: Path) -> dict[str, dict[str, Any] | None]:
    """Per target, the outbox lag (None: no database yet, or one this version cannot read)."""
    from edge.sync.outbox import Outbox

    if not database.exists():
        return dict.fromkeys(SYNC_TARGETS)
    lags: dict[str, dict[str, Any] | None] = {}
    for target in SYNC_TARGETS:
        try:
            lags[target] = dataclasses.asdict(Outbox(database, target).lag())
        except sqlite3.Error:  # not migrated yet: no outbox table
            lags[target] = None
    return lags


def live_races(database: Path, now: int) -> list[dict[str, str]]:
    """Races that have started and are still open at ``now`` (edge.timing.course rules)."""
    from edge.domain.clock import from_us
    from edge.store.reads import connect
    from edge.timing.course import race_closes_us, race_live

    if not database.exists():
        return []
    starts: dict[tuple[str, str], list[int]] = {}
    cutoffs: dict[tuple[str, str], int | None] = {}
    connection = connect(database)
    try:
        rows = connection.execute(
            "SELECT event.slug, race.code, race.cutoff_us, wave.start_us FROM wave"
            " JOIN race ON race.id = wave.race_id JOIN event ON event.id = race.event_id"
        ).fetchall()
    except sqlite3.Error:  # not migrated yet
        rows = []
    finally:
        connection.close()
    for slug, code, cutoff, start in rows:
        starts.setdefault((slug, code), []).append(start)
        cutoffs[(slug, code)] = cutoff
    return [
        {
            "event": slug,
            "race": code,
            "open_until": from_us(race_closes_us(waves, cutoffs[(slug, code)])).isoformat(),
        }
        for (slug, code), waves in sorted(starts.items())
        if race_live(waves, cutoffs[(slug, code)], now)
    ]


def reader_states(database: Path, now: int) -> list[dict[str, Any]]:
    """Each reader the box talked to: connected, last written, and whether its service
    still writes its health (``running``: within edge.domain.health.STALE_AFTER_S)."""
    from edge.domain.clock import US_PER_SECOND
    from edge.domain.health import STALE_AFTER_S
    from edge.store.reads import connect

    if not database.exists():
        return []
    connection = connect(database)
    try:
        rows = connection.execute(
            "SELECT reader, connected, updated_us, last_error FROM reader_health ORDER BY reader"
        ).fetchall()
    except sqlite3.Error:
        rows = []
    finally:
        connection.close()
    stale_us = STALE_AFTER_S * US_PER_SECOND
    return [
        {
            "reader": reader,
            "connected": bool(connected),
            "updated_us": updated,
            "running": now - updated <= stale_us,
            "last_error": last_error,
        }
        for reader, connected, updated, last_error in rows
    ]


def worker_state(database: Path, now: int) -> dict[str, Any]:
    """The freshest heartbeat of a running worker, and whether it beats (as /jobs says)."""
    from edge.domain.clock import US_PER_SECOND
    from edge.jobs.admin import HEARTBEAT_S
    from edge.store.reads import connect

    beat: int | None = None
    if database.exists():
        connection = connect(database)
        try:
            found = connection.execute(
                "SELECT max(heartbeat_us) FROM job_worker WHERE status = 'running'"
            ).fetchone()
            beat = found[0] if found else None
        except sqlite3.Error:  # not migrated yet: no worker ever ran
            beat = None
        finally:
            connection.close()
    running = beat is not None and now - beat <= 3 * HEARTBEAT_S * US_PER_SECOND
    return {"heartbeat_us": beat, "running": running}


def box_status(role_file: Path, database: Path) -> dict[str, Any]:
    """Version, role, event, point, sync lag per target, tunnel, races, readers and worker."""
    from edge.domain.clock import now_us
    from edge.roleconfig import load_role
    from edge.services.boxstate import software_version, vpn_view

    now = now_us()
    status: dict[str, Any] = {"version": software_version(), "now_us": now, "problem": ""}
    try:
        role = load_role(role_file)
    except ChronoEdgeError as error:  # an unreadable reader.json is reported, not fatal
        status |= {"role": None, "event": None, "point": None, "master_url": None}
        status |= {"device_id": None, "enrolled": False, "problem": str(error)}
    else:
        status |= {
            "role": role.role.value,
            "event": role.event,
            "point": role.point,
            "master_url": role.master_url,
            "device_id": role.device_id,
            "enrolled": role.central is not None,
        }
    status["sync"] = sync_lags(database)
    status["live_races"] = live_races(database, now)
    status["readers"] = reader_states(database, now)
    status["worker"] = worker_state(database, now)
    vpn = vpn_view(role_file, bool(status["enrolled"]))
    status["tunnel"] = {
        "state": vpn.code,
        "interface": vpn.interface,
        "address": vpn.address,
        "handshake_age_s": vpn.handshake_age_s,
        "detail": vpn.detail,
    }
    return status
