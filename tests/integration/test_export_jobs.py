"""Export jobs through a real worker: each kind and format is made, named and downloadable."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.browser import EXAMPLE_SLUG, LiveBox, live_box
from tests.exportbox import FINISHERS, add_finishers, exports_folder, wait_job

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    with live_box(tmp_path_factory.mktemp("box"), worker=True) as running:
        add_finishers(running)
        yield running


def _export(
    box: LiveBox, kind: str, fmt: str, language: str | None = None
) -> tuple[dict[str, object], httpx.Response]:
    asked = {"event": EXAMPLE_SLUG, "race": "10K", "kind": kind, "format": fmt}
    if language:
        asked["language"] = language
    started = httpx.post(f"{box.url}/api/v1/exports", json=asked)
    assert started.status_code == 201, started.text
    job = wait_job(box, started.json()["id"])
    assert job["state"] == "completed", job
    assert job["progress"] == 100
    name = job["result"]["file"]
    suffix = f"-{language}" if language not in (None, "en") else ""
    assert name == started.json()["file"] == f"{EXAMPLE_SLUG}_10K_{kind}{suffix}.{fmt}"
    return job, httpx.get(f"{box.url}/api/v1/exports/files/{name}")


def test_scratch_csv_lists_finishers_in_rank_order(box: LiveBox) -> None:
    _, answer = _export(box, "scratch", "csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert f"{EXAMPLE_SLUG}_10K_scratch.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["bib"] for r in rows if r["status"] == "FIN"] == FINISHERS
    assert rows[0]["rank"] == "1"
    assert rows[0]["chip_time"] == "0:29:50.0"


def test_exports_in_french_are_headed_in_french_beside_the_english_ones(box: LiveBox) -> None:
    _, english = _export(box, "scratch", "csv", "en")
    _, french = _export(box, "scratch", "csv", "fr")
    header = french.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["Clt", "Dossard", "Prénom", "Nom"]
    assert "Temps officiel" in header
    # English keeps the machine column names scripts read, as the API and central do.
    assert english.content.decode("utf-8-sig").startswith("rank,bib,first_name,last_name")
    _, workbook = _export(box, "scratch", "xlsx", "fr")
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames[0] == "Scratch"
    assert [c.value for c in book["Scratch"][1]][:2] == ["Clt", "Dossard"]
    files = [f["name"] for f in httpx.get(f"{box.url}/api/v1/exports").json()["files"]]
    assert f"{EXAMPLE_SLUG}_10K_scratch.csv" in files  # the French file did not replace it
    assert f"{EXAMPLE_SLUG}_10K_scratch-fr.csv" in files


def test_category_workbook_has_a_sheet_per_category(box: LiveBox) -> None:
    _, answer = _export(box, "category", "xlsx")
    book = load_workbook(io.BytesIO(answer.content))
    found = {
        name: [str(row[1]) for row in book[name].iter_rows(min_row=2, values_only=True)]
        for name in book.sheetnames
    }
    assert sorted(b for bibs in found.values() for b in bibs) == sorted(FINISHERS)
    assert all(name in {"ES-F", "ES-M", "SE-F", "SE-M", "MA-F", "MA-M"} for name in found)


def test_teams_and_certificates_are_pdfs_that_render(box: LiveBox, tmp_path: Path) -> None:
    for kind in ("teams", "certificates"):
        _, answer = _export(box, kind, "pdf")
        assert answer.headers["content-type"] == "application/pdf"
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(answer.content)
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / kind)],
                       check=True)  # fmt: skip
        pages = sorted(tmp_path.glob(f"{kind}*.png"))
        assert pages
        assert all(p.stat().st_size > 0 for p in pages)
        if kind == "certificates":
            assert len(pages) == len(FINISHERS)  # one page per finisher


def test_a_wrong_request_starts_nothing(box: LiveBox) -> None:
    before = len(httpx.get(f"{box.url}/api/v1/exports").json()["jobs"])
    for asked in (
        {"event": EXAMPLE_SLUG, "race": "10K", "kind": "certificates", "format": "xlsx"},
        {"event": EXAMPLE_SLUG, "race": "42K", "kind": "scratch", "format": "csv"},
        {"event": EXAMPLE_SLUG, "race": "10K", "kind": "medals", "format": "csv"},
        {
            "event": EXAMPLE_SLUG,
            "race": "10K",
            "kind": "scratch",
            "format": "pdf",
            "language": "de",
        },
    ):
        answer = httpx.post(f"{box.url}/api/v1/exports", json=asked)
        assert answer.status_code in (404, 422), answer.text
    assert len(httpx.get(f"{box.url}/api/v1/exports").json()["jobs"]) == before


def test_downloads_never_leave_the_exports_folder(box: LiveBox) -> None:
    (exports_folder(box).parent / "secret.csv").write_text("nope")
    for name in ("..%2Fsecret.csv", "%2E%2E%2Fsecret.csv", "..%5Csecret.csv", "edge.db",
                 ".hidden.csv", "..%2F..%2Fedge.db"):  # fmt: skip
        answer = httpx.get(f"{box.url}/api/v1/exports/files/{name}")
        assert answer.status_code == 404, (name, answer.status_code)
        assert b"nope" not in answer.content


def test_an_export_that_fails_in_its_child_process_fails_its_job_with_the_reason(
    box: LiveBox,
) -> None:
    # Past the web's checks (a race deleted meanwhile, say): the child's error is the job's.
    asked = {"event": EXAMPLE_SLUG, "race": "42K", "kind": "scratch", "format": "xlsx"}
    queued = box.cli("jobs", "enqueue", "exports.results", "--payload", json.dumps(asked))
    job_id = int(queued.stdout.strip().rsplit(" ", 1)[1])
    job = wait_job(box, job_id)
    assert job["state"] == "discarded", job
    errors = job["errors"] if isinstance(job["errors"], list) else json.loads(job["errors"])
    assert errors, job
    assert all("42K" in entry["error"] for entry in errors), errors
    assert all("ChildFailed" in entry["error"] for entry in errors), errors
