"""``chrono-edge status``: the box at a glance (version, role, sync lag, tunnel, live
races, readers, worker), read-only, for a person or (``--json``) for a script.

ansible/status.yml prints it, update.yml refuses a box with a live race and gates on
its readers with it, and so does the over-the-air installer (``chrono-ota apply``).
What it reports is gathered by ``edge.services.boxstatus``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from edge.cli.base import box_paths, database_path, role_file_option
from edge.cli.output import print_json
from edge.services.boxstatus import box_status


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
