"""The query parameters of a paged list (results, entrants): checked before any work.

A page number below 1 or a page size out of 1..500 is refused with 400 and the
parameter's name (Litestar's validation), never a 500 from deep in a service.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from edge.services.paging import MAX_PAGE, MAX_PAGE_ROWS

PageNumber = Annotated[
    int,
    QueryParameter(
        ge=1, le=MAX_PAGE, description="Page to show, from 1 (past the last: the last)."
    ),
]
PageSize = Annotated[
    int | None,
    QueryParameter(
        ge=1, le=MAX_PAGE_ROWS, description="Rows per page (default: the page_rows setting)."
    ),
]
