"""``chrono-edge enroll``: join the fleet of a central server."""

from __future__ import annotations

from pathlib import Path

import click

from edge.settings import get_settings


@click.command()
@click.option("--central", "central_url", required=True, help="Central's base URL.")
@click.option("--token", required=True, help="Enrollment token from `chrono-central enroll-token`.")
@click.option(
    "--role-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="reader.json (default: $CHRONO_EDGE_ROLE_FILE, else var/reader.json).",
)
def enroll(central_url: str, token: str, role_file: Path | None) -> None:
    """Enroll this box with central: device id, token and tunnel address into reader.json."""
    from edge.fleet.enrollment import enroll as enroll_box

    settings = get_settings()
    path = role_file or settings.role_file
    link = enroll_box(central_url, token, path, settings.key_folder)
    click.echo(f"enrolled as device {link.device_id}, tunnel address {link.tunnel_address}")
