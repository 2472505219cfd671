"""Export writers: CSV columns, the workbook read back, PDFs rendered to images."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from edge.exports.certificate import CertificateBook, certificates_of
from edge.exports.csvsheet import csv_bytes
from edge.exports.document import pdf_bytes
from edge.exports.files import export_name, is_export_name
from edge.exports.files import write_export as write_atomic
from edge.exports.tables import category_tables, scratch_tables, team_tables
from edge.exports.words import FRENCH
from edge.exports.workbook import xlsx_bytes
from edge.timing.export import TEAM_COLUMNS, result_columns
from edge.timing.model import EntrantInfo, EntrantResult, RaceSpec, Status, TeamResult

S = 1_000_000
SPEC = RaceSpec(
    code="10K",
    timing="chip",
    min_time_us=0,
    cutoff_us=None,
    start_points=frozenset({"START"}),
    finish_points=frozenset({"FINISH"}),
    split_points=("KM5",),
    waves={"W1": 0},
    first_wave="W1",
)


def _finisher(bib: str, rank: int, last: str, sex: str, category: str, cat_rank: int,
              sex_rank: int, seconds: int) -> EntrantResult:  # fmt: skip
    return EntrantResult(
        entrant=EntrantInfo(bib=bib, first_name="Zoé", last_name=last, sex=sex, club="AC Łódź"),
        status=Status.FIN,
        category=category,
        gun_time_us=seconds * S,
        chip_time_us=seconds * S - 3 * S,
        ranking_time_us=seconds * S - 3 * S,
        rank=rank,
        sex_rank=sex_rank,
        category_rank=cat_rank,
        splits_us={"KM5": seconds * S // 2},
    )


RESULTS = [
    _finisher("7", 1, "Nuñez", "F", "SE-F", 1, 1, 2100),
    _finisher("3", 2, "Dupont", "M", "MA-M", 1, 1, 2200),
    _finisher("9", 3, "Martin", "M", "MA-M", 2, 2, 2300),
    EntrantResult(entrant=EntrantInfo(bib="12", last_name="Absent"), status=Status.DNS),
]


def _render_png(pdf: bytes, tmp_path: Path) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: apt install poppler-utils (CI installs it)")
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    return sorted(tmp_path.glob("page*.png"))


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing: apt install poppler-utils (CI installs it)")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def _inked(png: Path) -> int:
    with Image.open(png) as image:
        return sum(image.convert("L").histogram()[:200])  # pixels darker than light grey


def test_csv_has_the_api_columns_and_finishers_first() -> None:
    text = csv_bytes(scratch_tables(RESULTS, SPEC)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == result_columns(SPEC)
    assert [r[1] for r in rows[1:]] == ["7", "3", "9", "12"]
    assert rows[1][rows[0].index("chip_time")] == "0:34:57.0"
    assert rows[4][rows[0].index("status")] == "DNS"


def test_csv_in_a_language_is_headed_for_people_in_it() -> None:
    text = csv_bytes(scratch_tables(RESULTS, SPEC, FRENCH), FRENCH).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Clt", "Dossard", "Prénom", "Nom"]
    assert rows[0][-4:] == ["Temps officiel", "Temps réel", "KM5", "Club"]
    assert [r[1] for r in rows[1:]] == ["7", "3", "9", "12"]  # the same rows as without words


def test_french_workbook_has_french_sheets_and_headings() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(scratch_tables(RESULTS, SPEC, FRENCH), "x", FRENCH)))
    assert book.sheetnames == ["Scratch", "Non classés"]
    header = next(book["Scratch"].iter_rows(values_only=True))
    assert header[:4] == ("Clt", "Dossard", "Prénom", "Nom")
    assert "Clt cat." in header
    assert "Temps officiel" in header
    assert not {"Rank", "Bib", "Gun time", "Cat. rank"} & set(header)
    assert book.properties.language == "fr"
    categories = category_tables([RESULTS[0], _finisher("5", 2, "Roy", "M", "", 0, 3, 2400)],
                                 SPEC, ["SE-F"], FRENCH)  # fmt: skip
    assert [t.title for t in categories] == ["SE-F", "Sans catégorie"]


def test_results_pdf_headings_follow_the_language(tmp_path: Path) -> None:
    team = TeamResult(team="Les Gazelles", total_us=6600 * S, members=RESULTS[:3], rank=1)
    tables = [*scratch_tables(RESULTS, SPEC, FRENCH), *team_tables([team], FRENCH)]
    french = _pdf_text(pdf_bytes(tables, "Printemps", "2026-04-12 · Scratch", FRENCH), tmp_path)
    for heading in ("Clt", "Nom", "Catégorie", "Clt cat.", "Temps officiel", "Non classés",
                    "Équipes", "Temps cumulé", "Membres"):  # fmt: skip
        assert heading in french, heading
    for heading in ("Rank", "Name", "Category", "Cat. rank", "Gun time", "Not classified"):
        assert heading not in french, heading
    english = _pdf_text(pdf_bytes(tables[:1], "Spring", "2026-04-12"), tmp_path)
    assert "Rank" in english
    assert "Cat. rank" in english
    assert "Gun time" in english


def test_workbook_reads_back_finishers_in_rank_order(tmp_path: Path) -> None:
    data = xlsx_bytes(scratch_tables(RESULTS, SPEC), "Spring 10K")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Scratch", "Not classified"]
    rows = list(book["Scratch"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Rank", "Bib", "First name")
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(1, "7", "Nuñez"), (2, "3", "Dupont"),
                                                     (3, "9", "Martin")]  # fmt: skip
    assert [r[1] for r in book["Not classified"].iter_rows(min_row=2, values_only=True)] == ["12"]


def test_workbook_has_a_sheet_per_category_ranked_within_it() -> None:
    data = xlsx_bytes(category_tables(RESULTS, SPEC, ["SE-F", "MA-M"]), "x")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["SE-F", "MA-M"]
    assert [r[1] for r in book["MA-M"].iter_rows(min_row=2, values_only=True)] == ["3", "9"]


def test_results_pdf_renders_with_ink(tmp_path: Path) -> None:
    team = TeamResult(team="Les Gazelles", total_us=6600 * S, members=RESULTS[:3], rank=1)
    tables = [*scratch_tables(RESULTS, SPEC), *team_tables([team])]
    assert tables[-1].columns == TEAM_COLUMNS
    pages = _render_png(pdf_bytes(tables, "Spring 10K — 10 km", "2026-04-12"), tmp_path)
    assert pages
    assert all(p.stat().st_size > 0 for p in pages)
    assert _inked(pages[0]) > 500


def test_a_certificate_page_per_finisher(tmp_path: Path) -> None:
    made = certificates_of(RESULTS, "Spring 10K", dt.date(2026, 4, 12), "10 km", "fr")
    assert [c.bib for c in made] == ["7", "3", "9"]
    assert made[2].ranks == (("Scratch", 3, 3), ("Hommes", 2, 2), ("Catégorie MA-M", 2, 2))
    assert made[0].time == "0:34:57.0"
    book = CertificateBook("fr")
    for cert in made:
        book.add(cert)
    pages = _render_png(book.to_bytes(), tmp_path)
    assert len(pages) == 3
    assert all(_inked(p) > 500 for p in pages)


def test_names_are_event_race_kind_and_never_paths(tmp_path: Path) -> None:
    assert export_name("spring-10k-2026", "10K", "scratch", "xlsx") == (
        "spring-10k-2026_10K_scratch.xlsx"
    )
    assert export_name("a/b", "../x", "teams", "csv") == "a-b_x_teams.csv"
    assert is_export_name("spring-10k-2026_10K_scratch.xlsx")
    for bad in ("../edge.db", ".hidden.csv", "a/b.csv", "x.db", "", "..csv"):
        assert not is_export_name(bad), bad
    written = write_atomic(tmp_path / "exports", "a_b_c.csv", b"data")
    assert written.read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "exports").iterdir()] == ["a_b_c.csv"]
