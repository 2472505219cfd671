"""reader.json: validation, atomic writes, watching for a role change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.roleconfig import Role, RoleConfig, load_role, parse_role, save_role, watch_role

SLAVE = {
    "role": "slave",
    "event": "spring-10k-2026",
    "point": "START",
    "master_url": "http://10.8.0.1:8000",
    "event_key": "k3y",
}


def test_a_missing_file_is_a_master_on_the_local_emulator(tmp_path: Path) -> None:
    config = load_role(tmp_path / "reader.json")
    assert (config.role, config.reader.host, config.reader.port) == (Role.MASTER, "127.0.0.1", 5084)


def test_a_slave_without_its_master_names_every_missing_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_role(json.dumps({"role": "slave", "point": "START"}).encode())
    assert "a slave needs master_url, event_key, event" in str(caught.value.problems[0])


def test_every_bad_field_is_named() -> None:
    data = {**SLAVE, "reader": {"port": 70000, "antennas": [0]}, "colour": "red"}
    with pytest.raises(InvalidInput) as caught:
        parse_role(json.dumps(data).encode())
    assert sorted(p.where for p in caught.value.problems) == [
        "colour",
        "reader.antennas.0",
        "reader.port",
    ]


def test_broken_json_says_where() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_role(b'{"role": "master",\n "event": }')
    assert caught.value.problems[0].line == 2


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "reader.json"
    config = RoleConfig.model_validate(SLAVE)
    save_role(path, config)
    assert load_role(path) == config
    assert [p.name for p in path.parent.iterdir()] == ["reader.json"]


async def test_watch_yields_changes_and_skips_an_invalid_edit(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    save_role(path, RoleConfig())
    seen: list[Role] = []
    first = asyncio.Event()

    async def follow() -> None:
        async for config in watch_role(path, interval_s=0.01):
            seen.append(config.role)
            first.set()
            if len(seen) == 2:
                return

    watcher = asyncio.create_task(follow())
    await asyncio.wait_for(first.wait(), 5)
    path.write_text('{"role": "slave"}')  # invalid: a slave needs its master
    await asyncio.sleep(0.05)
    save_role(path, RoleConfig.model_validate(SLAVE))
    await asyncio.wait_for(watcher, 5)
    assert seen == [Role.MASTER, Role.SLAVE]
