"""A page of a long list: which rows it holds and where it sits among the others.

The results and entrants pages of a 20,000-runner race show one page of rows at a
time (``Settings.page_rows``): rendering every row took seconds and 130 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_PAGE_ROWS = 500
"""Most rows a page may ask for: beyond, a page weighs what the whole list did."""
MAX_PAGE = 1_000_000
"""Highest page number a request may name (a bound, so an absurd one is refused early)."""


@dataclass(frozen=True)
class Window:
    """Page ``page`` of ``pages`` (``per_page`` rows each) over ``total`` rows."""

    page: int
    pages: int
    per_page: int
    total: int

    @property
    def start(self) -> int:
        """Index of the page's first row in the whole list."""
        return (self.page - 1) * self.per_page

    @property
    def stop(self) -> int:
        """Index just past the page's last row."""
        return min(self.start + self.per_page, self.total)

    def rows(self, items: Sequence[T]) -> list[T]:
        """The page's part of ``items`` (the whole list, in order)."""
        return list(items[self.start : self.stop])


def window(total: int, page: int, per_page: int) -> Window:
    """The page ``page`` of ``total`` rows; past the last page, the last one (a link kept
    from before a search narrowed the list still shows rows)."""
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PAGE_ROWS:
        raise ValueError(f"page {page} of {per_page} rows: out of range")
    pages = max(1, -(-total // per_page))
    return Window(min(page, pages), pages, per_page, total)
