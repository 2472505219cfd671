"""``chrono-central``: the central server's command line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import click

from central.errors import CentralError
from central.settings import get_settings
from central.store import migrate
from central.store.database import CentralDatabase
from edge.command import ReportingGroup
from edge.domain.clock import from_us

T = TypeVar("T")


class CentralGroup(ReportingGroup):
    """A click group that reports central errors as a message and exit code 1."""

    reported = (CentralError,)


def _run(work: Callable[[CentralDatabase], Awaitable[T]]) -> T:
    url = get_settings().database_url
    migrate.upgrade(url)
    database = CentralDatabase(url)

    async def _main() -> T:
        try:
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(_main())


@click.group(cls=CentralGroup)
@click.version_option(version("chronoedge"), prog_name="chrono-central")
def cli() -> None:
    """ChronoEdge central server (database from $CHRONO_CENTRAL_DATABASE_URL)."""


@cli.group()
def db() -> None:
    """The central database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the newest schema."""
    migrate.upgrade(get_settings().database_url)
    click.echo("central database at the newest schema")


@cli.command()
@click.option("--host", default=None, help="Listen address (default from settings).")
@click.option("--port", type=int, default=None, help="Listen port (default from settings).")
def serve(host: str | None, port: int | None) -> None:
    """Start the central server (migrates the database first)."""
    import uvicorn

    from central.app import create_app

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    _start_hub()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=settings.access_log,
        # X-Forwarded-For only from the configured proxy (nginx): believed from anyone,
        # it lets a client pick the address its failed logins are counted under.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        server_header=False,  # no "server: uvicorn" telling a stranger what to attack
    )


def _start_hub() -> None:
    """Bring the hub up and make its peers match the table; central serves even if it fails."""
    from central.vpn.service import HubService

    settings = get_settings()
    if not settings.hub_interface:
        click.echo("no WireGuard hub configured (CHRONO_CENTRAL_HUB_INTERFACE): no tunnels")
        return
    try:
        started = _run(lambda db: HubService(db, settings).start())
    except CentralError as error:
        click.echo(f"warning: the WireGuard hub is not running: {error}", err=True)
        return
    made = "created, " if started.created else ""
    click.echo(f"hub {settings.hub_interface}: {made}{started.peers} peers reconciled")


@cli.group()
def vpn() -> None:
    """Central's WireGuard hub."""


@vpn.command("reconcile")
def vpn_reconcile() -> None:
    """Make the hub interface's peers exactly the peer table (wg syncconf)."""
    from central.errors import Invalid
    from central.vpn.service import HubService

    settings = get_settings()

    async def _reconcile(db: CentralDatabase) -> int:
        hub = HubService(db, settings)
        hub.hub()  # refuses when no hub is configured
        if not hub.running():
            interface = settings.hub_interface
            raise Invalid(
                f"the hub interface {interface} does not exist: start chrono-central serve"
            )
        return await hub.reconcile()

    count = _run(_reconcile)
    click.echo(f"hub {settings.hub_interface}: {count} peers")


@vpn.command("peers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def vpn_peers(as_json: bool) -> None:
    """The peer table with each box's last handshake age (needs the hub running for ages)."""
    from central.vpn.service import HubService

    settings = get_settings()

    async def _peers(db: CentralDatabase) -> list[dict[str, object]]:
        hub = HubService(db, settings)
        ages = await hub.handshakes() or {}
        return [
            {
                "device_id": row.device_id,
                "public_key": row.public_key,
                "tunnel_address": row.tunnel_address,
                "handshake_age_s": ages.get(row.device_id),
            }
            for row in await hub.table()
        ]

    rows = _run(_peers)
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        age = row["handshake_age_s"]
        seen = "never" if age is None else f"{age:.0f} s ago"
        click.echo(f"{row['tunnel_address']}\t{row['device_id']}\thandshake {seen}")


@cli.group()
def user() -> None:
    """Admin accounts of the dashboard."""


def _read_password(from_stdin: bool, prompt: str) -> str:
    """A password from standard input's first line, else asked twice on the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@user.command("create")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def user_create(username: str, password_stdin: bool) -> None:
    """Create an admin account (the password is asked twice unless --password-stdin)."""
    from central.services.users import UserService

    password = _read_password(password_stdin, "Password")
    created = _run(lambda db: UserService(db).create(username, password))
    click.echo(f"user {created.username} created")


@user.command("password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def user_password(username: str, password_stdin: bool) -> None:
    """Give an admin a new password; the admin's open sessions end."""
    from central.services.users import UserService

    password = _read_password(password_stdin, "New password")
    changed = _run(lambda db: UserService(db).set_password(username, password))
    click.echo(f"user {changed.username}: password changed, its sessions ended")


@user.command("delete")
@click.argument("username")
def user_delete(username: str) -> None:
    """Remove an admin account; its open sessions end."""
    from central.services.users import UserService

    _run(lambda db: UserService(db).delete(username))
    click.echo(f"user {username.strip()} deleted, its sessions ended")


@cli.group("enroll-token")
def enroll_token() -> None:
    """Single-use tokens that let a box join the fleet."""


@enroll_token.command("create")
@click.option("--event", "event_slug", required=True, help="Slug of the event the box is for.")
@click.option("--ttl", "ttl_s", type=click.IntRange(min=60), default=None, help="Seconds valid.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (token, event, expires).")
def enroll_token_create(event_slug: str, ttl_s: int | None, as_json: bool) -> None:
    """Create an enrollment token (shown once; only its hash is stored)."""
    from central.services.enrollment import EnrollmentService

    issued = _run(lambda db: EnrollmentService(db, get_settings()).issue_token(event_slug, ttl_s))
    if as_json:
        body = dataclasses.asdict(issued) | {"expires": from_us(issued.expires_us).isoformat()}
        click.echo(json.dumps(body))
    else:
        click.echo(issued.token)
        expires = from_us(issued.expires_us).isoformat()
        click.echo(f"event {issued.event_slug}, single use, expires {expires}", err=True)


@cli.group("backup-key")
def backup_key() -> None:
    """The fleet backup key: backups and event archives are sealed with its recipient."""


@backup_key.command("new")
@click.argument("identity", type=click.Path(dir_okay=False, path_type=Path))
def backup_key_new(identity: Path) -> None:
    """Write a new key's IDENTITY file (0600; keep it off central, with a copy offline) and
    print its recipient, the public part boxes and central are given."""
    from edge.sealing import SealError, new_identity

    try:
        recipient = new_identity(identity)
    except SealError as error:
        raise click.ClickException(str(error)) from error
    click.echo(recipient)
    click.echo(
        f"identity written to {identity}: whoever holds it reads every backup and archive,"
        " and without it none can be restored (docs/operations.md)",
        err=True,
    )


@cli.group()
def backups() -> None:
    """Backups of the fleet's boxes as central stores them."""


@backups.command("seal")
def backups_seal() -> None:
    """Seal with the fleet key every backup still stored as its box sent it (also at start-up)."""
    from central.backups.service import BackupService
    from central.backups.store import FileSystemBackupStore

    settings = get_settings()
    if not settings.backup_recipient:
        raise click.ClickException(
            "CHRONO_CENTRAL_BACKUP_RECIPIENT is not set: `chrono-central backup-key new` makes one"
        )
    store = FileSystemBackupStore(settings.data_dir / "backups")
    count = _run(
        lambda db: BackupService(
            db, store, settings.backups_keep, settings.backup_recipient
        ).seal_stored()
    )
    click.echo(f"{count} backups sealed with the fleet backup key")


@cli.group()
def archives() -> None:
    """Event archives the boxes sealed and uploaded (opened with the fleet key's identity)."""


@archives.command("list")
@click.option("--event", default=None, help="Only this event's archives.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def archives_list(event: str | None, as_json: bool) -> None:
    """Every complete archive: its event, box, size, sha256, and the file that holds it."""
    from central.backups.archives import ArchiveService
    from central.backups.service import BackupService
    from central.backups.store import FileSystemBackupStore

    settings = get_settings()
    folder = settings.data_dir / "backups"
    store = FileSystemBackupStore(folder)
    rows = _run(
        lambda db: ArchiveService(BackupService(db, store, settings.backups_keep)).listed(event)
    )
    listed = [
        {
            "id": row.id,
            "event": row.event_slug,
            "device_id": row.device_id,
            "size": row.size,
            "sha256": row.sha256,
            "completed": from_us(row.completed_us).isoformat() if row.completed_us else None,
            "verified": from_us(row.verified_us).isoformat() if row.verified_us else None,
            "file": str((folder / row.id).resolve()),
        }
        for row in rows
    ]
    if as_json:
        click.echo(json.dumps(listed))
        return
    for item in listed:
        click.echo(f"{item['event']}\t{item['completed']}\t{item['size']} bytes\t{item['file']}")


def main() -> None:
    """Entry point of the ``chrono-central`` console script."""
    cli(prog_name="chrono-central")
