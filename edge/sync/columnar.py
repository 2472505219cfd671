"""The compact form of a sync batch (protocol version 2): one array per field.

A batch of raw reads repeats the same ten keys, event and point in every
change, and its ids and times differ little from one row to the next; as JSON
objects gzipped, a read costs about 35 bytes on the wire, two thirds of them
ids and times that compression cannot shrink as text. Here the changes are
grouped by shape (table, op and payload keys, in order), each group holds one
column per key, and ``order`` tells, in runs, which group each change comes
from (seqs follow ``seq_from``). A column is one of:

- ``{"values": [...]}``: the JSON values as they are (strings, floats, documents);
- ``{"deltas": [...]}``: 64-bit integers, the first as it is, then each one's
  difference to the one before (times and counters become small numbers);
- ``{"uuids": {"ms": [...], "rest": "..."}}``: canonical UUID strings: their first
  48 bits (a UUIDv7's milliseconds) as deltas, their other 80 bits base64-packed;
- ``{"field": "id"}``, for row ids only: the same as the payload's ``id`` (UUIDs).

The document is JSON and is gzipped like version 1 (gzip finds the repeats:
EPCs, slugs). Each cell is written out once, but for row ids that name their
``id`` field, so what a document expands to is bounded by its own size
(:func:`unpack` refuses beyond ``max_bytes`` of version 1 JSON, before expanding).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from itertools import accumulate, islice, pairwise
from typing import Any, Protocol

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from edge.errors import TooLarge

INT64 = range(-(2**63), 2**63)
"""What a ``deltas`` column holds (SQLite's integers): anything else stays in ``values``."""
MS = range(2**48)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REST_BYTES = 10
"""A UUID's bytes after its first 48 bits."""
# The most a cell adds to the version 1 JSON besides what the document holds: an
# integer's digits, a UUID in quotes; and a change's envelope ({"seq":...,"payload":{}}).
INT_CHARS, UUID_CHARS, ENVELOPE_CHARS = 21, 38, 80


class ColumnError(ValueError):
    """A column that does not expand to values: where it is and why."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class ChangeLike(Protocol):
    """A change as the sender holds it (``edge.sync.protocol.ChangeIn``)."""

    @property
    def seq(self) -> int: ...
    @property
    def table(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def row_id(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, object]: ...


class BatchLike(Protocol):
    """A batch as the sender holds it (``edge.sync.protocol.BatchIn``)."""

    @property
    def device_id(self) -> str: ...
    @property
    def seq_from(self) -> int: ...
    @property
    def seq_to(self) -> int: ...
    @property
    def changes(self) -> Sequence[ChangeLike]: ...


class Uuids(BaseModel):
    """UUIDs as their first 48 bits (deltas) and the rest of their bytes (base64)."""

    model_config = ConfigDict(extra="forbid")

    ms: list[StrictInt]
    rest: str


class Column(BaseModel):
    """One field of every change of a group, in one of the forms of the module docstring."""

    model_config = ConfigDict(extra="forbid")

    values: list[Any] | None = None
    deltas: list[StrictInt] | None = None
    uuids: Uuids | None = None
    field: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Column:
        forms = [self.values, self.deltas, self.uuids, self.field]
        if sum(form is not None for form in forms) != 1:
            raise ValueError("a column is exactly one of values, deltas, uuids, field")
        return self

    def size(self) -> int | None:
        """How many cells the column holds (None for a ``field`` reference)."""
        if self.values is not None:
            return len(self.values)
        if self.deltas is not None:
            return len(self.deltas)
        return len(self.uuids.ms) if self.uuids is not None else None


class Group(BaseModel):
    """The changes of one shape: ``columns[i]`` holds payload key ``keys[i]``."""

    model_config = ConfigDict(extra="forbid")

    table: str
    op: str
    keys: list[str]
    row_ids: Column
    columns: list[Column]

    @model_validator(mode="after")
    def _aligned(self) -> Group:
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("a group's keys must be distinct")
        if len(self.columns) != len(self.keys):
            raise ValueError(f"{len(self.keys)} keys but {len(self.columns)} columns")
        if any(column.field is not None for column in self.columns):
            raise ValueError("only row_ids may name a field")
        field = self.row_ids.field
        if field is not None and (
            field not in self.keys or self.columns[self.keys.index(field)].uuids is None
        ):
            raise ValueError(f"row_ids names {field!r}, which is not a column of UUIDs")
        return self


class Document(BaseModel):
    """A version 2 batch: its seqs, its groups and which group each change is in."""

    model_config = ConfigDict(extra="forbid")

    device_id: str
    seq_from: StrictInt = Field(ge=1)
    seq_to: StrictInt = Field(ge=1)
    groups: list[Group]
    order: list[tuple[StrictInt, StrictInt]]

    @model_validator(mode="after")
    def _covered(self) -> Document:
        for index, count in self.order:
            if not 0 <= index < len(self.groups) or count < 1:
                raise ValueError(f"order: run ({index}, {count}) names no group or no change")
        rows = self.rows()
        if sum(rows) != self.seq_to - self.seq_from + 1:
            raise ValueError(f"order covers {sum(rows)} changes, not seq_from..seq_to")
        for index, (group, count) in enumerate(zip(self.groups, rows, strict=True)):
            sizes = {c.size() for c in (group.row_ids, *group.columns)} - {None}
            if sizes != {count}:
                raise ValueError(f"groups.{index}: columns must hold {count} cells each")
        return self

    def rows(self) -> list[int]:
        """How many changes each group holds."""
        counts = [0] * len(self.groups)
        for group, count in self.order:
            counts[group] += count
        return counts


def pack(batch: BatchLike) -> bytes:
    """The version 2 JSON document of ``batch`` (not compressed)."""
    shapes: dict[tuple[str, str, tuple[str, ...]], int] = {}
    members: list[list[ChangeLike]] = []
    order: list[list[int]] = []
    for change in batch.changes:
        index = shapes.setdefault((change.table, change.op, tuple(change.payload)), len(shapes))
        if index == len(members):
            members.append([])
        members[index].append(change)
        if order and order[-1][0] == index:
            order[-1][1] += 1
        else:
            order.append([index, 1])
    groups = [_group(*shape, members[index]) for shape, index in shapes.items()]
    document = {
        "device_id": batch.device_id,
        "seq_from": batch.seq_from,
        "seq_to": batch.seq_to,
        "groups": groups,
        "order": order,
    }
    # The serializer of version 1 (model_dump_json): the same JSON for the same values.
    return pydantic_core.to_json(document, inf_nan_mode="null")


def unpack(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    """The batch of a version 2 document, shaped as version 1's JSON (for ``BatchIn``).

    Raises pydantic's ValidationError on a malformed document (with where and why),
    and TooLarge when the batch would exceed ``max_bytes`` as version 1 JSON.
    """
    document = Document.model_validate_json(raw)
    counts = document.rows()
    expanded = len(raw) + sum(
        _row_chars(g) * n for g, n in zip(document.groups, counts, strict=True)
    )
    if expanded > max_bytes:
        raise TooLarge(f"the batch is larger than {max_bytes} bytes once expanded")
    rows = [zip(*_expand(group), strict=True) for group in document.groups]
    changes: list[dict[str, Any]] = []
    seq = document.seq_from
    for index, count in document.order:
        group = document.groups[index]
        for row_id, *values in islice(rows[index], count):
            change = {"seq": seq, "table": group.table, "op": group.op, "row_id": row_id}
            change["payload"] = dict(zip(group.keys, values, strict=True))
            changes.append(change)
            seq += 1
    return {
        "device_id": document.device_id,
        "seq_from": document.seq_from,
        "seq_to": document.seq_to,
        "changes": changes,
    }


def _group(table: str, op: str, keys: tuple[str, ...], members: list[ChangeLike]) -> dict[str, Any]:
    columns = [_column([change.payload[key] for change in members]) for key in keys]
    row_ids = [change.row_id for change in members]
    named = "id" in keys and "uuids" in columns[keys.index("id")]
    if named and row_ids == [change.payload["id"] for change in members]:
        ids = {"field": "id"}  # the ids once: a row's id is its payload's
    else:
        ids = _column(row_ids)
    return {"table": table, "op": op, "keys": list(keys), "row_ids": ids, "columns": columns}


def _column(values: list[Any]) -> dict[str, Any]:
    """The smallest form that gives ``values`` back exactly."""
    if values and all(type(v) is int and v in INT64 for v in values):
        return {"deltas": _deltas(values)}
    if values and all(type(v) is str and UUID.fullmatch(v) for v in values):
        digits = [v.replace("-", "") for v in values]
        rest = bytes.fromhex("".join(d[12:] for d in digits))
        return {"uuids": {"ms": _deltas([int(d[:12], 16) for d in digits]),
                          "rest": base64.b64encode(rest).decode()}}  # fmt: skip
    return {"values": values}


def _deltas(values: list[int]) -> list[int]:
    return values[:1] + [after - before for before, after in pairwise(values)]


def _row_chars(group: Group) -> int:
    """The most one change of ``group`` adds to version 1 JSON beyond the document's bytes."""
    chars = ENVELOPE_CHARS + len(group.table) + len(group.op)
    chars += sum(len(key) + 4 for key in group.keys)
    chars += sum(INT_CHARS for c in group.columns if c.deltas is not None)
    chars += sum(UUID_CHARS for c in group.columns if c.uuids is not None)
    return chars + (UUID_CHARS if group.row_ids.field is not None else 0)


def _expand(group: Group) -> list[list[Any]]:
    """The group's row ids, then its columns, as lists of values."""
    columns = [_cells(column) for column in group.columns]
    field = group.row_ids.field
    row_ids = columns[group.keys.index(field)] if field is not None else _cells(group.row_ids)
    return [row_ids, *columns]


def _cells(column: Column) -> list[Any]:
    if column.values is not None:
        return column.values
    if column.deltas is not None:
        values = list(accumulate(column.deltas))
        if values and (min(values) < INT64.start or max(values) >= INT64.stop):
            raise ColumnError("deltas", "an integer beyond 64 bits")
        return values
    assert column.uuids is not None  # a field reference is resolved by the caller
    return _uuids(column.uuids)


def _uuids(uuids: Uuids) -> list[str]:
    try:
        rest = base64.b64decode(uuids.rest, validate=True)
    except binascii.Error as error:
        raise ColumnError("uuids.rest", f"not base64: {error}") from error
    if len(rest) != REST_BYTES * len(uuids.ms):
        raise ColumnError("uuids.rest", f"{len(rest)} bytes for {len(uuids.ms)} UUIDs")
    stamps = list(accumulate(uuids.ms))
    if stamps and (min(stamps) < MS.start or max(stamps) >= MS.stop):
        raise ColumnError("uuids.ms", "milliseconds beyond 48 bits")
    tails = rest.hex()
    width = 2 * REST_BYTES
    values = []
    for index, ms in enumerate(stamps):
        head, tail = f"{ms:012x}", tails[index * width : (index + 1) * width]
        values.append(f"{head[:8]}-{head[8:]}-{tail[:4]}-{tail[4:8]}-{tail[8:]}")
    return values
