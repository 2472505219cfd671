"""Reading central's answers the same way everywhere (enrollment, backups, restore)."""

from __future__ import annotations

from typing import Any

import httpx

from edge.errors import ChronoEdgeError


def answer_json(response: httpx.Response, refused: type[ChronoEdgeError], what: str) -> Any:
    """The JSON body of a success; else ``refused`` naming the status and central's detail."""
    if response.status_code < 400:
        return response.json()
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        detail = response.text
    raise refused(f"central refused {what} ({response.status_code}): {detail}")
