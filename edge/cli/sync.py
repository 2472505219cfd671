"""``chrono-edge sync``: replication of this box's outbox to central, and its lag."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from edge.cli.base import database_path, role_file_option
from edge.cli.forward import push_outbox
from edge.cli.output import print_json
from edge.store import migrate


@click.group()
def sync() -> None:
    """Replication of this box's changes to central."""


@sync.command("push")
@click.option("--once", is_flag=True, help="Drain the outbox once and exit (non-zero if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of --once as JSON.")
@role_file_option
@click.pass_context
def sync_push(ctx: click.Context, once: bool, as_json: bool, role_file: Path | None) -> None:
    """Send the outbox to central (retries for ever without --once)."""
    push_outbox(ctx, "central", role_file, once=once, as_json=as_json)


@sync.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sync_status(ctx: click.Context, as_json: bool) -> None:
    """How far the MASTER and central are behind this box (pending changes, oldest age)."""
    from edge.sync.outbox import Outbox

    path = database_path(ctx)
    migrate.upgrade(path)
    lags = [Outbox(path, target).lag() for target in ("master", "central")]
    if as_json:
        print_json([dataclasses.asdict(lag) for lag in lags])
        return
    for lag in lags:
        line = (
            f"{lag.target}: acked {lag.acked_seq}/{lag.last_seq}, {lag.pending} pending,"
            f" oldest {lag.oldest_pending_age_s:.1f} s"
        )
        if lag.last_error:
            line += f", {lag.attempts} failed attempts, last error: {lag.last_error}"
        click.echo(line)
