"""``chrono-edge reader``: the LLRP reader service (a systemd unit on every box)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import click

from edge.cli.base import box_paths, box_settings, database_path, role_file_option
from edge.heap import READER_ARENAS, limit_arenas
from edge.rfid.service import Tuning
from edge.rfid.supervisor import Choice, supervise
from edge.roleconfig import load_role
from edge.store import migrate
from edge.store.reads import SqliteFile

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.command("reader")
@click.option("--host", default=None, help="Reader address (default: reader.json).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Reader LLRP port.")
@click.option("--event", "slug", default=None, help="Event slug (default: reader.json).")
@click.option("--point", default=None, help="Timing point code (default: reader.json).")
@role_file_option
@click.option("-v", "--verbose", is_flag=True, help="Also log every commit of reads.")
@click.pass_context
def reader(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    slug: str | None,
    point: str | None,
    role_file: Path | None,
    verbose: bool,
) -> None:
    """Read tags from the LLRP reader and store every read durably, until SIGTERM or Ctrl-C.

    The role comes from reader.json (options override it) and is followed: a change of
    event, point or reader restarts the inventory without losing a read.
    """
    limit_arenas(READER_ARENAS)  # before any thread starts: edge.heap says why
    path = role_file or box_paths(ctx).role_file
    load_role(path)  # a broken file is refused now, every problem named
    choice = Choice(host=host, port=port, event=slug, point=point)
    _configure_logging(verbose)

    # The reader stores with plain sqlite3: SQLAlchemy and the data model stay unloaded.
    # On a full disk it starts all the same and holds its reads in memory.
    db = SqliteFile(database_path(ctx))
    migrate.upgrade_unless_full(db.path)
    tuning = Tuning(hold_reads=box_settings(ctx).reader_hold_reads)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await supervise(db, path, choice, stop, tuning=tuning)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)

    asyncio.run(serve())


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("edge").setLevel(logging.DEBUG if verbose else logging.INFO)
    # sllurp warns of every frame TCP split in two ("Too few bytes"); the service logs
    # connects and disconnects itself, sllurp's errors still show.
    logging.getLogger("sllurp").setLevel(logging.ERROR)
