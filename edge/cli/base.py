"""The ``chrono-edge`` group, its global options and error reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from edge.command import EXIT_ERROR as EXIT_ERROR  # the exit codes of chrono-edge, together here
from edge.command import LazyGroup
from edge.errors import ChronoEdgeError, InvalidInput, ReasonRequired
from edge.paths import BoxPaths
from edge.settings import Settings, get_settings
from edge.store import migrate

if TYPE_CHECKING:
    from edge.store.database import Database

T = TypeVar("T")

EXIT_INVALID_INPUT = 65  # EX_DATAERR: the input file is wrong, nothing was written


class ChronoGroup(LazyGroup):
    """A click group that turns ChronoEdge errors into a message and an exit code."""

    reported = (ChronoEdgeError,)

    def report(self, error: Exception) -> tuple[str, int]:
        """Invalid input (or a change to signed-off results without a reason) exits 65.

        Any other error exits 1.
        """
        if isinstance(error, InvalidInput | ReasonRequired):
            return str(error), EXIT_INVALID_INPUT
        return super().report(error)


@click.group(cls=ChronoGroup)
@click.version_option(version("chronoedge"), prog_name="chrono-edge")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The box's folder, holding every file it writes (default: $CHRONO_EDGE_DATA_DIR,"
    " else the folder of --db, else var).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database file (default: $CHRONO_EDGE_DB, else edge.db in the data folder).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, db_path: Path | None) -> None:
    """ChronoEdge box: timing database, imports, results and services."""
    chosen = {"data_dir": data_dir, "db": db_path}
    ctx.obj = get_settings().model_copy(update={k: v for k, v in chosen.items() if v})


ROLE_FILE_HELP = "reader.json (default: $CHRONO_EDGE_ROLE_FILE, else in the box's folder)."


def role_file_option(function: click.decorators.FC) -> click.decorators.FC:
    """The ``--role-file`` option of the commands that read the box's role."""
    option = click.option(
        "--role-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=ROLE_FILE_HELP,
    )
    return option(function)


def box_settings(ctx: click.Context) -> Settings:
    """The settings under the global options (``--data-dir``, ``--db``)."""
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def box_paths(ctx: click.Context) -> BoxPaths:
    """Where the box chosen by the global options keeps its files."""
    return box_settings(ctx).paths


def database_path(ctx: click.Context) -> Path:
    """Return the database path chosen by the global options."""
    return box_paths(ctx).database


def current_database(ctx: click.Context) -> Path:
    """Migrate the database to the newest schema if needed; return its file."""
    path = database_path(ctx)
    migrate.upgrade(path)
    return path


def open_database(ctx: click.Context) -> Database:
    """Migrate the database to the newest schema if needed and open it."""
    # Imported here: the reader service opens its file with plain sqlite3 (no SQLAlchemy).
    from edge.store.database import Database

    return Database(current_database(ctx))


def run(ctx: click.Context, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the database, run ``work`` on it in an event loop, close it."""
    database = open_database(ctx)

    async def _main() -> T:
        try:
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(_main())
