"""``chrono-edge status``: the box at a glance (version, role, sync lag, tunnel, live
races, readers), read-only.

What an operator asks of a box before and during an event, in one call, for a person
or (``--json``) for a script: ansible/status.yml prints it, update.yml refuses a box
with a live race and gates on its readers with it. It only reads: a box without a
database yet reports no lag rather than creating one, and nothing is migrated.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import click

from edge.cli.base import box_paths, database_path, role_file_option
from edge.cli.output import print_json
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


def box_status(role_file: Path, database: Path) -> dict[str, Any]:
    """Version, role, event, point, sync lag per target and tunnel state of this box."""
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
    vpn = vpn_view(role_file, bool(status["enrolled"]))
    status["tunnel"] = {
        "state": vpn.code,
        "interface": vpn.interface,
        "address": vpn.address,
        "handshake_age_s": vpn.handshake_age_s,
        "detail": vpn.detail,
    }
    return status


def _lag_text(lag: dict[str, Any] | None) -> str:
    if lag is None:
        return "no database"
    text = f"{lag['pending']} pending, oldest {lag['oldest_pending_age_s']:.0f} s"
    if lag["last_error"]:
        text += f" (last error: {lag['last_error']})"
    return text


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts and Ansible).")
@role_file_option
@click.pass_context
def status(ctx: click.Context, as_json: bool, role_file: Path | None) -> None:
    """Show the box's version, role, sync lag and tunnel (changes nothing)."""
    found = box_status(role_file or box_paths(ctx).role_file, database_path(ctx))
    if as_json:
        print_json(found)
        return
    click.echo(f"version: {found['version']}")
    if found["problem"]:
        click.echo(f"role: unreadable: {found['problem']}")
    else:
        click.echo(f"role: {found['role']} (event {found['event']}, point {found['point']})")
    for target, lag in found["sync"].items():
        click.echo(f"sync to {target}: {_lag_text(lag)}")
    tunnel = found["tunnel"]
    click.echo(f"tunnel {tunnel['interface']}: {tunnel['state']} {tunnel['detail']}".rstrip())
    for race in found["live_races"]:
        click.echo(f"live race: {race['event']} {race['race']} (open until {race['open_until']})")
    for reader in found["readers"]:
        state = "connected" if reader["connected"] else "not connected"
        service = "" if reader["running"] else ", its service is not running"
        click.echo(f"reader {reader['reader']}: {state}{service}")
