"""Sync protocol 2 (edge.sync.columnar): any batch comes back exactly, small, and bounded.

The columnar document is what a box of this release sends; a receiver rebuilds
the very batch version 1 would have carried, refuses a damaged or inflated
document whole, and names the problem. Hypothesis draws batches of any shape.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import zlib
from typing import Any

import pytest
import uuid6
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.errors import InvalidInput, TooLarge
from edge.sync.columnar import pack
from edge.sync.protocol import (
    MAX_BATCH_BYTES,
    MAX_CHANGES,
    PROTOCOL_VERSION,
    BatchIn,
    ChangeIn,
    answer_version,
    encode_batch,
    read_batch,
    request_version,
)

GOAL_BYTES_PER_READ = 20
"""Issue 20: a backlog of reads costs at most this on the wire (bench/sync_backlog.py)."""

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: such a column stays as values
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
uuids = st.uuids().map(str)
keys = st.sampled_from(["id", "event", "epc", "antenna", "time_us", "method"]) | st.text(max_size=6)


@st.composite
def batches(draw: st.DrawFn) -> BatchIn:
    """A valid batch: a few shapes repeated (as an outbox has), any values in them."""
    shapes = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["tag_read", "passing", "entrant"]) | st.text(min_size=1),
                st.sampled_from(["upsert", "delete"]),
                st.lists(keys, unique=True, max_size=6),
            ),
            min_size=1,
            max_size=3,
        )
    )
    seq_from = draw(st.integers(1, 2**40))
    changes = []
    for offset in range(draw(st.integers(0, 25))):
        table, op, names = draw(st.sampled_from(shapes))
        row_id = draw(uuids | st.text(max_size=10))
        payload: dict[str, Any] = {}
        for name in names:
            if name == "id" and draw(st.booleans()):
                payload[name] = row_id  # as the outbox triggers write it
            else:
                payload[name] = draw(json_values | uuids | st.integers(-(2**63), 2**63 - 1))
        changes.append(
            ChangeIn(seq=seq_from + offset, table=table, op=op, row_id=row_id, payload=payload)
        )
    seq_to = seq_from + len(changes) - 1 if changes else seq_from - 1
    device = draw(st.text(max_size=12))
    if seq_to < 1:
        seq_from, seq_to = 2, 1  # no change: the one empty range the model takes
    return BatchIn(device_id=device, seq_from=seq_from, seq_to=seq_to, changes=changes)


@settings(max_examples=300, deadline=None)
@given(batches())
def test_any_batch_comes_back_exactly_as_version_1_carries_it(batch: BatchIn) -> None:
    compact = read_batch(encode_batch(batch, 2), "gzip", "2")
    plain = read_batch(encode_batch(batch, 1), "gzip", None)
    # The JSON text: key order, int vs float, nesting, all of it the same.
    assert compact.model_dump_json() == plain.model_dump_json() == batch.model_dump_json()


def reads(count: int, seed: int = 20) -> BatchIn:
    """Reads as a finish line makes them: tags in bursts on 4 antennas, a reader clock off
    by days, group commits, ids from uuid6 as ``record_reads`` gives them."""
    rng = random.Random(seed)
    start = 1_775_981_000_000_000
    passes = sorted((start + rng.randrange(3_600_000_000), tag) for tag in range(count // 12 + 2))
    rows = []
    for at, tag in passes:
        for _ in range(rng.randint(8, 32)):
            at += rng.randint(2_000, 60_000)
            rows.append((at, f"E2801160600002{tag * 7919 % 10**10:010d}"))
    rows.sort()
    changes = []
    for seq, (at, epc) in enumerate(rows[:count], start=1):
        created = rows[(seq - 1) // 20 * 20][0] + 1_000_000_000 + 40_000  # one commit per 20
        row_id = str(uuid6.uuid7())
        payload = {
            "id": row_id, "event": "spring-10k-2026", "point": "FINISH", "device_id": "",
            "epc": epc, "antenna": rng.randint(1, 4), "rssi_dbm": float(-rng.randint(35, 75)),
            "reader_time_us": at - 86_400_000_000 * 300, "corrected_time_us": at,
            "created_us": created,
        }  # fmt: skip
        changes.append(
            ChangeIn(seq=seq, table="tag_read", op="upsert", row_id=row_id, payload=payload)
        )
    return BatchIn(device_id="box-1", seq_from=1, seq_to=len(changes), changes=changes)


def test_a_read_costs_under_the_goal_and_less_than_half_of_version_1() -> None:
    batch = reads(MAX_CHANGES)
    compact, plain = len(encode_batch(batch, 2)), len(encode_batch(batch, 1))
    assert compact / MAX_CHANGES <= GOAL_BYTES_PER_READ, compact / MAX_CHANGES
    assert compact * 2 < plain
    assert read_batch(encode_batch(batch, 2), "gzip", "2") == batch


def document(batch: BatchIn) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(pack(batch))
    return document


def body(doc: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(doc).encode())


def refused(raw: bytes, encoding: str | None = "gzip") -> InvalidInput:
    with pytest.raises(InvalidInput) as error:
        read_batch(raw, encoding, "2")
    return error.value


def test_row_ids_equal_to_the_payload_ids_are_written_once() -> None:
    doc = document(reads(10))
    (group,) = doc["groups"]
    assert group["row_ids"] == {"field": "id"}
    assert set(group["columns"][group["keys"].index("id")]) == {"uuids"}


def test_a_truncated_or_corrupt_body_is_refused_and_says_so() -> None:
    good = encode_batch(reads(50), 2)
    assert "truncated gzip" in refused(good[: len(good) // 2]).message
    assert "truncated gzip" in refused(good[:-1]).message
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    refused(bytes(flipped))
    assert "invalid batch" in refused(zlib.compress(b"{}")[2:], None).message


def broken(mutate: Any) -> InvalidInput:
    doc = document(reads(10))
    mutate(doc, doc["groups"][0])
    return refused(body(doc))


@pytest.mark.parametrize(
    ("mutate", "said"),
    [
        (lambda d, g: d.update(seq_to=d["seq_to"] + 1), "order covers 10 changes"),
        (lambda d, g: d["order"].append([3, 1]), "names no group"),
        (lambda d, g: d["order"].__setitem__(0, [0, 0]), "names no group"),
        (lambda d, g: g["keys"].pop(), "columns"),
        (lambda d, g: g["columns"][5]["deltas"].pop(), "10 cells each"),
        (lambda d, g: g.update(row_ids={"field": "epc"}), "not a column of UUIDs"),
        (lambda d, g: g["columns"][1].update(field="id"), "exactly one of"),
        (lambda d, g: g.update(extra=1), "Extra inputs"),
        (lambda d, g: g["columns"][5].update(deltas=[2**63] + [0] * 9), "beyond 64 bits"),
        (lambda d, g: g["columns"][5].update(deltas=[1.5] + [0] * 9), "valid integer"),
        (lambda d, g: g["columns"][0]["uuids"].update(rest="!!"), "not base64"),
        (lambda d, g: g["columns"][0]["uuids"].update(rest="AAAA"), "3 bytes for 10 UUIDs"),
        (lambda d, g: g["columns"][0]["uuids"]["ms"].__setitem__(1, -(2**48)), "48 bits"),
        (lambda d, g: g.update(op="drop"), "String should match pattern"),
        (lambda d, g: d.pop("order"), "order"),
    ],
)
def test_a_damaged_document_is_refused_whole_with_where_and_why(mutate: Any, said: str) -> None:
    error = broken(mutate)
    assert said in str(error), str(error)


def test_a_document_that_would_expand_past_the_bound_is_refused_before_expanding() -> None:
    """A long key name is written once per group but once per change in version 1."""
    count = MAX_CHANGES
    name = "k" * (MAX_BATCH_BYTES // count)
    doc = {
        "device_id": "box-1", "seq_from": 1, "seq_to": count, "order": [[0, count]],
        "groups": [{"table": "tag_read", "op": "upsert", "keys": [name],
                    "row_ids": {"values": [str(i) for i in range(count)]},
                    "columns": [{"deltas": [0] * count}]}],
    }  # fmt: skip
    raw = body(doc)
    assert len(raw) < 64 * 1024
    with pytest.raises(TooLarge):
        read_batch(raw, "gzip", "2")


def test_the_largest_batch_of_reads_a_box_sends_is_well_within_the_bound() -> None:
    batch = reads(MAX_CHANGES)
    assert read_batch(encode_batch(batch, 2), "gzip", "2").seq_to == MAX_CHANGES


def test_a_version_1_body_is_read_as_before_and_a_version_2_one_is_not_json_of_a_batch() -> None:
    batch = reads(20)
    assert read_batch(encode_batch(batch, 1), "gzip", None) == batch
    assert read_batch(encode_batch(batch, 1), "gzip", "1") == batch
    # What a receiver older than version 2 does with it: refuse it whole (no changes).
    with pytest.raises(InvalidInput) as old:
        read_batch(encode_batch(batch, 2), "gzip", None)
    assert "changes" in str(old.value)


@pytest.mark.parametrize("header", ["3", "0", "two", "", "9" * 5000])
def test_a_version_this_receiver_does_not_read_is_refused_naming_its_own(header: str) -> None:
    with pytest.raises(InvalidInput) as error:
        request_version(header)
    assert f"send version {PROTOCOL_VERSION} or older" in error.value.message


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, 1), ("", 1), ("1", 1), ("2", 2), (" 2 ", 2), ("7", PROTOCOL_VERSION), ("x", 1),
     ("0", 1), ("9" * 5000, 1)],
)  # fmt: skip
def test_a_receiver_s_answer_tells_the_newest_version_it_reads(
    header: str | None, version: int
) -> None:
    assert answer_version(header) == version


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda doc: json.dumps(doc).encode(), json_values))
def test_any_bytes_are_refused_as_a_client_error(raw: bytes) -> None:
    for encoded, encoding in ((raw, None), (gzip.compress(raw), "gzip")):
        with pytest.raises((InvalidInput, TooLarge)):
            read_batch(encoded, encoding, "2")


def test_base64_of_the_uuids_is_canonical() -> None:
    """The rest of each UUID packs 10 bytes: what goes on the wire for a read's id."""
    doc = document(reads(3))
    rest = doc["groups"][0]["columns"][0]["uuids"]["rest"]
    assert len(base64.b64decode(rest, validate=True)) == 30
