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
    """A ``_(text, **values)`` for templates: translated, then ``str.format``-ed with values."""
    texts = catalog(language)

    def translate(text: str, **values: Any) -> str:
        chosen = texts.get(text, text)
        return chosen.format(**values) if values else chosen

    return translate


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
