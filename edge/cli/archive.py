"""``chrono-edge archive``: archive an event to central, purge it from the box, open an archive."""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path

import click

from edge.cli.base import box_paths, box_settings, run
from edge.cli.output import print_json
from edge.services.archives import ArchiveService, ArchiveView
from edge.store.database import Database


def _service(ctx: click.Context, db: Database) -> ArchiveService:
    return ArchiveService(db, box_paths(ctx), box_settings(ctx).backup_recipient)


def _describe(view: ArchiveView) -> str:
    text = f"archive {view.id} of {view.event}: {view.state}"
    if view.size:
        text += f", {view.size} bytes, sha256 {view.sha256}"
    return text + (f" ({view.error})" if view.error else "")


@click.group()
def archive() -> None:
    """After the event: archive it (sealed with the fleet key, confirmed by central), purge it."""


@archive.command("event")
@click.argument("slug")
@click.option("--by", "created_by", default="operator", show_default=True, help="Who asks.")
@click.option("--now", is_flag=True, help="Run it here and wait, instead of by the worker.")
@click.option("--json", "as_json", is_flag=True, help="Print the archive as JSON.")
@click.pass_context
def archive_event(ctx: click.Context, slug: str, created_by: str, now: bool, as_json: bool) -> None:
    """Archive the event SLUG: build, seal, upload; central confirms it holds a good copy."""
    from edge.jobs.box import box_registry
    from edge.services.jobs import JobService

    settings = box_settings(ctx)

    async def _archive(db: Database) -> ArchiveView:
        jobs = JobService(db.path, box_registry(settings))
        try:
            view = await _service(ctx, db).start(slug, created_by, jobs)
        finally:
            await jobs.close()
        if not now:
            return view

        async def step(_percent: int, stage: str) -> None:
            click.echo(stage, err=True)

        return await _service(ctx, db).run(view.id, step)

    view = run(ctx, _archive)
    if as_json:
        print_json(dataclasses.asdict(view))
    else:
        click.echo(_describe(view))


@archive.command("status")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the archive as JSON.")
@click.pass_context
def archive_status(ctx: click.Context, slug: str, as_json: bool) -> None:
    """Where the newest archive of SLUG stands."""
    view = run(ctx, lambda db: _service(ctx, db).latest(slug))
    if view is None:
        raise click.ClickException(f"{slug} was never archived on this box")
    if as_json:
        print_json(dataclasses.asdict(view))
    else:
        click.echo(_describe(view))


@archive.command("purge")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def archive_purge(ctx: click.Context, slug: str, yes: bool) -> None:
    """Delete SLUG from this box: only once central confirms its archive (asked again now)."""
    if not yes:
        click.confirm(f"delete every row of {slug} from this box?", abort=True)
    report = run(ctx, lambda db: _service(ctx, db).purge(slug))
    rows = ", ".join(f"{count} {table}" for table, count in sorted(report.rows.items()))
    click.echo(f"{slug} purged (archive {report.archive_id} kept by central): {rows};")
    click.echo(f"{report.files} export files removed")


@archive.command("open")
@click.argument("sealed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The fleet backup key's identity file (the fleet admin's).",
)
@click.option(
    "--to", "target", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="An empty folder to extract the archive into.",
)  # fmt: skip
def archive_open(sealed: Path, identity: Path, target: Path) -> None:
    """Decrypt an archive (as central stores it) and extract it: manifest, database, files."""
    from edge.sealing import SealError, load_identity, open_file

    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise click.ClickException(f"{target} is not empty: give an empty folder")
    packed = target / "archive.tar.gz"
    try:
        open_file(sealed, packed, load_identity(identity))
    except SealError as error:
        raise click.ClickException(str(error)) from error
    with tarfile.open(packed) as tar:
        tar.extractall(target, filter="data")
    packed.unlink()
    click.echo(f"opened into {target}: see manifest.json")
