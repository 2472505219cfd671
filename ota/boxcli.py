"""``chrono-ota status`` and ``chrono-ota apply``: the commands that run on a box.

Both read where the box keeps its files from the box's own settings
(``CHRONO_EDGE_DATA_DIR``, ``CHRONO_EDGE_CONFIG_DIR``) and the update settings
(``CHRONO_OTA_*``); ``apply`` is the installer, run as root by
``chronoedge-update.service``.
"""

from __future__ import annotations

import json
import logging
import sys

import click

from edge.settings import get_settings
from ota.installer import Installer
from ota.layout import Layout
from ota.settings import get_ota_settings
from ota.status import update_status


def box_layout() -> Layout:
    """The layout of the box this runs on, from its settings."""
    return Layout(get_ota_settings(), get_settings().paths)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
def status(as_json: bool) -> None:
    """Show this box's releases, the update offered, and the last install attempt."""
    found = update_status(box_layout())
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    click.echo(f"current: {found['current'] or 'none'}")
    click.echo(f"previous: {found['previous'] or 'none'}")
    offered = found["offered"] or "nothing"
    rollout = f" (rollout {found['rollout']}, {found['percent']} %)" if found["rollout"] else ""
    click.echo(f"offered on {found['channel']}: {offered}{rollout}")
    state = found["state"]
    why = found["reason"] or found["error"]
    click.echo(f"state: {state}" + (f": {why}" if why else ""))
    download = found["download"]
    if download and not download["verified"]:
        click.echo(f"download: {download['received']} of {download['total']} bytes")
    attempt = found["last_attempt"]
    if attempt:
        ended = f", finished {attempt['finished_at']}" if attempt["finished_at"] else ""
        click.echo(
            f"last attempt: {attempt['from']} -> {attempt['version']}: {attempt['step']}"
            f" (started {attempt['started_at']}{ended})"
        )
    if found["deferred_until"]:
        click.echo(f"deferred until {found['deferred_until']}")


@click.command()
def apply() -> None:
    """Install the requested release, or finish or roll back an interrupted install (root).

    Exits 0 whenever the attempt reached a final state, failed included (state.json and the
    reports say how it ended); a crash exits non-zero, and systemd starts it again.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stdout)
    attempt = Installer(box_layout()).apply()
    if attempt is None:
        click.echo("nothing to install")
        return
    error = f": {attempt.error}" if attempt.error else ""
    click.echo(f"{attempt.request.version}: {attempt.step.value}{error}")
