"""French and English for the pages, the box's and central's.

Templates write English and wrap it in ``_()``; the French lives in
``translations/fr/*.json`` (one file per page, English text -> French text), so
pages can grow their strings without touching each other's files. The box's pages
take their language from the ``lang`` cookie (set by ``/lang/{code}``), else the
browser's Accept-Language (:func:`accepted`), else English.

Central's public pages use the same catalogue loader, translator and Accept-Language
choice with their own folder (``central.web.language``), and no cookie: they stay
cacheable by a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request

from edge.phrase import Phrase

LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"
FOLDER = Path(__file__).with_name("translations")


@lru_cache(maxsize=4 * len(LANGUAGES))
def catalog(language: str, folder: Path = FOLDER) -> dict[str, str]:
    """English text -> text in ``language`` (empty for English), merged from ``folder``'s files."""
    merged: dict[str, str] = {}
    found = folder / language
    if not found.is_dir():
        return merged
    for path in sorted(found.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def translator(language: str, folder: Path = FOLDER) -> Callable[..., str]:
    """A ``_(text, **values)`` for templates: translated, then ``str.format``-ed with values.

    A :class:`Phrase` brings its own template and values.
    """
    texts = catalog(language, folder)

    def translate(text: str, **values: Any) -> str:
        if isinstance(text, Phrase) and not values:
            values = text.values
            text = text.template
        chosen = texts.get(text, text)
        return chosen.format(**values) if values else chosen

    return translate


def phrase_teller(language: str) -> Callable[[str], str]:
    """A ``said(text)`` for templates: a :class:`Phrase` in ``language``, other text as it is.

    For text that may be the organiser's own (a column's header): only what the
    code said is translated, never a file's content that happens to be English.
    """
    translate = translator(language)

    def said(text: str) -> str:
        return translate(text) if isinstance(text, Phrase) else text

    return said


def accepted(header: str) -> str | None:
    """The language of ours the browser prefers most in an Accept-Language header, if any."""
    best: tuple[float, int] | None = None
    chosen = None
    for position, part in enumerate(header.split(",")):
        code, _, parameters = part.partition(";")
        language = code.strip().lower()[:2]
        if language not in LANGUAGES:
            continue
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # a malformed weight is ignored rather than trusted
        # the higher weight wins; at equal weights the one listed first
        rank = (weight, -position)
        if weight > 0 and (best is None or rank > best):
            best, chosen = rank, language
    return chosen


def language_of(request: Request[Any, Any, Any]) -> str:
    """The page language: cookie, then Accept-Language, then English."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return accepted(request.headers.get("accept-language", "")) or DEFAULT
