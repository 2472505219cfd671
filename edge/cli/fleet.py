"""``chrono-edge enroll``: join the fleet of a central server."""

from __future__ import annotations

from pathlib import Path

import click

from edge.cli.base import box_paths, role_file_option


@click.command()
@click.option("--central", "central_url", required=True, help="Central's base URL.")
@click.option("--token", required=True, help="Enrollment token from `chrono-central enroll-token`.")
@role_file_option
@click.pass_context
def enroll(ctx: click.Context, central_url: str, token: str, role_file: Path | None) -> None:
    """Enroll this box with central: device id, token and tunnel address into reader.json."""
    from edge.fleet.enrollment import enroll as enroll_box

    paths = box_paths(ctx)
    link = enroll_box(central_url, token, role_file or paths.role_file, paths.key_folder)
    click.echo(f"enrolled as device {link.device_id}, tunnel address {link.tunnel_address}")
    if link.tunnel_granted:
        click.echo(f"tunnel to {link.hub_endpoint}: the worker brings it up (job vpn.keep_up)")
    else:
        click.echo(f"no tunnel: central has no WireGuard hub, so the box syncs to {link.url}")


@click.command()
@role_file_option
@click.pass_context
def backup(ctx: click.Context, role_file: Path | None) -> None:
    """Snapshot the database now and upload it to central (resumes an interrupted upload)."""
    from edge.backup.snapshot import backups_held, take_snapshot
    from edge.backup.upload import upload_snapshot
    from edge.errors import ChronoEdgeError
    from edge.roleconfig import load_role

    paths = box_paths(ctx)
    link = load_role(role_file or paths.role_file).central
    if link is None:
        raise ChronoEdgeError("this box is not enrolled: run `chrono-edge enroll` first")
    with backups_held(paths.backups_folder):
        snapshot = take_snapshot(paths.database, paths.backups_folder)
        try:
            result = upload_snapshot(snapshot, link)
        finally:
            snapshot.path.unlink(missing_ok=True)
    click.echo(f"backup {result.backup_id}: {result.size} bytes, up to change {snapshot.seq}")


@click.command()
@click.option("--central", "central_url", required=True, help="Central's base URL.")
@click.option("--device", "device_id", required=True, help="Id of the box to restore.")
@click.option("--user", required=True, help="Central admin username.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    envvar="CHRONO_CENTRAL_PASSWORD",
    help="Admin password (asked when absent; or $CHRONO_CENTRAL_PASSWORD).",
)
@click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The fleet backup key's identity file (central seals backups with its recipient).",
)
@role_file_option
@click.pass_context
def restore(
    ctx: click.Context,
    central_url: str,
    device_id: str,
    user: str,
    password: str,
    identity: Path | None,
    role_file: Path | None,
) -> None:
    """Rebuild this (replacement) box from central's latest backup of DEVICE, then become it."""
    from edge.backup.restore import adopt_identity, restore_from_central

    paths = box_paths(ctx)
    report = restore_from_central(
        central_url, device_id, (user, password), paths.database, identity
    )
    click.echo(
        f"restored backup {report.backup_id}: snapshot up to change {report.snapshot_seq}, "
        f"{report.changes_replayed} changes replayed up to {report.last_seq}; "
        f"{report.tag_reads} reads, {report.passings} passings; integrity_check ok"
    )
    link = adopt_identity(
        central_url, device_id, (user, password), role_file or paths.role_file,
        paths.key_folder,
    )  # fmt: skip
    click.echo(f"this box is now device {link.device_id} ({link.tunnel_address})")
