"""``chrono-edge``'s subcommands are imported when they run, and each resolves."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from edge.cli import COMMANDS, cli
from edge.command import LazyGroup


def test_every_declared_subcommand_resolves_under_its_own_name():
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        assert command.name == name


def test_help_lists_every_subcommand():
    listed = CliRunner().invoke(cli, ["--help"]).output
    assert all(f"  {name} " in listed for name in COMMANDS)


def test_a_target_that_is_not_a_command_is_refused():
    group = LazyGroup()
    group.add_lazy_command("bogus", "edge.cli.base:box_paths")
    with pytest.raises(TypeError, match="not a click command"):
        group.get_command(click.Context(group), "bogus")
