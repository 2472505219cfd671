"""Central's spectator pages in Chromium at phone and desktop sizes (issue 24).

A real central process serves what boxes published (tests/publicevent.py): the event
list, an event's race tabs and views, the search, French and English, the 404 page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import browser_page
from tests.publicevent import NAME, SLUG, published_central
from tests.servers import central_process, free_port

pytestmark = [pytest.mark.e2e]

PHONE = (390, 844)
DESKTOP = (1366, 768)


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("public-browser")
    url = published_central(folder, dt.datetime.now(dt.UTC).date().isoformat())
    with central_process(url, free_port(), folder) as base:
        yield base


def shown_bibs(page: Any) -> list[str]:
    return [str(b) for b in page.locator("tr[data-bib]").evaluate_all(
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.bib)"
    )]  # fmt: skip


def fits_the_screen(page: Any) -> bool:
    """Whether nothing makes the page wider than its viewport (no sideways scrolling)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_spectator_finds_the_event_and_moves_between_races_and_tabs(
    central: str, size: tuple[int, int]
) -> None:
    with browser_page(*size) as page:
        page.goto(f"{central}/public?lang=en")
        first = page.locator("ul.events li").first
        assert first.get_attribute("data-event") == SLUG  # today's event first
        assert "Today" in first.inner_text()
        first.locator("a.event").click()
        page.wait_for_url(f"**/public/events/{SLUG}?lang=en")
        assert page.inner_text("h1") == f"{NAME} — 10K"
        assert shown_bibs(page) == ["102", "101", "103", "104", "105", "106"]
        assert page.inner_text('tr[data-bib="104"] td.status') == "On course"
        assert fits_the_screen(page)

        page.click('#tabs a[data-tab="sex"]')
        page.wait_for_url("**tab=sex**")
        groups = page.locator("h2.group-title").all_inner_texts()
        assert [g.split(" (")[0] for g in groups] == ["Women", "Men"]
        assert shown_bibs(page) == ["101", "103", "105", "102", "104", "106"]

        page.click('#races a[data-race="5K"]')
        page.wait_for_url("**race=5K**")
        assert page.inner_text("h1") == f"{NAME} — 5K"
        assert shown_bibs(page) == ["101", "102"]  # the 5K by sex: Hélène, then Marc
        assert page.locator('#tabs a[aria-current="page"]').inner_text() == "By sex"

        page.click('#races a[data-race="10K"]')
        page.click('#tabs a[data-tab="team"]')
        page.wait_for_url("**tab=team**")
        assert "Les Fusées" in page.inner_text('tr[data-team="Les Fusées"]')
        assert fits_the_screen(page)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_results_fold_into_cards_on_a_phone_only(central: str, size: tuple[int, int]) -> None:
    with browser_page(*size) as page:
        page.goto(f"{central}/public/events/{SLUG}?race=10K&lang=en")
        header = page.locator("table.results thead")
        cell = page.locator('tr[data-bib="101"] td.name').first
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        if size == PHONE:
            assert not header.is_visible()  # each card says what each value is instead
            assert label == '"First name"'
            box = page.locator('tr[data-bib="101"]').bounding_box()
            assert box is not None
            assert box["width"] <= size[0]
        else:
            assert header.is_visible()
            assert label in ("none", "normal")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_search_by_bib_or_name(central: str, size: tuple[int, int]) -> None:
    with browser_page(*size) as page:
        page.goto(f"{central}/public/events/{SLUG}?race=10K&lang=en")
        page.fill("#search", "nuñez")
        page.press("#search", "Enter")
        page.wait_for_url("**q=nu%C3%B1ez**")
        assert shown_bibs(page) == ["103"]
        assert "1 of 6" in page.inner_text("#counts")
        page.fill("#search", "105")
        page.press("#search", "Enter")
        page.wait_for_url("**q=105**")
        assert shown_bibs(page) == ["105"]
        assert page.inner_text('tr[data-bib="105"] td.status') == "DNF"
        page.click("#counts a")  # show all
        page.wait_for_function("document.querySelectorAll('tr[data-bib]').length === 6")
        page.fill("#search", "Quelqu'un")
        page.press("#search", "Enter")
        page.wait_for_selector("#no-match")
        assert shown_bibs(page) == []


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_french_by_the_browser_and_english_by_the_switch(
    central: str, size: tuple[int, int]
) -> None:
    with browser_page(*size) as page:
        page.set_extra_http_headers({"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        page.goto(f"{central}/public")
        assert page.inner_text("h1") == "Résultats en direct"
        assert "Aujourd'hui" in page.locator("ul.events li").first.inner_text()
        page.goto(f"{central}/public/events/{SLUG}?race=10K")
        assert page.get_attribute("html", "lang") == "fr"
        assert page.inner_text('tr[data-bib="101"] td.status') == "Arrivé"
        assert page.inner_text('tr[data-bib="106"] td.status') == "Non partant"
        assert page.locator('#tabs a[data-tab="category"]').inner_text() == "Par catégorie"
        assert page.get_attribute("#search", "placeholder") == "Dossard ou nom"

        page.click('a[data-lang="en"]')
        page.wait_for_url("**lang=en**")
        assert page.inner_text('tr[data-bib="101"] td.status') == "Finished"
        # Every link of the page keeps the language the visitor picked, whatever the browser says.
        page.click('#tabs a[data-tab="category"]')
        page.wait_for_url("**tab=category**lang=en**")
        assert page.locator('#tabs a[aria-current="page"]').inner_text() == "By category"
        page.fill("#search", "Dubois")
        page.press("#search", "Enter")
        page.wait_for_url("**q=Dubois**")
        assert "lang=en" in page.url
        assert page.inner_text('tr[data-bib="102"] td.status') == "Finished"
        assert page.locator('tr[data-bib="102"] td.bib a').get_attribute("href") == (
            f"/public/events/{SLUG}/runners/102?lang=en"
        )


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_unknown_event_is_a_page_that_leads_back(central: str, size: tuple[int, int]) -> None:
    with browser_page(*size) as page:
        answer = page.goto(f"{central}/public/events/no-such-race-2026?lang=fr")
        assert answer is not None
        assert answer.status == 404
        assert page.inner_text("#not-found") == "Page introuvable"
        assert fits_the_screen(page)
        page.click('main a[href="/public?lang=fr"]')
        page.wait_for_url("**/public?lang=fr")
        assert page.locator("ul.events li").count() == 2
