"""``chrono-edge panel``: the status LED, buzzer and shutdown button of the box."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import click

from edge.cli.base import box_paths, open_database, role_file_option
from edge.roleconfig import load_role


@click.command()
@role_file_option
@click.pass_context
def panel(ctx: click.Context, role_file: Path | None) -> None:
    """Show the box's state on the LED, beep for passings, shut down on a long press."""
    from edge.gpio.monitor import PanelMonitor, shut_down
    from edge.gpio.panel import StatusPanel

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_role(role_file or box_paths(ctx).role_file)
    if not config.gpio.enabled:
        click.echo("the GPIO panel is disabled in reader.json (gpio.enabled); nothing to do")
        return
    database = open_database(ctx)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        device = StatusPanel(config.gpio, on_shutdown=lambda: shut_down(config.gpio))
        try:
            await PanelMonitor(database, device).run(stop)
        finally:
            device.close()
            await database.close()

    asyncio.run(_main())
