"""A race's results snapshot packed for the outbox and the wire (shared with central).

A MASTER publishes each new version of a race's results to central. Written out as
JSON objects, 20,000 rows weigh about 5 MB and 20,000 objects: more than a batch may
hold (``edge.sync.protocol.MAX_OBJECTS``), so a big race's snapshot stopped the whole
outbox behind it. Packed, the rows travel as one text value: the gzipped JSON of
``{"columns": [...], "rows": [[...], ...]}`` in base64 (about 700 kB for 20,000 rows).

Protocol 2 carries packed snapshots as they are; a batch sent in protocol 1 (to a
central older than packing) has them unpacked into ``columns`` and ``rows`` again.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from edge.errors import InvalidInput, Problem, TooLarge

RESULTS_TABLE = "results_snapshot"
"""The outbox table name under which a box publishes a race's results."""
PACKED_KEY = "packed"
"""The payload key of the packed rows (instead of ``columns`` and ``rows``)."""
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
"""Most a packed snapshot may inflate to: 100,000 rows and room to spare (413 beyond)."""


def pack_rows(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The packed text of a sheet: rows as lists in the order of ``columns``."""
    cells = [[row.get(column) for column in columns] for row in rows]
    return pack_text(json.dumps({"columns": columns, "rows": cells}, separators=(",", ":")))


def pack_text(document: str) -> str:
    """The packed text of a sheet already written as ``{"columns": [...], "rows": [[...]]}``."""
    return base64.b64encode(zlib.compress(document.encode(), 6)).decode("ascii")


def unpack_rows(packed: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows (as objects) of a packed sheet.

    InvalidInput when it is not one; TooLarge when it inflates past MAX_UNPACKED_BYTES.
    """
    try:
        data = base64.b64decode(packed, validate=True)
        inflater = zlib.decompressobj()
        text = inflater.decompress(data, MAX_UNPACKED_BYTES)
        if inflater.unconsumed_tail:
            raise TooLarge(f"a packed results snapshot inflates past {MAX_UNPACKED_BYTES} bytes")
        if not inflater.eof:
            raise ValueError("cut short")
        document = json.loads(text)
        columns = document["columns"]
        cells = document["rows"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ValueError("columns is not a list of names")
        if not isinstance(cells, list) or not all(
            isinstance(r, list) and len(r) == len(columns) for r in cells
        ):
            raise ValueError("rows are not lists as long as columns")
    except TooLarge:
        raise
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError) as error:
        reason = f"not a packed results sheet: {error}"
        raise InvalidInput([Problem(PACKED_KEY, reason)], reason) from error
    return columns, [dict(zip(columns, row, strict=True)) for row in cells]


def unpacked_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A snapshot payload with packed rows written out as ``columns`` and ``rows``."""
    packed = payload.get(PACKED_KEY)
    if not isinstance(packed, str):
        return payload
    columns, rows = unpack_rows(packed)
    unpacked = {k: v for k, v in payload.items() if k != PACKED_KEY}
    return {**unpacked, "columns": columns, "rows": rows}
