"""Packed results snapshots: round trip, refusals, and what each protocol version carries."""

from __future__ import annotations

import base64
import zlib

import pytest

from edge.errors import InvalidInput, TooLarge
from edge.sync.protocol import MAX_OBJECTS, BatchIn, ChangeIn, encode_batch, read_batch
from edge.sync.snapshots import (
    MAX_UNPACKED_BYTES,
    PACKED_KEY,
    pack_rows,
    unpack_rows,
    unpacked_payload,
)

COLUMNS = ["rank", "bib", "last_name", "gun_time"]
ROWS = [{"rank": n, "bib": str(n), "last_name": f"Nuñez {n}", "gun_time": None} for n in (1, 2)]


def batch(rows: int) -> BatchIn:
    sheet = [{"rank": n, "bib": str(n), "last_name": "X", "gun_time": "0:30:00.0"}
             for n in range(1, rows + 1)]  # fmt: skip
    payload = {"event": "e", "race": "10K", "updated_us": 5, PACKED_KEY: pack_rows(COLUMNS, sheet)}
    change = ChangeIn(seq=1, table="results_snapshot", op="upsert", row_id="e/10K", payload=payload)
    return BatchIn(device_id="d", seq_from=1, seq_to=1, changes=[change])


def test_rows_round_trip_in_column_order() -> None:
    assert unpack_rows(pack_rows(COLUMNS, ROWS)) == (COLUMNS, ROWS)


def test_a_payload_without_packed_rows_is_left_as_it_is() -> None:
    payload = {"event": "e", "columns": COLUMNS, "rows": ROWS}
    assert unpacked_payload(payload) is payload


@pytest.mark.parametrize(
    "packed",
    [
        "not base64!",
        base64.b64encode(b"not zlib").decode(),
        base64.b64encode(zlib.compress(b"[1, 2]")).decode(),
        base64.b64encode(zlib.compress(b'{"columns": ["a"], "rows": [[1, 2]]}')).decode(),
        base64.b64encode(zlib.compress(b'{"columns": ["a"], "rows": [[1]]}')[:-3]).decode(),
    ],
)
def test_a_damaged_packed_sheet_is_refused(packed: str) -> None:
    with pytest.raises(InvalidInput, match="not a packed results sheet"):
        unpack_rows(packed)


def test_a_packed_bomb_is_refused_before_it_inflates() -> None:
    bomb = zlib.compress(b'{"columns": [], "rows": [' + b" " * (MAX_UNPACKED_BYTES + 10) + b"]}")
    with pytest.raises(TooLarge):
        unpack_rows(base64.b64encode(bomb).decode())


def test_protocol_2_carries_a_big_sheet_packed_and_protocol_1_written_out() -> None:
    big = batch(MAX_OBJECTS + 5)  # more rows than a batch may hold as objects
    received = read_batch(encode_batch(big, 2), "gzip", "2")
    assert received.changes[0].payload == big.changes[0].payload
    small = batch(3)
    old = read_batch(encode_batch(small, 1), "gzip", None).changes[0].payload
    assert PACKED_KEY not in old
    assert old["columns"] == COLUMNS
    assert [r["bib"] for r in old["rows"]] == ["1", "2", "3"]
