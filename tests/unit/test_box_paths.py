"""Every file of a box comes from its data directory; a Pi splits config from state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.paths import BoxPaths
from edge.settings import Settings


def test_a_development_box_keeps_everything_in_its_folder() -> None:
    paths = BoxPaths.under(Path("var"))
    assert paths.database == Path("var/edge.db")
    assert paths.role_file == Path("var/reader.json")
    assert paths.key_folder == Path("var/keys")
    assert paths.setup_pin == Path("var/setup-pin.txt")
    assert paths.admin_file == Path("var/admin.json")
    assert paths.sessions_folder == Path("var/sessions")
    assert paths.cache_folder == Path("var/cache")
    assert paths.exports_folder == Path("var/exports")
    assert paths.backups_folder == Path("var/backups")
    assert paths.ota_folder == Path("var/ota")
    assert paths.downloads_folder == Path("var/ota/downloads")
    assert all(p.is_relative_to("var") for p in paths.listing().values())


def test_a_pi_keeps_its_configuration_apart_from_its_state() -> None:
    paths = BoxPaths.appliance()
    config = {"role_file", "key_folder", "setup_pin", "config_dir"}
    for name, path in paths.listing().items():
        root = "/etc/chronoedge" if name in config else "/var/lib/chronoedge"
        assert path.is_relative_to(root), (name, path)
    assert paths.role_file == Path("/etc/chronoedge/reader.json")
    assert paths.database == Path("/var/lib/chronoedge/edge.db")


def test_an_override_moves_one_path_only() -> None:
    paths = BoxPaths.under(Path("box"), database=Path("/fast/edge.db"), cache_folder=None)
    assert paths.database == Path("/fast/edge.db")
    assert paths.cache_folder == Path("box/cache")
    assert paths.admin_file == Path("box/admin.json")
    with pytest.raises(TypeError, match="colour"):
        BoxPaths.under(Path("box"), colour=Path("red"))


def test_settings_derive_every_path_from_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DB", "ROLE_FILE", "DATA_DIR", "CONFIG_DIR", "KEY_FOLDER", "CACHE_FOLDER"):
        monkeypatch.delenv(f"CHRONO_EDGE_{name}", raising=False)
    assert Settings().paths == BoxPaths.under(Path("var"))
    monkeypatch.setenv("CHRONO_EDGE_DATA_DIR", "/srv/box1")
    monkeypatch.setenv("CHRONO_EDGE_CONFIG_DIR", "/etc/box1")
    paths = Settings().paths
    assert paths.database == Path("/srv/box1/edge.db")
    assert paths.role_file == Path("/etc/box1/reader.json")
    monkeypatch.setenv("CHRONO_EDGE_ROLE_FILE", "/tmp/reader.json")
    assert Settings().paths.role_file == Path("/tmp/reader.json")
    assert Settings().paths.setup_pin == Path("/etc/box1/setup-pin.txt")


def test_a_database_alone_makes_its_folder_the_box() -> None:
    """`chrono-edge --db /elsewhere/edge.db worker` no longer reads ./var/reader.json."""
    paths = Settings(db=Path("/elsewhere/edge.db")).paths
    assert paths.role_file == Path("/elsewhere/reader.json")
    assert paths.exports_folder == Path("/elsewhere/exports")
    given = Settings(data_dir=Path("/box"), db=Path("/fast/edge.db")).paths
    assert (given.database, given.role_file) == (Path("/fast/edge.db"), Path("/box/reader.json"))


def test_the_command_line_shows_the_box_chosen_by_data_dir(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "box"), "paths", "--json"])
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert shown["role_file"] == str(tmp_path / "box" / "reader.json")
    assert shown["database"] == str(tmp_path / "box" / "edge.db")
