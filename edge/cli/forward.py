"""``chrono-edge forward``: a SLAVE sends its reads to the MASTER named in reader.json.

The push loop here is the one ``chrono-edge sync push`` (box -> central) runs
too; only the target differs (edge.sync.forwarder).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
from pathlib import Path

import click

from edge.cli.base import box_paths, box_settings, database_path, role_file_option
from edge.cli.output import print_json
from edge.store import migrate


@click.command()
@click.option("--once", is_flag=True, help="Drain the outbox once and exit (non-zero if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of --once as JSON.")
@role_file_option
@click.pass_context
def forward(ctx: click.Context, once: bool, as_json: bool, role_file: Path | None) -> None:
    """SLAVE: send reads to the MASTER named in reader.json (retries for ever without --once)."""
    push_outbox(ctx, "master", role_file, once=once, as_json=as_json)


def push_outbox(
    ctx: click.Context, target: str, role_file: Path | None, *, once: bool, as_json: bool
) -> None:
    """Push the outbox to ``target`` once, or until SIGTERM/SIGINT (retrying for ever)."""
    from edge.roleconfig import load_role
    from edge.sync.forwarder import Forwarder

    path = database_path(ctx)
    migrate.upgrade(path)
    role = load_role(role_file or box_paths(ctx).role_file)
    clock_every_s = box_settings(ctx).clock_probe_every_s

    async def _main() -> None:
        forwarding = Forwarder.from_role(role, target, path, clock_every_s=clock_every_s)
        async with forwarding as forwarder:
            if once:
                acked = await forwarder.push_once()
                lag = await asyncio.to_thread(forwarder.outbox.lag)
                if as_json:
                    print_json({"acked": acked} | dataclasses.asdict(lag))
                else:
                    click.echo(f"{target}: {acked} changes acked, up to seq {lag.acked_seq}")
                return
            logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            try:
                await forwarder.run_forever(stop)
            finally:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)

    asyncio.run(_main())
