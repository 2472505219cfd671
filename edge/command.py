"""The click group both command lines share: an error a user meets is a message and an exit code."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import click

EXIT_ERROR = 1


class ReportingGroup(click.Group):
    """A click group that reports its ``reported`` errors as ``error: ...`` and an exit code."""

    reported: ClassVar[tuple[type[Exception], ...]] = ()

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, reporting the known errors without a traceback."""
        try:
            return super().invoke(ctx)
        except self.reported as error:
            message, code = self.report(error)
            click.echo(f"error: {message}", err=True)
            sys.exit(code)

    def report(self, error: Exception) -> tuple[str, int]:
        """The message and exit code of a reported error: its ``message``, exit code 1."""
        return str(getattr(error, "message", error)), EXIT_ERROR
