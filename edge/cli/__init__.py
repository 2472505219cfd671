"""``chrono-edge``: the command line of a box (global options before the subcommand).

Each subcommand is imported only when it runs (``edge.command.LazyGroup``): the
services a Pi runs for hours (``reader``, ``worker``, ``serve``) keep in memory only
the code they use, not the web framework, spreadsheets and PDF of the others.
"""

from __future__ import annotations

import sys

from edge.cli.lean import leave_openssl_unloaded

# Before edge.cli.base imports asyncio and pydantic, hence OpenSSL (edge.cli.lean says why).
leave_openssl_unloaded(sys.argv[1:])

from edge.cli.base import cli  # noqa: E402

COMMANDS = {
    "archive": "edge.cli.archive:archive",
    "backup": "edge.cli.fleet:backup",
    "db": "edge.cli.server:db",
    "enroll": "edge.cli.fleet:enroll",
    "enroll-pending": "edge.cli.firstboot:enroll_pending",
    "entrants": "edge.cli.data:entrants",
    "event": "edge.cli.data:event",
    "firstboot": "edge.cli.firstboot:firstboot",
    "forward": "edge.cli.forward:forward",
    "jobs": "edge.cli.jobs:jobs",
    "panel": "edge.cli.panel:panel",
    "passings": "edge.cli.data:passings",
    "paths": "edge.cli.server:paths",
    "reader": "edge.cli.reader:reader",
    "reads": "edge.cli.data:reads",
    "restore": "edge.cli.fleet:restore",
    "results": "edge.cli.results:results",
    "role": "edge.cli.role:role",
    "serve": "edge.cli.server:serve",
    "simulate-reader": "edge.cli.emulator:simulate_reader",
    "status": "edge.cli.status:status",
    "sync": "edge.cli.sync:sync",
    "worker": "edge.cli.jobs:worker",
}
"""Every subcommand: its name and the click command's ``module:attribute``."""

for name, target in COMMANDS.items():
    cli.add_lazy_command(name, target)


def main() -> None:
    """Entry point of the ``chrono-edge`` console script."""
    cli(prog_name="chrono-edge")
