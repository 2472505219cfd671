"""``chrono-central``: the central server's command line."""

from __future__ import annotations

from importlib.metadata import version

import click


@click.group()
@click.version_option(version("chronoedge"), prog_name="chrono-central")
def cli() -> None:
    """ChronoEdge central server (serve, users, enrollment: see the central issue)."""


def main() -> None:
    """Entry point of the ``chrono-central`` console script."""
    cli(prog_name="chrono-central")
