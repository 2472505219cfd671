"""French and English for the pages.

Templates write English and wrap it in ``_()``; the French lives in
``translations/fr/*.json`` (one file per page, English text -> French text), so
pages can grow their strings without touching each other's files. The language
comes from the ``lang`` cookie (set by ``/lang/{code}``), else the browser's
Accept-Language, else English.
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
    """A ``_(text, **values)`` for templates: translated, then ``str.format``-ed with values.

    A :class:`Phrase` brings its own template and values.
    """
    texts = catalog(language)

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


def language_of(request: Request[Any, Any, Any]) -> str:
    """The page language: cookie, then Accept-Language, then English."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
