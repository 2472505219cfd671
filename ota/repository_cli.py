"""The publisher's commands of ``chrono-ota``: ``keys``, ``publish`` and ``rollout``.

They run on central (or wherever the repository folder lives); ``ota.cli`` adds them
to the ``chrono-ota`` group.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from ota.keys import root_key_path
from ota.repository import CHANNELS, init_repository, publish, rotate_online_key
from ota.rollout import Rollout, change_rollout, load_rollouts

# Central's own setting (CHRONO_CENTRAL_OTA_DIR), so both always name the same folder.
REPO_ENV = "CHRONO_CENTRAL_OTA_DIR"


def default_repo() -> Path:
    """Central's default repository folder: ``$CHRONO_CENTRAL_DATA_DIR/ota``."""
    return Path(os.environ.get("CHRONO_CENTRAL_DATA_DIR", "var/central")) / "ota"


def repo_option(function: Any) -> Any:
    """The ``--repo`` option every publisher command takes."""
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_repo,
        envvar=REPO_ENV,
        show_default="$CHRONO_CENTRAL_DATA_DIR/ota",
        help=f"The repository folder (or ${REPO_ENV}).",
    )(function)


def channel_option(function: Any) -> Any:
    """The ``--channel`` option (stable or beta)."""
    return click.option(
        "--channel", required=True, type=click.Choice(CHANNELS), help="The update channel."
    )(function)


@click.group()
def keys() -> None:
    """The repository's signing keys."""


@keys.command("init")
@repo_option
def keys_init(repo: Path) -> None:
    """Create the root and online keys and every channel's first metadata."""
    init_repository(repo)
    click.echo(f"repository created in {repo} (channels: {', '.join(CHANNELS)})")
    click.echo(
        f"now copy {root_key_path(repo)} to offline storage and delete it from this server "
        "(docs/ota.md, Publishing)"
    )


@keys.command("rotate-online")
@repo_option
@click.option(
    "--root-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The offline root key (default: keys/root.key in the repository).",
)
def keys_rotate_online(repo: Path, root_key: Path | None) -> None:
    """Replace the online key: a new root version, signed by the root key, names the new key."""
    keyid = rotate_online_key(repo, root_key)
    click.echo(f"online key rotated in every channel: boxes now trust key {keyid[:16]}")


@click.command("publish")
@click.argument("bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@channel_option
@repo_option
def publish_command(bundle: Path, channel: str, repo: Path) -> None:
    """Verify BUNDLE and publish it as a target of the channel."""
    started = time.monotonic()
    name = publish(repo, bundle, channel)
    click.echo(f"{name} published in {channel} ({time.monotonic() - started:.1f} s)")


@click.group()
def rollout() -> None:
    """Offer a published version to a share of the boxes of a channel."""


@rollout.command("start")
@click.argument("version")
@channel_option
@click.option("--percent", required=True, type=int, help="Share of the boxes, 0 to 100.")
@repo_option
def rollout_start(version: str, channel: str, percent: int, repo: Path) -> None:
    """Start offering VERSION to PERCENT % of the channel's boxes."""
    _echo(change_rollout(repo, channel, "start", version, percent))


@rollout.command("raise")
@click.argument("version")
@channel_option
@click.option("--percent", required=True, type=int, help="The new, higher share, up to 100.")
@repo_option
def rollout_raise(version: str, channel: str, percent: int, repo: Path) -> None:
    """Raise the share of VERSION's rollout (100 % finishes it: every box gets it)."""
    _echo(change_rollout(repo, channel, "raise", version, percent))


def _move_command(action: str, summary: str) -> None:
    @rollout.command(action, help=summary)
    @click.argument("version")
    @channel_option
    @repo_option
    def command(version: str, channel: str, repo: Path) -> None:
        _echo(change_rollout(repo, channel, action, version))


_move_command("pause", "Stop offering VERSION for now (boxes that have it keep it).")
_move_command("resume", "Offer a paused rollout of VERSION again.")
_move_command("abort", "End VERSION's rollout: no box is offered it any more.")


@rollout.command("list")
@repo_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rollout_list(repo: Path, as_json: bool) -> None:
    """Every rollout of every channel, oldest first."""
    rollouts = [r for channel in CHANNELS for r in load_rollouts(repo, channel)]
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rollouts], indent=2))
        return
    if not rollouts:
        click.echo("no rollouts yet")
    for r in rollouts:
        click.echo(f"{r.key:<24} {r.state:<8} {r.percent:>3} %  started {r.started_at}")


def _echo(changed: Rollout) -> None:
    click.echo(f"rollout {changed.key}: {changed.state} at {changed.percent} %")
