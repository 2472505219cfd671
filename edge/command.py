"""The click group both command lines share: an error a user meets is a message and an exit code."""

from __future__ import annotations

import importlib
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


class LazyGroup(ReportingGroup):
    """A reporting group whose subcommands are named ``"module:attribute"``, imported when run.

    A long-running service (``chrono-edge reader``) then loads its own module and
    not every other command's libraries: each megabyte imported stays resident on
    a Pi for as long as the service runs. ``--help`` imports them all to list them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, str] = {}

    def add_lazy_command(self, name: str, target: str) -> None:
        """Declare subcommand ``name``: the click command at ``target`` (``module:attribute``)."""
        self.lazy_commands[name] = target

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, the lazy ones included, sorted."""
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand ``cmd_name``; a lazy one is imported now (once)."""
        target = self.lazy_commands.get(cmd_name)
        if target is None or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target!r} is not a click command")
        self.add_command(command, cmd_name)
        return command
