"""``chrono-edge firstboot`` and ``enroll-pending``: the box's first boot, run as root once."""

from __future__ import annotations

from pathlib import Path

import click

from edge.cli.base import EXIT_ERROR

DIRECTORY = click.Path(file_okay=False, path_type=Path)


@click.command()
@click.option(
    "--boot-dir",
    type=DIRECTORY,
    default=Path("/boot/firmware"),
    show_default=True,
    help="The SD card's boot partition (chronoedge.txt, the log, the setup PIN).",
)
@click.option(
    "--root",
    type=DIRECTORY,
    default=Path("/"),
    show_default=True,
    help="The system to set up (another folder: an image's root, nothing of this machine).",
)
def firstboot(boot_dir: Path, root: Path) -> None:
    """Make this box unique and apply chronoedge.txt, once (chronoedge-firstboot.service)."""
    from edge.appliance.firstboot import FirstBoot

    done = FirstBoot(root=root, boot_dir=boot_dir).run()
    if not done:
        raise SystemExit(EXIT_ERROR)


@click.command("enroll-pending")
@click.option("--root", type=DIRECTORY, default=Path("/"), show_default=True, help="The system.")
def enroll_pending(root: Path) -> None:
    """Enroll with the token first boot kept while central was out of reach (then forget it)."""
    from edge.appliance import presets
    from edge.appliance.firstboot import FirstBoot

    paths = FirstBoot(root=root, boot_dir=root).paths
    click.echo(presets.enroll_pending(paths))
