"""Render a page template with what every page needs (language, ``_``, the box's role)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from edge.web.auth import SESSION_KEY
from edge.web.i18n import LANGUAGES, language_of, phrase_teller, translator


def render(
    request: Request[Any, Any, Any], template: str, context: Mapping[str, Any] | None = None
) -> Template:
    """A ``Template`` response whose context carries ``lang``, ``languages``, ``_`` and ``said``."""
    language = language_of(request)
    full: dict[str, Any] = {
        "lang": language,
        "languages": LANGUAGES,
        "_": translator(language),
        "said": phrase_teller(language),
        "path": request.url.path,
        "box_role": _box_role(request),
        "logged_in": _logged_in(request),
    }
    full.update(context or {})
    return Template(template, context=full)


def _box_role(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """The role the box plays now (edge.services.boxrole), for the banner of every page."""
    follower = request.app.state.get("box_role")
    return follower.status() if follower is not None else None


def _logged_in(request: Request[Any, Any, Any]) -> bool:
    """Whether the page is seen through an admin session (the header then offers Log out)."""
    session = request.scope.get("session")
    return isinstance(session, dict) and SESSION_KEY in session
