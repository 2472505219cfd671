"""``chrono-edge``: the command line of a box (global options before the subcommand)."""

from __future__ import annotations

from edge.cli.base import cli
from edge.cli.data import entrants, event, passings, reads, results
from edge.cli.emulator import simulate_reader
from edge.cli.firstboot import enroll_pending, firstboot
from edge.cli.fleet import backup, enroll, restore
from edge.cli.forward import forward
from edge.cli.jobs import jobs, worker
from edge.cli.panel import panel
from edge.cli.reader import reader
from edge.cli.role import role
from edge.cli.server import db, paths, serve
from edge.cli.status import status
from edge.cli.sync import sync

for command in (
    backup,
    db,
    enroll,
    enroll_pending,
    event,
    firstboot,
    entrants,
    forward,
    jobs,
    panel,
    passings,
    paths,
    reader,
    reads,
    restore,
    results,
    role,
    serve,
    simulate_reader,
    status,
    sync,
    worker,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``chrono-edge`` console script."""
    cli(prog_name="chrono-edge")
