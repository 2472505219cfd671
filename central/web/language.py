"""French and English for central's public pages.

Templates write English and wrap it in ``_()``; the French lives in
``translations/fr/<page>.json`` (one file per page, English text -> French text),
so the event list, the event page and the runner page grow their strings without
touching each other's files. The catalogue, the translator and the choice among
Accept-Language's weights are the box's (``edge.web.i18n``), with central's folder;
but no cookie: the public pages stay cacheable by a CDN, so the language is
``?lang=`` (the links the pages make carry it), else the browser's Accept-Language,
else English; a response that followed Accept-Language says ``Vary: Accept-Language``
(:func:`vary_headers`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Request

from edge.web import i18n
from edge.web.i18n import DEFAULT, LANGUAGES, accepted

__all__ = [
    "DEFAULT",
    "FOLDER",
    "LANGUAGES",
    "PARAMETER",
    "accepted",
    "catalog",
    "from_query",
    "pick_language",
    "translator",
    "vary_headers",
]

PARAMETER = "lang"
FOLDER = Path(__file__).with_name("translations")


def catalog(language: str) -> dict[str, str]:
    """English text -> text in ``language`` (empty for English), from central's files."""
    return i18n.catalog(language, FOLDER)


def translator(language: str) -> Callable[..., str]:
    """A ``_(text, **values)`` for the public pages' templates, in ``language``."""
    return i18n.translator(language, FOLDER)


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
