"""``chrono-edge role``: the box's role at the event, as /setup shows and writes it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from edge.cli.base import box_paths, role_file_option, run
from edge.store.database import Database


def _reader_address(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    host, _, port = text.rpartition(":")
    if not host:
        return text, 5084
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise click.BadParameter(f"{text!r}: write HOST or HOST:PORT (port 1-65535)")
    return host, int(port)


@click.group()
def role() -> None:
    """Show or choose the box's role (reader.json), through the same checks as /setup."""


@role.command("show")
@role_file_option
@click.pass_context
def show(ctx: click.Context, role_file: Path | None) -> None:
    """Print the role as the processes see it (environment overrides applied), as JSON."""
    from edge.roleconfig import load_role
    from edge.services.setup import config_summary

    summary = config_summary(load_role(role_file or box_paths(ctx).role_file))
    click.echo(json.dumps(summary, indent=2))


@role.command("set")
@click.argument("name", metavar="ROLE")
@click.option("--event", default=None, help="Slug of the event to time (loaded on this box).")
@click.option("--point", default=None, help="This box's timing point code.")
@click.option("--master-url", default=None, help="SLAVE: the MASTER's base URL.")
@click.option("--event-key", default=None, help="The event's shared key (a MASTER makes one).")
@click.option("--discovery", is_flag=True, help="SLAVE: find the MASTER on the LAN (mDNS).")
@click.option("--reader", "reader", default=None, metavar="HOST[:PORT]", help="LLRP reader.")
@role_file_option
@click.pass_context
def choose(
    ctx: click.Context,
    name: str,
    event: str | None,
    point: str | None,
    master_url: str | None,
    event_key: str | None,
    discovery: bool,
    reader: str | None,
    role_file: Path | None,
) -> None:
    """Make this box ROLE (master, slave, unconfigured): all is checked, then saved once."""
    from edge.services.setup import ConfigSummary, SetupService, config_summary

    paths = box_paths(ctx)
    path = role_file or paths.role_file
    address = _reader_address(reader)

    async def work(db: Database) -> ConfigSummary:
        setup = SetupService(db, path, paths.key_folder)
        chosen = await setup.choose_role(
            name, event, point, master_url, event_key, discovery, reader=address
        )
        return config_summary(chosen)

    summary = run(ctx, work)
    click.echo(json.dumps(summary, indent=2))
