"""Central's spectator pages over HTTP (issue 24): a real central process on a real SQLite
file holding what boxes published. The browser's view: tests/e2e/test_public_pages_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest

from central.services.public_view import view
from tests.integration.test_central_fleet import enroll, report
from tests.publicevent import NAME, SLUG, published_central
from tests.security.test_headers import assert_protected
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("public-pages")
    url = published_central(folder, dt.datetime.now(dt.UTC).date().isoformat())
    with central_process(url, free_port(), folder) as base:
        yield base, url


@pytest.fixture(scope="module")
def central(served: tuple[str, str]) -> str:
    return served[0]


def bibs(page: str) -> list[str]:
    return re.findall(r'<tr data-bib="([^"]+)">', page)


def test_the_event_list_puts_today_first_with_name_and_date(central: str) -> None:
    page = httpx.get(f"{central}/public")
    assert page.status_code == 200
    events = re.findall(r'<li data-event="([^"]+)"', page.text)
    assert events == [SLUG, "old-cross"]
    assert NAME in page.text
    assert "2025-01-12" in page.text
    assert 'href="/public/events/trail-des-cretes?race=10K"' in page.text
    assert "set-cookie" not in page.headers
    assert page.headers["vary"] == "Accept-Language"


def test_the_event_page_without_a_race_shows_its_first_race_as_html(central: str) -> None:
    page = httpx.get(f"{central}/public/events/{SLUG}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"<h1>{NAME} — 10K</h1>" in page.text
    assert bibs(page.text) == ["102", "101", "103", "104", "105", "106"]
    assert 'data-race="5K"' in page.text


def test_tabs_group_by_sex_and_category_and_rank_teams(central: str) -> None:
    by_sex = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "10K", "tab": "sex"})
    groups = re.findall(r'data-group="([^"]*)"', by_sex.text)
    assert groups == ["F", "M"]
    assert bibs(by_sex.text) == ["101", "103", "105", "102", "104", "106"]
    headings = re.findall(r'<th data-column="([^"]+)">', by_sex.text)
    assert headings[0] == "sex_rank"
    by_category = httpx.get(
        f"{central}/public/events/{SLUG}", params={"race": "10K", "tab": "category"}
    )
    assert re.findall(r'data-group="([^"]*)"', by_category.text) == ["SEF", "SEM", "V1F", "V1M"]
    teams = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "10K", "tab": "team"})
    assert '<tr data-team="Les Fusées">' in teams.text
    assert "1:19:12.4" in teams.text
    # The 5K's document has no team ranking: no team tab, and asking for it shows scratch.
    five = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "5K", "tab": "team"})
    assert 'data-tab="team"' not in five.text
    assert bibs(five.text) == ["102", "101"]


def test_search_by_bib_or_name_works_without_javascript(central: str) -> None:
    url = f"{central}/public/events/{SLUG}"
    assert bibs(httpx.get(url, params={"race": "10K", "q": "103"}).text) == ["103"]
    assert bibs(httpx.get(url, params={"race": "10K", "q": "lefèvre"}).text) == ["101"]
    assert bibs(httpx.get(url, params={"race": "10K", "q": "Paul Martin"}).text) == ["104"]
    nobody = httpx.get(url, params={"race": "10K", "q": "Nobody"})
    assert bibs(nobody.text) == []
    assert 'id="no-match"' in nobody.text


def test_french_by_the_browser_or_the_url_and_the_links_keep_it(central: str) -> None:
    url = f"{central}/public/events/{SLUG}"
    french = httpx.get(url, params={"race": "10K"}, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<th data-column="first_name">Prénom</th>' in french.text
    assert '<span class="badge ok">Arrivé</span>' in french.text
    assert '<span class="badge warn">Abandon</span>' in french.text
    assert french.headers["vary"] == "Accept-Language"
    chosen = httpx.get(url, params={"race": "10K", "lang": "fr"}, headers={"Accept-Language": "en"})
    assert "Résultats provisoires" in chosen.text
    assert "vary" not in chosen.headers  # the URL alone says which page this is
    assert 'href="/public/events/trail-des-cretes?race=10K&amp;tab=sex&amp;lang=fr"' in chosen.text
    assert 'href="/public/events/trail-des-cretes/runners/101?lang=fr"' in chosen.text
    english = httpx.get(
        url, params={"race": "10K", "lang": "en"}, headers={"Accept-Language": "fr"}
    )
    assert '<th data-column="first_name">First name</th>' in english.text


def test_pages_revalidate_by_etag_without_cookies(central: str) -> None:
    url = f"{central}/public/events/{SLUG}?race=10K&lang=en"
    first = httpx.get(url)
    # A cache in front keeps it a few seconds; a browser asks again at every reload.
    assert first.headers["cache-control"] == "public, max-age=0, s-maxage=5"
    assert "set-cookie" not in first.headers
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    other_tab = httpx.get(f"{url}&tab=sex", headers={"If-None-Match": first.headers["etag"]})
    assert other_tab.status_code == 200  # another view of the race is another page
    french = httpx.get(
        url.replace("lang=en", "lang=fr"), headers={"If-None-Match": first.headers["etag"]}
    )
    assert french.status_code == 200


def test_an_unknown_event_or_race_is_a_friendly_404_page(central: str) -> None:
    event = httpx.get(f"{central}/public/events/no-such-event")
    assert event.status_code == 404
    assert event.headers["content-type"].startswith("text/html")
    assert 'id="not-found"' in event.text
    assert 'href="/public"' in event.text
    race = httpx.get(f"{central}/public/events/{SLUG}", params={"race": "42K", "lang": "fr"})
    assert race.status_code == 404
    assert "Page introuvable" in race.text
    assert 'data-race="10K"' in race.text  # where to go instead
    assert 'href="/public/events/trail-des-cretes?race=42K&amp;lang=en"' in race.text


def test_an_unknown_public_address_is_the_same_html_404_page(central: str) -> None:
    for path in ("/public/foo", "/public/events/x/y/z", f"/public/events/{SLUG}/runners/7/more"):
        answer = httpx.get(f"{central}{path}")
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert 'id="not-found"' in answer.text
        assert "Nothing is published at this address." in answer.text
        assert 'href="/public"' in answer.text  # where to go instead
        assert "set-cookie" not in answer.headers
        assert_protected(answer)
    french = httpx.get(f"{central}/public/foo", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Page introuvable" in french.text
    assert french.headers["vary"] == "Accept-Language"
    chosen = httpx.get(f"{central}/public/foo", params={"lang": "fr"})
    assert "Page introuvable" in chosen.text
    assert 'href="/public?lang=fr"' in chosen.text  # the way back keeps the language


def test_the_json_api_and_other_addresses_keep_their_json_404(central: str) -> None:
    for path in ("/api/v1/public/nowhere", "/nowhere", "/publicity"):
        answer = httpx.get(f"{central}{path}")
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json"), path
        assert answer.json()["status_code"] == 404
    unknown = httpx.get(f"{central}/api/v1/public/events/no-such-event/results?race=10K")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "NotFound"


def test_a_long_race_is_paged() -> None:
    document = {
        "columns": ["rank", "bib"],
        "rows": [{"rank": n, "bib": str(n)} for n in range(1, 251)],
    }
    second = view(document, "scratch", "", 2)
    assert (second.page, second.pages, second.matched) == (2, 3, 250)
    assert [row["bib"] for row in second.groups[0].rows][:2] == ["101", "102"]
    assert len(second.groups[0].rows) == 100
    beyond = view(document, "scratch", "", 9)
    assert beyond.page == 3
    assert len(beyond.groups[0].rows) == 50


def test_the_place_a_box_reports_is_on_the_list_and_an_older_box_reports_none(
    served: tuple[str, str],
) -> None:
    base, url = served
    _, token = enroll(base, url, "f-place", event=SLUG)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    event = {"slug": SLUG, "name": NAME, "date": today, "timezone": "UTC"}
    report(base, token, role="master", event={**event, "place": "Col de la Faucille"})
    listed = httpx.get(f"{base}/public", params={"lang": "en"}).text
    assert '<span class="place">Col de la Faucille</span>' in listed
    report(base, token, role="master", event=event)  # a box older than issue 24
    assert 'class="place"' not in httpx.get(f"{base}/public", params={"lang": "en"}).text
