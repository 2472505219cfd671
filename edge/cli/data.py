"""Commands on race data: events, entrants, passings and results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from edge.cli.base import EXIT_INVALID_INPUT, run
from edge.cli.output import print_json, print_rows
from edge.domain import ManualStatus, PassingMethod
from edge.domain.clock import US_PER_SECOND, from_us, parse_instant
from edge.errors import InvalidInput, Problem
from edge.imports.eventfile import load_event_file
from edge.services.backup_review import BackupReviewService
from edge.services.checkins import CheckinService
from edge.services.corrections import CHOICES, CorrectionRequest, CorrectionService, operator
from edge.services.entrants import EntrantService, ImportReport
from edge.services.events import EventService
from edge.services.passings import NewPassing, PassingService
from edge.services.reads import ReadService
from edge.settings import Settings
from edge.timing.crossing import CrossingSettings

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
EVENT = click.option("--event", "slug", required=True, help="Event slug.")
REASON = click.option(
    "--reason",
    default="",
    help="Why: required once the race's results are signed off (re-opens them).",
)
BY = click.option("--by", "by", default=None, help="Who makes the change (default: operator).")


EVERYONE = 1_000_000
"""More runners than any race has: the whole list."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        problem = Problem(where=str(path), reason=error.strerror or str(error))
        raise InvalidInput([problem], "cannot read the file") from error


@click.group()
def event() -> None:
    """Events: load from YAML, list, show."""


@event.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def event_load(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Create or update an event from a YAML file (reloading it changes nothing)."""
    definition = load_event_file(file)
    report = run(ctx, lambda db: EventService(db).load(definition))
    if as_json:
        print_json(dataclasses.asdict(report))
        return
    verb = "created" if report.created else "updated" if report.changes else "unchanged"
    click.echo(f"event {report.slug}: {verb} ({len(report.changes)} changes)")
    for change in report.changes:
        click.echo(f"  {change}")


@event.command("list")
@FORMAT
@click.pass_context
def event_list(ctx: click.Context, fmt: str) -> None:
    """List the events in the database."""
    events = run(ctx, lambda db: EventService(db).list_events())
    rows = [{"slug": e.slug, "name": e.name, "date": e.date.isoformat()} for e in events]
    print_rows(rows, ["slug", "name", "date"], fmt)


@click.group()
def entrants() -> None:
    """Entrants: import from CSV, list."""


def _echo_import(report: ImportReport, dry_run: bool) -> None:
    what = "would be" if dry_run else "were"
    click.echo(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged "
        f"{what} imported (encoding {report.encoding}, delimiter {report.delimiter!r})"
    )
    if report.ignored_headers:
        click.echo(f"ignored columns: {', '.join(report.ignored_headers)}")


@entrants.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@EVENT
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@REASON
@BY
@click.pass_context
def entrants_import(
    ctx: click.Context, file: Path, slug: str, dry_run: bool, reason: str, by: str | None
) -> None:
    """Import entrants (create or update by bib); a file with bad rows imports nothing."""
    data = _read(file)
    report = run(
        ctx,
        lambda db: EntrantService(db).import_csv(
            slug, data, dry_run=dry_run, reason=reason, by=operator(by)
        ),
    )
    _echo_import(report, dry_run)
    if report.problems:
        click.echo(f"{len(report.problems)} problems; nothing would be imported:", err=True)
        for problem in report.problems:
            click.echo(f"  - {problem}", err=True)
        ctx.exit(EXIT_INVALID_INPUT)


@entrants.command("list")
@EVENT
@click.option("--race", default=None, help="Only this race.")
@FORMAT
@click.pass_context
def entrants_list(ctx: click.Context, slug: str, race: str | None, fmt: str) -> None:
    """List the entrants of an event."""
    found = run(ctx, lambda db: EntrantService(db).list_entrants(slug, race=race))
    columns = ["bib", "last_name", "first_name", "sex", "club", "team", "leg", "tag1", "tag2"]
    print_rows([e.model_dump(mode="json") for e in found], columns, fmt)


@entrants.command("set-status")
@EVENT
@click.option("--bib", required=True)
@click.argument("status", type=click.Choice(["DSQ", "DNF", "none"], case_sensitive=False))
@REASON
@BY
@click.pass_context
def entrants_set_status(
    ctx: click.Context, slug: str, bib: str, status: str, reason: str, by: str | None
) -> None:
    """Set an entrant's status by hand (DSQ, DNF) or clear it (none)."""
    manual = None if status.lower() == "none" else ManualStatus(status.upper())
    entrant = run(
        ctx,
        lambda db: EntrantService(db).set_manual_status(
            slug, bib, manual, reason=reason, by=operator(by)
        ),
    )
    click.echo(f"bib {entrant.bib}: status {entrant.manual_status or 'computed from passings'}")


@entrants.command("unchecked")
@EVENT
@click.option("--race", default=None, help="Only this race (its code).")
@FORMAT
@click.pass_context
def entrants_unchecked(ctx: click.Context, slug: str, race: str | None, fmt: str) -> None:
    """List the runners not seen at the check-in point yet, race by race, in bib order."""
    board = run(ctx, lambda db: CheckinService(db).board(slug, recent=0, missing=EVERYONE))
    if race is not None and race.casefold() not in {r.code.casefold() for r in board.races}:
        known = ", ".join(r.code for r in board.races)
        raise InvalidInput([Problem("--race", f"no race {race!r} (races: {known})")])
    rows = [
        {"race": r.code} | dataclasses.asdict(m)
        for r in board.races
        if race is None or r.code.casefold() == race.casefold()
        for m in r.missing
    ]
    print_rows(rows, ["race", "bib", "name", "club", "wave"], fmt)


@entrants.command("swap-chip")
@EVENT
@click.option("--epc", required=True, help="The chip (EPC, hexadecimal).")
@click.option("--bib", required=True, help="The bib it counts for from now on.")
@click.option("--reason", required=True, help="Why (kept with the correction).")
@click.option("--by", "by", default=None, help="Who (default: operator).")
@click.pass_context
def entrants_swap_chip(
    ctx: click.Context, slug: str, epc: str, bib: str, reason: str, by: str | None
) -> None:
    """Give a chip to another bib (swapped bibs): every passing of it follows, nothing rewritten."""
    request = CorrectionRequest(kind="swap", epc=epc, bib=bib, reason=reason)
    view = run(ctx, lambda db: CorrectionService(db).apply(slug, request, operator(by)))
    click.echo(f"correction {view.id}: chip {view.epc} now counts for bib {view.bib}")


@click.group()
def passings() -> None:
    """Passings: import from CSV, add by hand, list."""


@passings.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@EVENT
@click.option("--point", default=None, help="Every row's point, for a file without a point column.")
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds within which a backup passing confirms the chip's (default: setting"
    " backup_tolerance_s, 1 s); further apart, the pair goes to review.",
)
@REASON
@BY
@click.pass_context
def passings_import(
    ctx: click.Context,
    file: Path,
    slug: str,
    point: str | None,
    tolerance: float | None,
    reason: str,
    by: str | None,
) -> None:
    """Import a backup line's passings (docs/race-day.md); the same file twice adds nothing."""
    data = _read(file)
    settings: Settings = ctx.obj
    seconds = settings.backup_tolerance_s if tolerance is None else tolerance
    report = run(
        ctx,
        lambda db: PassingService(db).import_csv(
            slug,
            data,
            source=file.name,
            point=point,
            tolerance_us=round(seconds * US_PER_SECOND),
            window_us=round(settings.backup_pair_window_s * US_PER_SECOND),
            reason=reason,
            by=operator(by),
        ),
    )
    click.echo(f"{report.added} added, {report.already_present} already present")
    click.echo(
        f"{report.fills} fill missing passings, {report.confirms} confirm stored ones,"
        f" {report.review} differ by more than {seconds:g} s: to review"
    )
    if report.unknown_bibs:
        click.echo(f"bibs with no entrant yet: {', '.join(report.unknown_bibs)}")


@passings.command("review")
@EVENT
@FORMAT
@click.pass_context
def passings_review(ctx: click.Context, slug: str, fmt: str) -> None:
    """List backup passings that differ from the chip's and wait for a choice."""
    pairs = run(ctx, lambda db: BackupReviewService(db).review_list(slug))
    columns = ["backup_id", "point", "bib", "chip_time", "backup_time", "difference_s", "source"]
    rows = [
        dataclasses.asdict(pair) | {"difference_s": pair.difference_us / US_PER_SECOND}
        for pair in pairs
    ]
    print_rows(rows, columns, fmt)


@passings.command("choose")
@EVENT
@click.argument("backup_id")
@click.argument("pick", type=click.Choice(CHOICES))
@click.option("--reason", default="", help="Why (kept with the correction).")
@click.option("--by", "by", default=None, help="Who chooses (default: operator).")
@click.pass_context
def passings_choose(
    ctx: click.Context, slug: str, backup_id: str, pick: str, reason: str, by: str | None
) -> None:
    """Settle a backup passing in review: the chip's time stands, or the backup's."""
    request = CorrectionRequest(kind="choose", passing_id=backup_id, status=pick, reason=reason)
    view = run(ctx, lambda db: CorrectionService(db).apply(slug, request, operator(by)))
    click.echo(f"correction {view.id}: bib {view.bib}, the {pick} time stands")


@passings.command("add")
@EVENT
@click.option("--point", required=True, help="Timing point code.")
@click.option("--bib", required=True)
@click.option("--time", "instant", required=True, help="ISO 8601 instant with offset.")
@REASON
@BY
@click.pass_context
def passings_add(
    ctx: click.Context, slug: str, point: str, bib: str, instant: str, reason: str, by: str | None
) -> None:
    """Record one passing by hand."""
    try:
        time_us = parse_instant(instant)
    except ValueError as error:
        raise InvalidInput([Problem(where="--time", reason=str(error))]) from error
    new = NewPassing(point=point, bib=bib, time_us=time_us)
    added = run(
        ctx,
        lambda db: PassingService(db).record(
            slug, new, method=PassingMethod.MANUAL, reason=reason, by=operator(by)
        ),
    )
    click.echo("added" if added else "already present")


@passings.command("export")
@EVENT
@click.option("--point", default=None, help="Only this timing point.")
@FORMAT
@click.pass_context
def passings_export(ctx: click.Context, slug: str, point: str | None, fmt: str) -> None:
    """Print passings in time order (bib resolved from the tag when read by RFID);
    clock_offset_us marks one made on a SLAVE whose clock was off the MASTER's."""
    rows = run(ctx, lambda db: PassingService(db).export_rows(slug, point=point))
    columns = ["point", "bib", "epc", "timestamp_us", "method", "reads", "status", "time"]
    columns.append("clock_offset_us")
    print_rows(rows, columns, fmt)


@passings.command("rebuild")
@EVENT
@click.option("--point", default=None, help="Only this timing point (default: all).")
@click.option(
    "--method",
    type=click.Choice(["quadreg", "strongest", "first"]),
    default="quadreg",
    show_default=True,
)
@REASON
@BY
@click.pass_context
def passings_rebuild(
    ctx: click.Context, slug: str, point: str | None, method: str, reason: str, by: str | None
) -> None:
    """Recompute the passings derived from raw reads (manual and imported ones are kept)."""
    settings = CrossingSettings(method=method)
    reports = run(
        ctx,
        lambda db: ReadService(db).rebuild(
            slug, point, settings=settings, reason=reason, by=operator(by)
        ),
    )
    for r in reports:
        click.echo(
            f"{r.point}: {r.reads} reads -> {r.passings} passings "
            f"({r.added} added, {r.removed} removed)"
        )


@click.group()
def reads() -> None:
    """Raw reads: import a reader log."""


@reads.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@EVENT
@click.option("--point", required=True, help="Timing point the reader was at.")
@REASON
@BY
@click.pass_context
def reads_import(
    ctx: click.Context, file: Path, slug: str, point: str, reason: str, by: str | None
) -> None:
    """Import ``epc,antenna,rssi,timestamp_us`` reads (idempotent) and derive passings."""
    data = _read(file)
    report = run(
        ctx,
        lambda db: ReadService(db).import_csv(slug, point, data, reason=reason, by=operator(by)),
    )
    r = report.rebuild
    click.echo(f"{report.added} reads added, {report.already_present} already present")
    click.echo(f"{r.point}: {r.passings} passings ({r.added} added, {r.removed} removed)")


@passings.command("list")
@EVENT
@click.option("--point", default=None)
@FORMAT
@click.pass_context
def passings_list(ctx: click.Context, slug: str, point: str | None, fmt: str) -> None:
    """List the passings of an event, newest first."""
    found = run(ctx, lambda db: PassingService(db).list_passings(slug, point=point))
    rows = [
        {
            "point": code,
            "bib": p.bib,
            "epc": p.epc,
            "time": from_us(p.time_us).isoformat(),
            "method": p.method,
            "status": p.status,
        }
        for p, code in found
    ]
    print_rows(rows, ["point", "bib", "epc", "time", "method", "status"], fmt)
