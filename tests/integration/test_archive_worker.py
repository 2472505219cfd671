"""The archive as the operator runs it from the command line: a durable job of a real worker
that retries while central is unreachable and finishes after the worker is restarted."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.roleconfig import RoleConfig, save_role
from edge.sealing import new_identity
from tests.integration.test_backups_at_rest import enroll
from tests.integration.test_restore import ROOT, SLUG, chrono
from tests.servers import box_worker, central_on, free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def central(tmp_path: Path, fleet_key: tuple[Path, str]) -> Iterator[tuple[str, str]]:
    folder = tmp_path / "central"
    folder.mkdir()
    with central_on(
        "postgresql", folder, {"CHRONO_CENTRAL_BACKUP_RECIPIENT": fleet_key[1]}
    ) as running:
        yield running


@pytest.fixture
def fleet_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    identity = tmp_path / "fleet-key.txt"
    recipient = new_identity(identity)
    monkeypatch.setenv("CHRONO_EDGE_BACKUP_RECIPIENT", recipient)  # the box's, as Ansible sets
    return identity, recipient


def job_of(db: Path) -> tuple[str, int, str]:
    with sqlite3.connect(db) as connection:
        state, attempt, errors = connection.execute(
            "SELECT state, attempt, errors FROM job WHERE kind = 'archive.event'"
        ).fetchone()
    return str(state), int(attempt), str(errors)


def wait_for(db: Path, done: str, timeout_s: float = 60.0) -> tuple[str, int, str]:
    deadline = time.monotonic() + timeout_s
    while (job := job_of(db))[0] != done:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    return job


def test_archive_job_survives_an_outage_and_a_restart_then_purge(
    central: tuple[str, str], fleet_key: tuple[Path, str], tmp_path: Path
) -> None:
    base, url = central
    box = tmp_path / "box"
    db, role_file = box / "edge.db", box / "reader.json"
    chrono(db, "event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono(db, "event", "load", str(ROOT / "docs/examples/timed.yaml"))
    chrono(db, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    chrono(db, "passings", "add", "--event", SLUG, "--point", "FINISH", "--bib", "4",
           "--time", "2026-04-12T10:20:00+02:00")  # fmt: skip
    link = enroll(base, url, "archive-worker")
    # Central out of reach when the operator archives (the 4G dropped).
    offline = link.model_copy(update={"url": f"http://127.0.0.1:{free_port()}"})
    save_role(role_file, RoleConfig(event=SLUG, point="FINISH", central=offline))
    out = chrono(db, "archive", "event", SLUG, "--by", "Ana", "--json")
    started = json.loads(out)
    assert started["state"] == "building"
    with box_worker(db, role_file, box):
        deadline = time.monotonic() + 60
        while (job := job_of(db))[1] < 1 or job[0] == "executing":
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
    state, _, errors = job_of(db)
    assert state == "retryable"
    assert "cannot be reached" in errors or "interrupted" in errors
    status = chrono(db, "archive", "status", SLUG)
    assert "failed" in status
    refused = chrono_fails(db, "archive", "purge", SLUG, "--yes")
    assert "not confirmed by central" in refused
    # The link is back; a new worker (the box rebooted) picks the same job up and finishes it.
    save_role(role_file, RoleConfig(event=SLUG, point="FINISH", central=link))
    with box_worker(db, role_file, box):
        wait_for(db, "completed", timeout_s=90)
    status = json.loads(chrono(db, "archive", "status", SLUG, "--json"))
    assert status["id"] == started["id"]
    assert status["state"] == "confirmed"
    refused = chrono_fails(db, "archive", "purge", SLUG, "--yes")
    assert "still set to" in refused  # the box times this event: its reader would write on
    save_role(role_file, RoleConfig(event="heure-du-parc-2026", point="FINISH", central=link))
    purged = chrono(db, "archive", "purge", SLUG, "--yes")
    assert f"{SLUG} purged" in purged
    with sqlite3.connect(db) as connection:
        slugs = connection.execute("SELECT slug FROM event").fetchall()
    assert slugs == [("heure-du-parc-2026",)]
    # The fleet admin opens central's copy with the key.
    stored = Path(central_archive(url, tmp_path / "central/var/central")["file"])
    assert stored.name == status["central_id"]
    opened = tmp_path / "opened"
    chrono(db, "archive", "open", str(stored), "--identity", str(fleet_key[0]), "--to", str(opened))
    manifest = json.loads((opened / "manifest.json").read_text())
    assert manifest["event"] == SLUG
    assert manifest["counts"]["passing"] == 1
    with sqlite3.connect(opened / "event.db") as copy:
        assert copy.execute("SELECT bib FROM passing").fetchall() == [("4",)]


def chrono_fails(db: Path, *args: str) -> str:
    """``chrono-edge --db DB ARGS`` that must fail: its output."""
    from click.testing import CliRunner

    from edge.cli import cli as edge_cli
    from edge.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(edge_cli, ["--db", str(db), *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0, result.output
    return result.output


def central_archive(url: str, data_dir: Path) -> dict[str, object]:
    """The one archive ``chrono-central archives list`` shows for the event."""
    from click.testing import CliRunner

    from central.cli import cli as central_cli
    from central.settings import get_settings as central_settings

    env = {"CHRONO_CENTRAL_DATABASE_URL": url, "CHRONO_CENTRAL_DATA_DIR": str(data_dir)}
    central_settings.cache_clear()
    try:
        listed = CliRunner(env=env).invoke(
            central_cli, ["archives", "list", "--event", SLUG, "--json"]
        )
    finally:
        central_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    [archive] = json.loads(listed.stdout)
    assert archive["event"] == SLUG
    assert archive["verified"] is not None
    return dict(archive)
