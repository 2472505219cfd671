"""``chrono-ota``: the update tooling's command line."""

from __future__ import annotations

from importlib.metadata import version

import click


@click.group()
@click.version_option(version("chronoedge"), prog_name="chrono-ota")
def cli() -> None:
    """ChronoEdge over-the-air update tooling."""


def main() -> None:
    """Entry point of the ``chrono-ota`` console script."""
    cli(prog_name="chrono-ota")
