"""``chrono-edge simulate-reader``: the emulated LLRP reader, for boxes without one."""

from __future__ import annotations

import click


@click.command(
    "simulate-reader",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def simulate_reader(args: tuple[str, ...]) -> None:
    """Run an emulated Impinj LLRP reader that plays a race (`--help` for its options)."""
    from edge.rfid.emulator import main

    raise SystemExit(main(list(args)))
