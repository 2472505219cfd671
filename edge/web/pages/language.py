"""``/lang/{code}``: switch the pages between French and English."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from edge.web.i18n import COOKIE, LANGUAGES

ONE_YEAR_S = 365 * 24 * 3600


class LanguagePages(Controller):
    """The language switch in every page's header."""

    include_in_schema = False

    @get("/lang/{code:str}")
    async def switch(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Redirect:
        """Remember the language in a cookie and go back to the page the operator was on."""
        if code not in LANGUAGES:
            raise NotFoundException(f"no language {code!r}; choose one of {', '.join(LANGUAGES)}")
        back = urlsplit(request.headers.get("referer", "/"))
        target = back.path or "/"
        if back.query:
            target += "?" + back.query
        cookie = Cookie(key=COOKIE, value=code, max_age=ONE_YEAR_S, samesite="lax", path="/")
        return Redirect(target, cookies=[cookie])
