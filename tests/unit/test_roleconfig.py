"""reader.json: validation, atomic writes, watching for a role change."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.roleconfig import (
    SCHEMA_VERSION,
    Role,
    RoleConfig,
    env_overrides,
    load_file_role,
    load_role,
    parse_role,
    replace_role,
    save_role,
    unconfigured_role,
    watch_role,
)

SLAVE = {
    "role": "slave",
    "event": "spring-10k-2026",
    "point": "START",
    "master_url": "http://10.8.0.1:8000",
    "event_key": "spring-10k-slave-key",
}


def test_a_missing_file_is_a_master_on_the_local_emulator(tmp_path: Path) -> None:
    config = load_role(tmp_path / "reader.json", {})
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


def test_a_file_without_schema_is_version_1_and_a_saved_file_names_it(tmp_path: Path) -> None:
    assert parse_role(json.dumps(SLAVE).encode()).schema_version == 1
    path = tmp_path / "reader.json"
    save_role(path, RoleConfig.model_validate(SLAVE))
    assert json.loads(path.read_text())["schema"] == SCHEMA_VERSION


def test_a_file_from_a_newer_chronoedge_is_refused_with_what_to_do() -> None:
    data = {**SLAVE, "schema": SCHEMA_VERSION + 1, "antenna_plan": {"new": "thing"}}
    with pytest.raises(InvalidInput) as caught:
        parse_role(json.dumps(data).encode())
    assert [p.where for p in caught.value.problems] == ["schema"]
    assert "newer than this ChronoEdge understands" in str(caught.value)
    assert "update the box's software" in str(caught.value)


def test_unconfigured_needs_nothing_and_a_fresh_box_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    save_role(path, unconfigured_role())
    assert load_role(path, {}).role is Role.UNCONFIGURED
    assert parse_role(b'{"role": "unconfigured"}').role is Role.UNCONFIGURED


def test_a_slave_may_find_its_master_by_discovery_instead_of_a_url() -> None:
    data = {k: v for k, v in SLAVE.items() if k != "master_url"}
    assert parse_role(json.dumps({**data, "discovery": True}).encode()).master_url is None
    with pytest.raises(InvalidInput, match='a slave needs master_url \\(or "discovery": true\\)'):
        parse_role(json.dumps(data).encode())


def test_serial_and_vpn_sections_are_kept() -> None:
    data = {**SLAVE, "reader_serial": "R420-0042", "vpn": {"enabled": False, "interface": "wg1"}}
    config = parse_role(json.dumps(data).encode())
    assert (config.reader_serial, config.vpn.enabled, config.vpn.interface) == (
        "R420-0042",
        False,
        "wg1",
    )
    with pytest.raises(InvalidInput) as caught:
        parse_role(json.dumps({**data, "vpn": {"interface": "wg 0; rm"}}).encode())
    assert [p.where for p in caught.value.problems] == ["vpn.interface"]


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    save_role(path, RoleConfig(role=Role.MASTER, event="spring-10k-2026", point="FINISH"))
    env = {
        "READER_MODE": "Slave",
        "READER_SERIAL": "R700-7",
        "MASTER_API_URL": "http://192.168.1.10:8000",
        "CHRONO_EDGE_EVENT_KEY": "from-env",
        "CHRONO_EDGE_READER_HOST": "192.168.1.50",
    }
    config = load_role(path, env)
    assert (config.role, config.reader_serial, config.master_url, config.event_key) == (
        Role.SLAVE,
        "R700-7",
        "http://192.168.1.10:8000",
        "from-env",
    )
    assert (config.reader.host, config.reader.port, config.point) == (
        "192.168.1.50",
        5084,
        "FINISH",
    )
    assert load_file_role(path).role is Role.MASTER  # what /setup edits: the file alone
    assert env_overrides(env)["role"] == "READER_MODE"
    assert load_role(tmp_path / "missing.json", {"READER_MODE": "unconfigured"}).role is (
        Role.UNCONFIGURED
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("READER_MODE", "boss", "Input should be 'master', 'slave' or 'unconfigured'"),
        ("MASTER_API_URL", "10.0.0.1:8000", "must start with http:// or https://"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    path = tmp_path / "reader.json"
    save_role(path, RoleConfig.model_validate(SLAVE))
    with pytest.raises(InvalidInput) as caught:
        load_role(path, {variable: value})
    text = str(caught.value)
    assert says in text
    assert variable in text or "master_url" in text
    if variable == "READER_MODE":
        assert caught.value.problems[0].where == "READER_MODE (environment)"


def test_an_invalid_configuration_is_never_written_and_the_old_file_stays(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    good = RoleConfig.model_validate(SLAVE)
    save_role(path, good)
    before = path.read_bytes()
    # model_copy skips validation: a SLAVE without its master must still be refused.
    broken = good.model_copy(update={"master_url": None})
    with pytest.raises(InvalidInput, match="a slave needs master_url"):
        save_role(path, broken)
    with pytest.raises(InvalidInput) as caught:
        replace_role(path, b'{"role": "slave", "reader": {"port": 0}}')
    assert "reader.port" in [p.where for p in caught.value.problems]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["reader.json"]
    assert replace_role(path, json.dumps({**SLAVE, "point": "KM5"}).encode()).point == "KM5"
    assert load_role(path, {}).point == "KM5"


async def test_watch_sees_a_replacement_of_the_same_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / "reader.json"
    save_role(path, RoleConfig.model_validate(SLAVE))
    stamp = path.stat()
    watcher = watch_role(path, interval_s=0.01, env={})
    assert (await anext(watcher)).point == "START"
    save_role(path, RoleConfig.model_validate({**SLAVE, "point": "SPLIT"}))  # same length
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert (await asyncio.wait_for(anext(watcher), 5)).point == "SPLIT"
    await watcher.aclose()
