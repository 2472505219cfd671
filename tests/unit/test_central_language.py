"""Central's public pages pick their language without a cookie, and every text has its French."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from litestar import Request

from central.web.language import (
    FOLDER,
    LANGUAGES,
    accepted,
    catalog,
    pick_language,
    translator,
    vary_headers,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "central" / "web" / "templates"
PUBLIC_PAGES = ("*.html",)  # the public pages are the ones that use _()
CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")


def status_badge_words() -> list[str]:
    """What the box's status badge says, which the public event page shows too."""
    macros = (
        TEMPLATES.parents[2] / "edge" / "web" / "templates" / "results_macros.html"
    ).read_text(encoding="utf-8")
    badge = re.search(r"{% macro status_badge.*?{%- endmacro %}", macros, re.S)
    assert badge is not None, "results_macros.html has no status_badge macro"
    words = [match.group(2) for match in CALL.finditer(badge.group(0))]
    assert len(words) == 5  # FIN, ONC, DNF, DNS, DSQ
    return words


def request_with(query: str = "", accept: str | None = None) -> Request[Any, Any, Any]:
    headers = [(b"accept-language", accept.encode())] if accept is not None else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/public",
        "query_string": query.encode(),
        "headers": headers,
    }
    return Request(scope)  # type: ignore[arg-type]


def test_the_query_parameter_wins_over_the_browser() -> None:
    assert pick_language(request_with("lang=fr", "en-GB,en;q=0.9")) == "fr"
    assert pick_language(request_with("lang=en", "fr-FR,fr;q=0.9")) == "en"


def test_an_unknown_query_language_falls_back_to_the_browser_then_english() -> None:
    assert pick_language(request_with("lang=de", "fr-CH")) == "fr"
    assert pick_language(request_with("lang=de")) == "en"
    assert pick_language(request_with()) == "en"


def test_accept_language_follows_the_weights_not_only_the_order() -> None:
    assert accepted("de-DE,fr;q=0.5,en;q=0.8") == "en"
    assert accepted("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert accepted("en;q=0,fr;q=0.1") == "fr"  # q=0 means "not this one"
    assert accepted("de,es") is None
    assert accepted("fr;q=abc,en") == "en"  # a malformed weight is not trusted


def test_only_a_page_that_followed_the_browser_varies_on_it() -> None:
    assert vary_headers(request_with(accept="fr")) == {"Vary": "Accept-Language"}
    assert vary_headers(request_with("lang=fr", "fr")) == {}


def test_central_and_the_box_share_the_loader_but_each_reads_its_own_catalogue() -> None:
    from edge.web import i18n

    assert translator("fr")("Live results") == "Résultats en direct"
    assert "Live results" in catalog("fr")
    assert "Live results" not in i18n.catalog("fr")  # the box's pages do not say it
    assert catalog("fr") != i18n.catalog("fr")
    assert i18n.translator("fr")("Results") == i18n.catalog("fr")["Results"]


def test_the_translator_translates_and_fills_values() -> None:
    french = translator("fr")
    assert french("Live results") == "Résultats en direct"
    assert french("a text nobody translated") == "a text nobody translated"
    assert translator("en")("Live results") == "Live results"
    assert LANGUAGES == ("en", "fr")


def test_every_public_page_text_has_a_french_translation() -> None:
    french = catalog("fr")
    found: dict[str, set[str]] = {}
    for pattern in PUBLIC_PAGES:
        for path in TEMPLATES.glob(pattern):
            for match in CALL.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match.group(2), set()).add(path.name)
    missing = {text: sorted(pages) for text, pages in found.items() if text not in french}
    assert missing == {}, f"add these to central/web/translations/fr/<page>.json: {missing}"


def test_every_heading_status_and_tab_word_has_a_french_translation() -> None:
    from central.web.columns import FIXED, PATTERNS
    from central.web.public_pages import TAB_LABELS

    french = catalog("fr")
    said = [*FIXED.values(), *(label for _, label in PATTERNS)]
    said += [*status_badge_words(), *TAB_LABELS.values()]
    assert [text for text in said if text not in french] == []
    assert translator("fr")("Lap {0}").format(3) == "Tour 3"


def test_translation_files_are_flat_objects_of_strings() -> None:
    paths = list((FOLDER / "fr").glob("*.json"))
    assert paths
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()), path
