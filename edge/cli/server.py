"""Commands that run or prepare the box: its files, database migrations and the web server."""

from __future__ import annotations

import resource

import click
import uvicorn

from edge.cli.base import box_paths, box_settings, database_path
from edge.cli.output import print_json
from edge.settings import Settings
from edge.store import migrate
from edge.store.sqlite import out_of_space


@click.group()
def db() -> None:
    """Database: create or migrate, show the schema revision."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the database or migrate it to the newest schema."""
    path = database_path(ctx)
    before, after = migrate.upgrade(path)
    if before == after:
        click.echo(f"{path}: already at revision {after}")
    else:
        click.echo(f"{path}: migrated from {before or 'empty'} to revision {after}")


@db.command("status")
@click.pass_context
def db_status(ctx: click.Context) -> None:
    """Show the database's schema revision and the newest one."""
    path = database_path(ctx)
    current = migrate.current_revision(path)
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs `chrono-edge db upgrade`"
    click.echo(f"{path}: revision {current or 'none'}, newest {head} ({state})")


@click.command("paths")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.pass_context
def paths(ctx: click.Context, as_json: bool) -> None:
    """Show where this box keeps each of its files (from --data-dir and the settings)."""
    listing = {name: str(path) for name, path in box_paths(ctx).listing().items()}
    if as_json:
        print_json(listing)
        return
    for name, path in listing.items():
        click.echo(f"{name:<18} {path}")


def announce_setup_pin(settings: Settings) -> None:
    """Print the setup PIN of a box nobody has claimed yet (its console is where one looks)."""
    from edge.services.admin import AdminService

    admin = AdminService(settings.paths, settings.boot_folder)
    try:
        pin = admin.prepare()
    except OSError as err:
        if not out_of_space(err):
            raise
        # Serving goes on (a full disk must not make systemd restart serve in a loop):
        # the PIN is made at the first start with room.
        click.echo(f"No setup PIN yet: the disk is full ({err}); free space, then restart")
        return
    if pin is not None:
        where = [str(admin.pin_file)]
        if admin.boot_folder is not None:
            where.append(str(admin.boot_folder / "chronoedge-setup-pin.txt"))
        click.echo(f"Setup PIN: {pin} (open /setup to claim this box; also in {', '.join(where)})")


@click.command()
@click.option("--host", default=None, help="Listen address (default from settings).")
@click.option("--port", type=int, default=None, help="Listen port (default from settings).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Start the web UI and HTTP API (migrates the database first)."""
    from edge.app import create_app

    settings = box_settings(ctx)
    # The app announces the MASTER (mDNS) at the address and port it really listens on.
    where = {"host": host or settings.host, "port": port or settings.port}
    settings = settings.model_copy(update=where)
    migrate.upgrade_unless_full(settings.paths.database)  # a full disk: pages say 503
    announce_setup_pin(settings)
    connections = files_for(settings.connections_max)
    uvicorn.run(
        create_app(settings, keep_results=True),
        host=settings.host,
        port=settings.port,
        log_level="info",
        # X-Forwarded-For only from a configured proxy: believed from anyone, it lets a
        # client pick the address its failed logins are counted under.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        server_header=False,  # no "server: uvicorn" telling a stranger what to attack
        # Live streams (speaker screens, logs) never end by themselves: without a limit a
        # stop would wait for every open screen. Browsers reconnect once the box is back.
        timeout_graceful_shutdown=3,
        # Beyond it a new request gets 503 and its connection is closed: a flood of
        # connections cannot take the descriptors the database and reader need.
        limit_concurrency=connections,
    )


FILES_SPARE = 256
"""Descriptors kept beside the connections: database, WAL, logs, reader, templates..."""


def files_for(connections: int) -> int:
    """Raise the open-file limit to room for ``connections``; the connections that fit.

    systemd and shells start a process at 1,024 files, with a far higher hard
    limit; when even that is too low, fewer connections are served (and said so).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + FILES_SPARE
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return connections
    room = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (room, hard))
    if room < wanted:
        connections = max(16, room - FILES_SPARE)
        click.echo(
            f"warning: at most {room} open files (LimitNOFILE): serving {connections}"
            " connections at once instead of CHRONO_EDGE_CONNECTIONS_MAX",
            err=True,
        )
    return connections
