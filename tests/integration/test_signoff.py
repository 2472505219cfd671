"""Provisional, then official: sign-off, reasons after it, history, on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from openpyxl import load_workbook

from edge.app import create_app
from edge.backup.replay import replay_changes
from edge.cli import cli
from edge.domain import ManualStatus, PassingMethod
from edge.domain.clock import parse_instant
from edge.errors import Conflict, InvalidInput, ReasonRequired
from edge.imports.eventfile import load_event_file
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.exports import ExportRequest, ExportService
from edge.services.manual import ManualEntryService
from edge.services.passings import NewPassing, PassingService
from edge.services.results import ResultService
from edge.services.results_history import ResultsHistoryService
from edge.services.signoff import SignoffService
from edge.settings import Settings
from edge.store.database import Database
from edge.store.tag_passings import TagPassings
from edge.sync.apply import InboxService
from edge.sync.protocol import BatchIn, ChangeIn
from tests.syncbox import crossing, record

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
BASE = f"/api/v1/events/{SLUG}"
BACKUP_FILE = b"dossard;heure\n3;10:20:00.5\n"


async def _loaded(db: Database) -> None:
    await EventService(db).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    await EntrantService(db).import_csv(SLUG, (ROOT / "docs/examples/entrants.csv").read_bytes())
    for bib, clock in (("1", "10:10:00"), ("2", "10:05:00")):
        at = parse_instant(f"2026-04-12T{clock}+02:00")
        await PassingService(db).record(
            SLUG, NewPassing("FINISH", bib, at), method=PassingMethod.MANUAL
        )


def _count(path: Path, query: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(query).fetchone()[0])


async def test_signoff_makes_results_official_and_a_change_needs_a_reason(
    database: Database, db_path: Path
) -> None:
    await _loaded(database)
    signoff = SignoffService(database)
    before = await signoff.state(SLUG, "10K")
    assert (before.state.value, before.version, before.label) == ("provisional", 1, "Provisional")

    with pytest.raises(InvalidInput, match="signer's name"):
        await signoff.sign(SLUG, "10K", "   ")
    signed = await signoff.sign(SLUG, "10K", "Claire Arbitre")
    assert (signed.state.value, signed.version, signed.label) == ("official", 1, "Official v1")
    assert signed.signed_by == "Claire Arbitre"
    assert signed.signed_us is not None
    with pytest.raises(Conflict, match="already official"):
        await signoff.sign(SLUG, "10K", "Someone Else")

    corrections = CorrectionService(database)
    finish_1 = (await PassingService(database).list_passings(SLUG, bib="1"))[0][0].id
    add = CorrectionRequest(kind="add", bib="3", point="FINISH", time="10:20:00")
    late = NewPassing("FINISH", "5", parse_instant("2026-04-12T10:30:00+02:00"))
    edit = {"last_name": "Lefebvre", "first_name": "Hélène", "race": "10K", "sex": "F"}
    # Every kind of change touching the race is refused without a reason, and writes nothing.
    refused = [
        lambda: corrections.apply(SLUG, add, "op"),
        lambda: corrections.apply(SLUG, CorrectionRequest("ignore", passing_id=finish_1), "op"),
        lambda: ManualEntryService(database).enter(SLUG, "FINISH", "4"),
        lambda: PassingService(database).record(SLUG, late, method=PassingMethod.MANUAL),
        lambda: PassingService(database).import_csv(SLUG, BACKUP_FILE, point="FINISH"),
        lambda: EntrantService(database).set_manual_status(SLUG, "1", ManualStatus.DNF),
        lambda: EntrantService(database).update_entrant(SLUG, "1", edit),
    ]
    for change in refused:
        with pytest.raises(ReasonRequired, match=r"10K \(official v1\).*give a reason"):
            await change()
    assert _count(db_path, "SELECT count(*) FROM correction") == 0
    assert _count(db_path, "SELECT count(*) FROM passing") == 2
    assert _count(db_path, "SELECT count(*) FROM entrant WHERE manual_status IS NOT NULL") == 0
    assert (await signoff.state(SLUG, "10K")).label == "Official v1"

    # With a reason: the change is made and version 2 opens, provisional, with that reason.
    dsq = CorrectionRequest(kind="status", bib="2", status="DSQ", reason="cut the course at km 4")
    view = await corrections.apply(SLUG, dsq, "Paul")
    reopened = await signoff.state(SLUG, "10K")
    assert (reopened.state.value, reopened.version) == ("provisional", 2)
    assert reopened.reason == "cut the course at km 4"
    sheet = await ResultService(database).race_sheet(SLUG, "10K")
    assert {r.entrant.bib: r.status.value for r in sheet.results}["2"] == "DSQ"
    # Provisional again: the next change needs no reason, until the next sign-off.
    await ManualEntryService(database).enter(SLUG, "FINISH", "4")
    again = await signoff.sign(SLUG, "10K", "Claire Arbitre")
    assert again.label == "Official v2"
    with pytest.raises(ReasonRequired, match=r"official v2"):
        await corrections.undo(SLUG, view.id, "Paul")
    await corrections.undo(SLUG, view.id, "Paul", reason="the marshal's report was wrong")
    assert (await signoff.state(SLUG, "10K")).label == "Provisional v3"
    assert (await signoff.state(SLUG, "10K")).version == 3

    history = await ResultsHistoryService(database).history(SLUG, "10K")
    lines = [(e.action, e.version, e.kind, e.bib, e.reason, e.by) for e in history]
    assert lines == [
        ("signoff", 1, "", "", "", "Claire Arbitre"),
        ("reopen", 2, "", "", "cut the course at km 4", "Paul"),
        ("correction", 2, "status", "2", "cut the course at km 4", "Paul"),
        ("signoff", 2, "", "", "", "Claire Arbitre"),
        ("reopen", 3, "", "", "the marshal's report was wrong", "Paul"),
        ("undo", 3, "status", "2", "", "Paul"),
    ]


async def test_a_passing_of_an_unknown_bib_and_a_second_import_need_no_reason(
    database: Database, db_path: Path
) -> None:
    await _loaded(database)
    await SignoffService(database).sign(SLUG, "10K", "Claire")
    await PassingService(database).import_csv(
        SLUG, BACKUP_FILE, point="FINISH", reason="backup timer's sheet", by="Claire"
    )
    # The same file again adds nothing, so it changes nothing and needs no reason.
    report = await PassingService(database).import_csv(SLUG, BACKUP_FILE, point="FINISH")
    assert report.added == 0
    # A bib nobody wears touches no race's results.
    await ManualEntryService(database).enter(SLUG, "FINISH", "999")
    assert _count(db_path, "SELECT count(*) FROM results_version") == 2


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = Settings(db=tmp_path / "edge.db", role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as test_client:
        event = (ROOT / "docs/examples/spring-10k.yaml").read_bytes()
        assert test_client.post("/api/v1/events", content=event).status_code == 201
        entrants = (ROOT / "docs/examples/entrants.csv").read_bytes()
        assert test_client.post(f"{BASE}/entrants/import", content=entrants).status_code == 201
        yield test_client


def test_api_signoff_reason_required_is_400_and_history_is_csv(client: TestClient) -> None:  # type: ignore[type-arg]
    assert client.post(f"{BASE}/results/10K/signoff", json={"name": ""}).status_code == 422
    signed = client.post(f"{BASE}/results/10K/signoff", json={"name": "Claire Arbitre"})
    assert signed.status_code == 200, signed.text
    assert signed.json()["label"] == "Official v1"
    assert client.post(f"{BASE}/results/10K/signoff", json={"name": "X"}).status_code == 409

    add = {"kind": "add", "bib": "3", "point": "FINISH", "time": "10:20:00", "by": "Paul"}
    refused = client.post(f"{BASE}/corrections/", json=add)
    assert refused.status_code == 400
    assert refused.json()["error"] == "ReasonRequired"
    assert "give a reason" in refused.json()["detail"]
    manual = client.post(f"{BASE}/points/FINISH/manual/", json={"bib": "4"})
    assert manual.status_code == 400
    status = client.put(f"{BASE}/entrants/1/status", json={"status": "DNF"})
    assert status.status_code == 400
    imported = client.post(f"{BASE}/passings/import?point=FINISH", content=BACKUP_FILE)
    assert imported.status_code == 400

    made = client.post(f"{BASE}/corrections/", json={**add, "reason": "missed by the mat"})
    assert made.status_code == 201, made.text
    states = client.get(f"{BASE}/results/state").json()
    assert [(s["race"], s["state"], s["version"], s["reason"]) for s in states] == [
        ("10K", "provisional", 2, "missed by the mat")
    ]
    history = client.get(f"{BASE}/results/history?race=10K")
    assert history.headers["content-type"].startswith("text/csv")
    assert "attachment" in history.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(history.text)))
    assert [(r["action"], r["version"], r["reason"]) for r in rows] == [
        ("signoff", "1", ""),
        ("reopen", "2", "missed by the mat"),
        ("correction", "2", "missed by the mat"),
    ]
    assert rows[2]["time"] == "10:20:00.0"
    assert rows[2]["point"] == "FINISH"


def test_cli_signoff_state_history_and_exit_65_without_a_reason(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"

    def chrono(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    chrono("event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono("entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    out = chrono("results", "signoff", "--event", SLUG, "--race", "10K", "--name", "Claire")
    assert "Official v1" in out
    assert "Claire" in out
    refused = chrono("entrants", "set-status", "--event", SLUG, "--bib", "2", "DSQ", code=65)
    assert "give a reason" in refused
    chrono("entrants", "set-status", "--event", SLUG, "--bib", "2", "DSQ",
           "--reason", "no bib worn", "--by", "Paul")  # fmt: skip
    state = list(csv.DictReader(io.StringIO(chrono("results", "state", "--event", SLUG))))
    assert [(s["race"], s["state"], s["version"], s["reason"]) for s in state] == [
        ("10K", "provisional", "2", "no bib worn")
    ]
    history = chrono("results", "history", "--event", SLUG, "--race", "10K")
    rows = list(csv.DictReader(io.StringIO(history)))
    assert [(r["action"], r["version"], r["by"]) for r in rows] == [
        ("signoff", "1", "Claire"),
        ("reopen", "2", "Paul"),
    ]


async def _no_progress(percent: int, stage: str) -> None:
    return None


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


async def test_exports_and_certificates_say_provisional_or_official(
    database: Database, tmp_path: Path
) -> None:
    await _loaded(database)
    exports = ExportService(database, tmp_path / "exports")

    async def made(kind: str, fmt: str, language: str | None = None) -> Path:
        request = ExportRequest(SLUG, "10K", kind, fmt, language)
        return exports.path_of((await exports.produce(request, _no_progress)).name)

    rows = list(csv.DictReader(io.StringIO((await made("scratch", "csv")).read_text("utf-8-sig"))))
    assert {r["results_state"] for r in rows} == {"Provisional results"}
    assert "Provisional results" in _pdf_text(await made("certificates", "pdf"))

    await SignoffService(database).sign(SLUG, "10K", "Claire Arbitre")
    rows = list(csv.DictReader(io.StringIO((await made("scratch", "csv")).read_text("utf-8-sig"))))
    assert {r["results_state"] for r in rows} == {"Official results (v1)"}
    assert [r["bib"] for r in rows if r["status"] == "FIN"] == ["2", "1"]
    french = (await made("scratch", "csv", "fr")).read_text("utf-8-sig").splitlines()
    assert french[0].endswith(",Résultats")
    assert french[1].endswith(",Résultats officiels (v1)")
    book = load_workbook(await made("scratch", "xlsx"))
    sheet = book["Scratch"]
    assert [c.value for c in sheet[1]][-1] == "Results"
    assert [c.value for c in sheet[2]][-1] == "Official results (v1)"
    assert "Official results (v1)" in _pdf_text(await made("scratch", "pdf"))
    certificates = _pdf_text(await made("certificates", "pdf", "fr"))
    assert certificates.count("Résultats officiels (v1)") == 2  # one per finisher's page

    dsq = CorrectionRequest(kind="status", bib="2", status="DSQ", reason="no bib worn")
    await CorrectionService(database).apply(SLUG, dsq, "Paul")
    assert "Provisional results (v2)" in _pdf_text(await made("scratch", "pdf"))


def test_a_reader_log_after_the_signoff_needs_a_reason_before_any_read_is_stored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "edge.db"

    def chrono(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    chrono("event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono("entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    chrono("results", "signoff", "--event", SLUG, "--race", "10K", "--name", "Claire")
    peak = parse_instant("2026-04-12T10:20:00+02:00")
    lines = ["epc,antenna,rssi,timestamp_us"] + [
        f"E2801160600002000000A003,1,{-50 - 8 * (step / 10) ** 2:.1f},{peak + step * 50_000}"
        for step in range(-10, 11)
    ]
    log = tmp_path / "reads.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = ["reads", "import", str(log), "--event", SLUG, "--point", "FINISH"]
    assert "give a reason" in chrono(*imported, code=65)
    assert _count(db, "SELECT count(*) FROM tag_read") == 0
    assert _count(db, "SELECT count(*) FROM passing") == 0
    out = chrono(*imported, "--reason", "the finish reader's log, copied after the race")
    assert "1 added" in out
    state = list(csv.DictReader(io.StringIO(chrono("results", "state", "--event", SLUG))))
    assert [(s["state"], s["version"]) for s in state] == [("provisional", "2")]
    # The same passings again: a rebuild that changes nothing needs no reason.
    chrono("results", "signoff", "--event", SLUG, "--race", "10K", "--name", "Claire")
    assert "0 added, 0 removed" in chrono("passings", "rebuild", "--event", SLUG)


def test_results_page_shows_the_state_and_the_entrant_form_asks_for_a_reason(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    page = client.get(f"/results?event={SLUG}&race=10K")
    assert page.status_code == 200
    assert 'data-state="provisional"' in page.text
    assert "Provisional results" in page.text
    assert client.post(f"{BASE}/results/10K/signoff", json={"name": "Claire"}).is_success
    page = client.get(f"/results?event={SLUG}&race=10K", headers={"Accept-Language": "fr"})
    assert 'data-state="official"' in page.text

    form = {"event": SLUG, "last_name": "Lefebvre", "first_name": "Hélène", "sex": "F",
            "race": "10K", "wave": "W1"}  # fmt: skip
    refused = client.post("/entrants/1/edit", data=form, follow_redirects=False)
    assert refused.status_code == 400
    assert "give a reason" in refused.text
    assert 'name="reason"' in refused.text
    entrants = client.get(f"{BASE}/entrants", params={"q": "1"}).json()
    assert next(e for e in entrants if e["bib"] == "1")["last_name"] != "Lefebvre"
    saved = client.post("/entrants/1/edit", data={**form, "reason": "name misspelt"},
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    states = client.get(f"{BASE}/results/state").json()
    assert [(s["version"], s["reason"]) for s in states] == [(2, "name misspelt")]


async def test_signoffs_replay_onto_a_snapshot_and_a_slave_batch_is_only_acknowledged(
    database: Database, db_path: Path, tmp_path: Path
) -> None:
    await _loaded(database)
    await database.close()
    snapshot = tmp_path / "snapshot.db"
    shutil.copy(db_path, snapshot)
    seq = _count(db_path, "SELECT coalesce(max(seq), 0) FROM outbox")
    await SignoffService(database).sign(SLUG, "10K", "Claire")
    dsq = CorrectionRequest(kind="status", bib="2", status="DSQ", reason="no bib worn")
    await CorrectionService(database).apply(SLUG, dsq, "Paul")
    await SignoffService(database).sign(SLUG, "10K", "Claire")
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT seq, table_name, op, row_id, payload FROM outbox WHERE seq > ? ORDER BY seq",
            [seq],
        ).fetchall()
    changes = [{"seq": s, "table": t, "op": o, "row_id": r, "payload": json.loads(p)}
               for s, t, o, r, p in rows]  # fmt: skip
    versions = [c["payload"] for c in changes if c["table"] == "results_version"]
    assert [(v["event"], v["race"], v["version"], v["state"]) for v in versions] == [
        (SLUG, "10K", 1, "official"),
        (SLUG, "10K", 2, "provisional"),
        (SLUG, "10K", 2, "official"),
    ]

    with sqlite3.connect(snapshot) as connection:
        replay_changes(connection, changes)
        connection.commit()
    query = "SELECT * FROM results_version ORDER BY version"
    with sqlite3.connect(snapshot) as copy, sqlite3.connect(db_path) as original:
        assert copy.execute(query).fetchall() == original.execute(query).fetchall()
    restored = Database(snapshot)
    try:
        assert (await SignoffService(restored).state(SLUG, "10K")).label == "Official v2"
    finally:
        await restored.close()

    # Results are signed off on the MASTER: a SLAVE's rows are acknowledged, not applied.
    batch = BatchIn(
        device_id="slave-1",
        seq_from=1,
        seq_to=len(changes),
        changes=[ChangeIn(**{**c, "seq": i + 1}) for i, c in enumerate(changes)],
    )
    master = tmp_path / "master.db"
    shutil.copy(snapshot, master)
    with sqlite3.connect(master) as connection:
        connection.execute("DELETE FROM results_version")
        connection.execute("DELETE FROM correction")
    inbox = InboxService(Database(master), tmp_path / "reader.json")
    try:
        assert (await inbox.apply(batch)).acked_seq == len(changes)
        assert _count(master, "SELECT count(*) FROM results_version") == 0
    finally:
        await inbox.db.close()


async def test_a_chip_swap_after_the_signoff_reopens_the_race_with_its_reason(
    database: Database, db_path: Path
) -> None:
    await _loaded(database)
    signoff = SignoffService(database)
    await signoff.sign(SLUG, "10K", "Claire Arbitre")
    with sqlite3.connect(db_path) as connection:
        (chip,) = connection.execute("SELECT tag1 FROM entrant WHERE bib = '1'").fetchone()
    corrections = CorrectionService(database)
    # A swap always says why: the reason re-opens the official race as version 2.
    swap = CorrectionRequest(kind="swap", bib="3", epc=chip, reason="bibs 1 and 3 swapped")
    await corrections.apply(SLUG, swap, "Paul")
    reopened = await signoff.state(SLUG, "10K")
    assert (reopened.state.value, reopened.version) == ("provisional", 2)
    assert reopened.reason == "bibs 1 and 3 swapped"
    history = await ResultsHistoryService(database).history(SLUG, "10K")
    assert [(e.action, e.version, e.kind) for e in history][-2:] == [
        ("reopen", 2, ""),
        ("correction", 2, "swap"),
    ]


async def test_chip_passings_the_reader_settles_after_the_signoff_reopen_the_race(
    database: Database, db_path: Path
) -> None:
    await _loaded(database)
    signoff = SignoffService(database)
    await signoff.sign(SLUG, "10K", "Claire Arbitre")
    with sqlite3.connect(db_path) as connection:
        (chip,) = connection.execute("SELECT tag1 FROM entrant WHERE bib = '3'").fetchone()
    # Bib 3 crosses the finish mat after the sign-off: the reader stores the reads and
    # settles the tag, as the reader service does; nobody is there to give a reason.
    peak = parse_instant("2026-04-12T10:25:00+02:00")
    record(db_path, "FINISH", crossing(chip, peak), "")
    report = await TagPassings(db_path).rebuild_tags(SLUG, "FINISH", [chip])
    assert report.added == 1
    reopened = await signoff.state(SLUG, "10K")
    assert (reopened.state.value, reopened.version) == ("provisional", 2)
    assert reopened.reason == "chip passings at FINISH after the sign-off"
    sheet = await ResultService(database).race_sheet(SLUG, "10K")
    assert {r.entrant.bib: r.status.value for r in sheet.results}["3"] == "FIN"
    # Settling the same tag again changes nothing: no version 3.
    again = await TagPassings(db_path).rebuild_tags(SLUG, "FINISH", [chip])
    assert (again.added, again.removed) == (0, 0)
    assert (await signoff.state(SLUG, "10K")).version == 2
    history = await ResultsHistoryService(database).history(SLUG, "10K")
    assert [(e.action, e.version, e.reason, e.by) for e in history][-1] == (
        "reopen",
        2,
        "chip passings at FINISH after the sign-off",
        "reader",
    )
