"""``chrono-ota``: the update tooling's command line."""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

import click

from edge.command import ReportingGroup
from ota import boxcli
from ota.bundle import DEFAULT_OUTPUT, build_bundle
from ota.errors import OtaError
from ota.repository_cli import keys, publish_command, rollout
from ota.targets import TARGETS, get_target
from ota.verify import verify_bundle


class OtaGroup(ReportingGroup):
    """A click group that reports update errors as a message and exit code 1."""

    reported = (OtaError,)


@click.group(cls=OtaGroup)
@click.version_option(version("chronoedge"), prog_name="chrono-ota")
def cli() -> None:
    """ChronoEdge over-the-air update tooling."""


@cli.command()
@click.option("--target", required=True, type=click.Choice(sorted(TARGETS)), help="Platform.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Folder the bundle is written to.",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path(),
    help="The git checkout to build from (default: the current folder).",
)
def bundle(target: str, output: Path, source: Path) -> None:
    """Build the release bundle (all wheels, manifest.json) of the checkout for TARGET."""
    started = time.monotonic()
    path = build_bundle(source, get_target(target), output)
    size = path.stat().st_size / 1e6
    click.echo(f"{path} ({size:.1f} MB, built in {time.monotonic() - started:.0f} s)")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--target", type=click.Choice(sorted(TARGETS)), help="Refuse other platforms.")
def verify(path: Path, target: str | None) -> None:
    """Check a bundle's manifest, target and every file's sha256 and size."""
    manifest = verify_bundle(path, target)
    state = " (dirty tree)" if manifest.dirty else ""
    click.echo(
        f"{path.name}: OK, chronoedge {manifest.version} for {manifest.target}, "
        f"{len(manifest.files)} files, commit {manifest.commit[:12]}{state}"
    )


cli.add_command(keys)
cli.add_command(publish_command)
cli.add_command(rollout)
cli.add_command(boxcli.status)
cli.add_command(boxcli.apply)


def main() -> None:
    """Entry point of the ``chrono-ota`` console script."""
    cli(prog_name="chrono-ota")
