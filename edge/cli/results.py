"""``chrono-edge results``: export a race's results, sign them off, their state and history."""

from __future__ import annotations

import dataclasses

import click

from edge.cli.base import run
from edge.cli.data import EVENT, FORMAT
from edge.cli.output import print_json, print_rows
from edge.domain.clock import from_us
from edge.services.results import ResultService, sheet_rows
from edge.services.results_history import HISTORY_COLUMNS, ResultsHistoryService
from edge.services.signoff import RaceState, SignoffService
from edge.timing.export import TEAM_COLUMNS, team_rows

RACE = click.option("--race", "race_code", required=True, help="Race code.")
STATE_COLUMNS = ["race", "state", "version", "label", "signed_by", "signed_at", "reason"]


def _state_row(state: RaceState) -> dict[str, object]:
    signed = from_us(state.signed_us).isoformat() if state.signed_us is not None else None
    return {
        "race": state.race,
        "state": state.state.value,
        "version": state.version,
        "label": state.label,
        "signed_by": state.signed_by,
        "signed_at": signed,
        "reason": state.reason,
    }


@click.group()
def results() -> None:
    """Results: export a race's ranking, sign it off, its state and history."""


@results.command("export")
@EVENT
@RACE
@FORMAT
@click.option("--teams", is_flag=True, help="Print the team ranking instead.")
@click.pass_context
def results_export(ctx: click.Context, slug: str, race_code: str, fmt: str, teams: bool) -> None:
    """Print a race's results: finishers by rank, then on course (ONC), DNF, DNS, DSQ by bib."""
    sheet = run(ctx, lambda db: ResultService(db).race_sheet(slug, race_code))
    if teams:
        print_rows(team_rows(sheet.teams), TEAM_COLUMNS, fmt)
        return
    columns, rows = sheet_rows(sheet)
    print_rows(rows, columns, fmt)


@results.command("signoff")
@EVENT
@RACE
@click.option("--name", required=True, help="Who signs the results off (recorded).")
@click.pass_context
def results_signoff(ctx: click.Context, slug: str, race_code: str, name: str) -> None:
    """Close the race: its results become official; a change then needs a reason."""
    state = run(ctx, lambda db: SignoffService(db).sign(slug, race_code, name))
    click.echo(f"{state.race}: {state.label}, signed off by {state.signed_by}")


@results.command("state")
@EVENT
@click.option("--race", "race_code", default=None, help="Only this race (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def results_state(ctx: click.Context, slug: str, race_code: str | None, as_json: bool) -> None:
    """Whether each race's results are provisional or official, and their version."""
    if race_code is not None:
        states = [run(ctx, lambda db: SignoffService(db).state(slug, race_code))]
    else:
        states = list(run(ctx, lambda db: SignoffService(db).states(slug)).values())
    rows = [_state_row(s) for s in states]
    print_rows(rows, STATE_COLUMNS, "json" if as_json else "csv")


@results.command("history")
@EVENT
@click.option("--race", "race_code", default=None, help="Only this race (default: all).")
@FORMAT
@click.pass_context
def results_history(ctx: click.Context, slug: str, race_code: str | None, fmt: str) -> None:
    """Every correction, undo, sign-off and re-opening, oldest first, with who and why."""
    entries = run(ctx, lambda db: ResultsHistoryService(db).history(slug, race_code))
    rows = [dataclasses.asdict(e) for e in entries]
    if fmt == "json":
        print_json(rows)
        return
    print_rows(rows, HISTORY_COLUMNS, fmt)
