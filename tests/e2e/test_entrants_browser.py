"""/entrants in Chromium: a bad import shows its report and writes nothing; edits are checked."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.browser import EXAMPLE_SLUG, LiveBox, browser_page, live_box, wait_for_js

pytestmark = [pytest.mark.e2e]

HEADER = "Dossard;Nom;Prénom;Sexe;Club;Course;Puce"
GOOD = [
    "1;Lefèvre;Hélène;F;AC Vincennes;10K;E2801160600002000000A001",  # club changes
    "2;Dupont;Jean;H;US Ivry;10K;E2801160600002000000A002",  # as stored
    "40;Nakamura;Yuki;F;Tokyo RC;10K;E2801160600002000000A040",  # new
]
BAD = "41;Garcia;Ana;X;;10K;E2801160600002000000A041"  # sex X


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    with live_box(tmp_path_factory.mktemp("box")) as running:
        yield running


def _count(db: Path, sql: str, *args: object) -> int:
    with closing(sqlite3.connect(db)) as connection:
        return int(connection.execute(sql, args).fetchone()[0])


def _club(db: Path, bib: str) -> str:
    with closing(sqlite3.connect(db)) as connection:
        found = connection.execute("SELECT club FROM entrant WHERE bib = ?", (bib,)).fetchone()
        return str(found[0])


def _check_file(page: object, path: Path) -> None:
    page.set_input_files("#import-form input[type=file]", str(path))  # type: ignore[attr-defined]
    page.click("#check-import")  # type: ignore[attr-defined]
    page.wait_for_selector("#import-report")  # type: ignore[attr-defined]


def test_import_shows_the_dry_run_and_writes_only_a_clean_file(
    box: LiveBox, tmp_path: Path
) -> None:
    bad_file, good_file = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad_file.write_text("\n".join([HEADER, *GOOD, BAD]) + "\n", encoding="utf-8")
    good_file.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    with browser_page() as page:
        entrants = "SELECT count(*) FROM entrant"
        before, outbox = _count(box.db, entrants), _count(box.db, "SELECT count(*) FROM outbox")
        page.goto(f"{box.url}/entrants")
        assert page.locator("#entrants tr[data-bib]").count() == before

        _check_file(page, bad_file)
        bad_row = page.locator('#import-report tr[data-line="5"]')
        assert "error" in (bad_row.get_attribute("class") or "")
        assert "sex 'X'" in bad_row.inner_text()
        assert "Garcia" in bad_row.inner_text()
        assert page.locator('#import-report tr[data-line="4"]').get_attribute("class") == "added"
        assert page.locator("#import-blocked").is_visible()
        assert page.locator("#confirm-import").count() == 0  # no way to write it
        assert _count(box.db, entrants) == before
        assert _count(box.db, "SELECT count(*) FROM outbox") == outbox
        assert _club(box.db, "1") == "AC Montreuil"

        headless = tmp_path / "headless.csv"  # no last-name column: no report at all
        headless.write_text("Dossard;Course\n50;10K\n", encoding="utf-8")
        page.goto(f"{box.url}/entrants")
        page.set_input_files("#import-form input[type=file]", str(headless))
        page.click("#check-import")
        assert "last_name" in page.locator("#import-failure").inner_text()
        assert page.locator("#confirm-import").count() == 0
        assert _count(box.db, entrants) == before

        page.goto(f"{box.url}/entrants")
        _check_file(page, good_file)
        actions = [
            page.locator(f'#import-report tr[data-line="{n}"]').get_attribute("class")
            for n in (2, 3, 4)
        ]
        assert actions == ["updated", "unchanged", "added"]
        assert "club" in page.locator('#import-report tr[data-line="2"]').inner_text()
        assert _count(box.db, entrants) == before  # a dry run so far
        page.click("#confirm-import")
        page.wait_for_selector("#imported")
        assert "1 added, 1 updated, 1 unchanged" in page.locator("#imported").inner_text()
        assert _count(box.db, entrants) == before + 1
        assert _club(box.db, "1") == "AC Vincennes"


def test_an_edit_is_checked_then_saved_and_replicated(box: LiveBox, tmp_path: Path) -> None:
    with browser_page() as page:
        page.goto(f"{box.url}/entrants")
        page.fill("#search", "nu")
        page.evaluate("window.typedOn = true")  # gone once Enter has loaded the new page
        page.press("#search", "Enter")
        # Typing already rewrites the URL and fetches rows, so the URL alone does not say
        # the page Enter asked for has arrived: wait for a fresh document instead.
        wait_for_js(page, "window.typedOn === undefined && document.readyState === 'complete'")
        assert "q=nu" in page.url
        assert page.locator("#entrants tr[data-bib]").count() == 1  # Nuñez only
        page.click('#entrants tr[data-bib="3"] a')
        page.fill("input[name=club]", "Paris Running")
        page.fill("input[name=birth_date]", "")
        page.fill("input[name=birth_year]", "1850")
        page.click("#save")
        assert "1850" in page.locator("#edit-problems").inner_text()
        assert _club(box.db, "3") == ""  # nothing half-written

        page.fill("input[name=birth_year]", "2003")
        page.click("#save")
        page.wait_for_selector("#saved")
        assert _club(box.db, "3") == "Paris Running"
        replicated = "SELECT count(*) FROM outbox WHERE table_name = 'entrant' AND payload LIKE ?"
        assert _count(box.db, replicated, "%Paris Running%") == 1
        assert "Paris Running" in page.locator('#entrants tr[data-bib="3"]').inner_text()
        page.screenshot(path=str(tmp_path / "entrants.png"))
        assert EXAMPLE_SLUG in page.url


def test_a_french_page_gives_the_import_s_reasons_in_french(box: LiveBox, tmp_path: Path) -> None:
    looks_like = tmp_path / "genre.csv"
    looks_like.write_text("N° dossard;Nom;Genre du coureur;Épreuve\n61;Roy;F;10 km\n", "utf-8")
    bad_rows = tmp_path / "inscriptions.csv"
    bad_rows.write_text(
        "N° dossard;Nom;Sexe;Épreuve\n61;Roy;X;10 km\n62;Petit;F;20 km\n63;Morel;H;10 km\n",
        encoding="utf-8",
    )
    new_bibs = "SELECT count(*) FROM entrant WHERE bib IN ('61', '62', '63')"
    with browser_page() as page:
        page.goto(f"{box.url}/entrants")
        page.click(".langs a[href='/lang/fr']")
        page.wait_for_selector("html[lang=fr]")

        page.set_input_files("#import-form input[type=file]", str(looks_like))
        page.click("#check-import")
        failure = page.locator("#import-failure").inner_text()
        assert "l'en-tête du fichier de participants est inutilisable" in failure
        assert "Genre du coureur: cette colonne n'est pas lue mais ressemble à sex" in failure
        assert "ligne 1" in failure
        assert "looks like" not in failure

        page.goto(f"{box.url}/entrants")
        _check_file(page, bad_rows)
        report = page.locator("#import-report")
        sex = report.locator('tr[data-line="2"]').inner_text()
        assert "le sexe 'X' n'est pas l'un de" in sex
        race = report.locator('tr[data-line="3"]').inner_text()
        assert "'20 km' n'est pas une course de cet événement (courses : 10K (10 km))" in race
        assert "ajouté" in report.locator('tr[data-line="4"]').inner_text()  # "10 km" is 10K
        assert "not a race" not in report.inner_text()
        assert page.locator("#confirm-import").count() == 0
        assert _count(box.db, new_bibs) == 0
