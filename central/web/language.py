"""French and English for central's public pages.

Templates write English and wrap it in ``_()``; the French lives in
``translations/fr/<page>.json`` (one file per page, English text -> French text),
so the event list, the event page and the runner page grow their strings without
touching each other's files. Like the box (``edge.web.i18n``, which central may
not import), but with no cookie: the public pages stay cacheable by a CDN, so the
language is ``?lang=`` (the links the pages make carry it), else the browser's
Accept-Language, else English; a response that followed Accept-Language says
``Vary: Accept-Language`` (:func:`vary_headers`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Request

LANGUAGES = ("en", "fr")
DEFAULT = "en"
PARAMETER = "lang"
FOLDER = Path(__file__).with_name("translations")


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> dict[str, str]:
    """English text -> text in ``language`` (empty for English), merged from its files."""
    merged: dict[str, str] = {}
    folder = FOLDER / language
    if not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def translator(language: str) -> Callable[..., str]:
    """A ``_(text, **values)`` for templates: translated, then ``str.format``-ed with values."""
    texts = catalog(language)

    def translate(text: str, **values: Any) -> str:
        chosen = texts.get(text, text)
        return chosen.format(**values) if values else chosen

    return translate


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


def from_query(request: Request[Any, Any, Any]) -> str | None:
    """The language ``?lang=`` asks for, when it is one of ours."""
    asked = request.query_params.get(PARAMETER)
    return asked if asked in LANGUAGES else None


def pick_language(request: Request[Any, Any, Any]) -> str:
    """The page language: ``?lang=``, then Accept-Language, then English."""
    return from_query(request) or accepted(request.headers.get("accept-language", "")) or DEFAULT


def vary_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    """``Vary: Accept-Language`` when the page's language came from that header.

    With ``?lang=`` in the URL the page is the same whatever the browser says,
    so a cache may keep one copy per URL.
    """
    return {} if from_query(request) else {"Vary": "Accept-Language"}
