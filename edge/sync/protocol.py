"""The batch protocol of the sync contract, spoken by every sender and receiver.

A SLAVE pushes its outbox to the MASTER (``INGEST_PATH``) and a MASTER pushes
its own to central (``CENTRAL_PATH``) with the same messages, so both
receivers import these models and central stays a replica of the edge's
contract (docs/architecture.md, "Layers": central may import ``edge.sync.protocol``).

- Request: ``POST`` a batch, usually gzipped (``Content-Encoding: gzip``), with
  ``Authorization: Bearer <secret>``, written in one of the versions of
  :data:`PROTOCOL_VERSION` and naming it in :data:`PROTOCOL_HEADER`.
- 200: an :class:`Ack`: everything up to ``acked_seq`` is stored.
- 409: a :class:`Gap` (a receiver raises :class:`SequenceGap`, which renders
  it); its ``expected_seq`` is where to resume.
- Any other status: refused, nothing was applied.
- Every answer of a receiver names the newest version it reads in :data:`PROTOCOL_HEADER`.
"""

from __future__ import annotations

import gzip
import re
import zlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.errors import Conflict, InvalidInput, Problem, TooLarge
from edge.sync import columnar
from edge.sync.snapshots import PACKED_KEY, RESULTS_TABLE, unpacked_payload

INGEST_PATH = "/api/v1/ingest/batches"
"""Where a MASTER takes its SLAVEs' batches (event key)."""
CENTRAL_PATH = "/api/v1/sync/batches"
"""Where central takes a box's batches (device token)."""
PROTOCOL_VERSION = 2
"""The newest batch format this code writes and reads; a receiver reads every older one.

1. The JSON of :class:`BatchIn` (gzipped or not): about 35 bytes a raw read gzipped.
2. The columnar document of ``edge.sync.columnar``, gzipped: about 13 (bench/sync_backlog.py).

A sender writes the newest version both sides read: it learns the receiver's from
the receiver's answers (``edge.sync.forwarder``)."""
PROTOCOL_HEADER = "Chrono-Sync-Protocol"
"""On a request, the version its body is written in (none: 1, what every sender older
than version 2 writes). On a receiver's answer, the newest version it reads (none: 1,
a receiver older than version 2)."""
_VERSIONS = {str(version): version for version in range(1, PROTOCOL_VERSION + 1)}
MAX_CHANGES = 5000
"""Most changes in one batch."""
MAX_BATCH_BYTES = 8 * 1024 * 1024
"""Largest batch accepted once decompressed, or as sent (a zip bomb stops here, 413).

Twice a sender's payload budget (``edge.sync.outbox.BATCH_BYTES``): room for each
change's envelope. Parsed JSON takes 15-20 times its size in memory, so this
bounds what one request can cost a Pi."""
MAX_OBJECTS = 2 * MAX_CHANGES + 1
"""Most JSON objects in a batch: the batch, then each change and its flat payload."""
MAX_VALUES = 100 * MAX_CHANGES
"""Most JSON values (commas and colons outside strings) in a batch: a payload has a few
dozen fields. Counted before parsing, so a batch of tiny items is refused cheaply."""
# A JSON string, escapes included (unrolled so that long strings cost no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


class ChangeIn(BaseModel):
    """One outbox row of the sending box."""

    seq: int = Field(ge=1)
    table: str = Field(min_length=1)
    op: str = Field(pattern="^(upsert|delete)$")
    row_id: str
    payload: dict[str, object]


class BatchIn(BaseModel):
    """Consecutive changes ``seq_from..seq_to`` of one device."""

    device_id: str
    seq_from: int = Field(ge=1)
    seq_to: int = Field(ge=1)
    changes: list[ChangeIn] = Field(max_length=MAX_CHANGES)

    @model_validator(mode="after")
    def _consecutive(self) -> BatchIn:
        seqs = [c.seq for c in self.changes]
        if seqs != list(range(self.seq_from, self.seq_to + 1)):
            raise ValueError("changes must be exactly seq_from..seq_to, in order, without holes")
        return self


class Ack(BaseModel):
    """Everything up to ``acked_seq`` is stored; ``applied`` changes were new in this batch."""

    acked_seq: int = Field(ge=0)
    applied: int = Field(ge=0)


class Gap(BaseModel):
    """The body of a 409: the batch does not start where the receiver stands.

    Nothing was applied; the sender resends from ``expected_seq`` (the
    receiver's ``last_seq + 1``), backwards too if the receiver lost changes.
    """

    model_config = ConfigDict(extra="ignore")

    expected_seq: int = Field(ge=1)
    detail: str = ""


class SequenceGap(Conflict):
    """A sync batch does not start where the receiver expects; resend from ``expected_seq``."""

    def __init__(self, expected_seq: int, receiver: str = "this box") -> None:
        self.expected_seq = expected_seq
        super().__init__(f"gap: {receiver} expects seq {expected_seq} next")

    def gap(self) -> Gap:
        """The 409 body the sender reads (the one shape of a gap, on the box and on central)."""
        return Gap(expected_seq=self.expected_seq, detail=self.message)

    def extra(self) -> dict[str, Any]:
        """The :class:`Gap` fields: where the sender resumes."""
        return self.gap().model_dump()


class ReadPayload(BaseModel):
    """A ``tag_read`` upsert, as the outbox trigger of migration 0003 writes it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    event: str | None
    point: str | None
    device_id: str = ""
    epc: str
    antenna: int
    rssi_dbm: float
    reader_time_us: int
    corrected_time_us: int
    created_us: int


class PassingPayload(BaseModel):
    """A ``passing`` upsert, as the outbox trigger of migration 0003 writes it (0009 adds
    ``pair_id``: the passing a backup-line passing confirms or disagrees with)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    event: str | None
    point: str | None
    bib: str | None = None
    epc: str | None = None
    time_us: int
    method: str
    source: str = ""
    read_count: int = 0
    status: str = "valid"
    created_us: int
    pair_id: str | None = None


class CheckinPayload(BaseModel):
    """A ``checkin`` upsert (a chip's pass at the check-in point), as the outbox trigger of
    migration 0010 writes it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    event: str | None
    device_id: str = ""
    epc: str
    antenna: int
    first_us: int
    last_us: int
    read_count: int
    created_us: int


class DeletedPayload(BaseModel):
    """A ``passing`` delete: the row's id and where it was."""

    model_config = ConfigDict(extra="ignore")

    id: str
    event: str | None = None
    point: str | None = None


def parse_batch(raw: bytes) -> BatchIn:
    """Validate a batch's JSON; the message names the first problem, the list all of them.

    Its size and item counts are checked first (:class:`TooLarge`), without parsing.
    """
    check_counts(raw)
    try:
        return BatchIn.model_validate_json(raw)
    except ValidationError as error:
        raise _invalid(error) from error


def read_batch(body: bytes, encoding: str | None, version: str | None) -> BatchIn:
    """The batch in a request body of protocol ``version`` (its header: None for 1).

    Inflated within MAX_BATCH_BYTES, counted before parsing, then parsed and
    validated; a version 2 document is also refused (413) when it would expand
    beyond MAX_BATCH_BYTES of version 1 JSON.
    """
    written = request_version(version)
    raw = decode_body(body, encoding)
    if written == 1:
        return parse_batch(raw)
    check_counts(raw)
    try:
        return BatchIn.model_validate(columnar.unpack(raw, max_bytes=MAX_BATCH_BYTES))
    except ValidationError as error:
        raise _invalid(error) from error
    except columnar.ColumnError as error:
        problem = Problem(error.where, error.reason)
        raise InvalidInput([problem], f"invalid batch, {error.where}: {error.reason}") from error


def encode_batch(batch: BatchIn, version: int) -> bytes:
    """The gzipped body of ``batch`` in protocol ``version`` (1 or 2).

    Version 1 predates packed results snapshots: they go written out (edge.sync.snapshots).
    """
    old = version < 2
    document = _unpacked(batch).model_dump_json().encode() if old else columnar.pack(batch)
    return gzip.compress(document, compresslevel=6)


def _unpacked(batch: BatchIn) -> BatchIn:
    """The batch with every packed results snapshot written out (the same batch if none)."""
    if not any(c.table == RESULTS_TABLE and PACKED_KEY in c.payload for c in batch.changes):
        return batch
    changes = [
        c.model_copy(update={"payload": unpacked_payload(c.payload)})
        if c.table == RESULTS_TABLE
        else c
        for c in batch.changes
    ]
    return batch.model_copy(update={"changes": changes})


def request_version(header: str | None) -> int:
    """The version a request's body is written in; InvalidInput for one not read here."""
    if header is None:
        return 1
    value = header.strip()
    if value not in _VERSIONS:
        reason = f"version {value[:20]!r} is not read here (1 to {PROTOCOL_VERSION})"
        raise InvalidInput(
            [Problem(PROTOCOL_HEADER.lower(), reason)],
            f"sync protocol {reason}: send version {PROTOCOL_VERSION} or older",
        )
    return _VERSIONS[value]


def answer_version(header: str | None) -> int:
    """The newest version a receiver reads, from its answer's header (none: 1).

    A receiver newer than this code counts as :data:`PROTOCOL_VERSION`: it reads that too.
    """
    value = (header or "").strip()
    if value.isdigit() and len(value) <= 6:
        return max(1, min(int(value), PROTOCOL_VERSION))
    return 1


def _invalid(error: ValidationError) -> InvalidInput:
    """A batch's validation errors: the message names the first, the list all of them."""
    problems = [
        Problem(".".join(str(part) for part in e["loc"]) or "body", e["msg"])
        for e in error.errors()
    ]
    first = problems[0]
    message = f"invalid batch ({len(problems)} problems), {first.where}: {first.reason}"
    return InvalidInput(problems, message)


def check_counts(raw: bytes) -> None:
    """Refuse (413) a batch too big to parse safely: bytes, objects, values, counted raw."""
    if len(raw) > MAX_BATCH_BYTES:
        raise TooLarge(f"the batch is larger than {MAX_BATCH_BYTES} bytes; send smaller ones")
    if _within(raw.count(b"{"), raw.count(b",") + raw.count(b":")):
        return  # even counting what sits inside strings: nothing more to look at
    # Some may be text inside strings: count between the strings only, without copying
    # the body, and stop as soon as a bound is passed (what a hostile batch costs).
    objects = values = start = 0
    for string in _STRING.finditer(raw):
        objects += raw.count(b"{", start, string.start())
        values += raw.count(b",", start, string.start()) + raw.count(b":", start, string.start())
        _within(objects, values, refuse=True)
        start = string.end()
    objects += raw.count(b"{", start)
    _within(objects, values + raw.count(b",", start) + raw.count(b":", start), refuse=True)


def _within(objects: int, values: int, *, refuse: bool = False) -> bool:
    """Whether the counts are within the bounds; with ``refuse``, raise TooLarge if not."""
    if objects > MAX_OBJECTS:
        if refuse:
            raise TooLarge(f"the batch holds more than {MAX_CHANGES} changes; send smaller ones")
        return False
    if values > MAX_VALUES:
        if refuse:
            raise TooLarge(f"the batch holds more than {MAX_VALUES} values; send smaller ones")
        return False
    return True


def decode_body(body: bytes, encoding: str | None) -> bytes:
    """The request body, gunzipped when the sender compressed it (413 beyond MAX_BATCH_BYTES).

    Inflated incrementally up to the limit: a small body that expands to gigabytes
    costs MAX_BATCH_BYTES of memory at most before it is refused.
    """
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        if len(body) > MAX_BATCH_BYTES:
            raise TooLarge(f"the batch is larger than {MAX_BATCH_BYTES} bytes; send smaller ones")
        return body
    if coding not in ("gzip", "x-gzip"):
        # Anything else (deflate, br, gzip twice...) is not what a sender of this protocol
        # writes; refusing it keeps every body on the bounded path above.
        raise InvalidInput(
            [Problem("content-encoding", f"{coding!r} is not supported: send gzip")],
            f"Content-Encoding {coding!r} is not supported: send gzip or nothing",
        )
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_BATCH_BYTES)
    except zlib.error as error:
        problem = Problem("body", f"not valid gzip: {error}")
        raise InvalidInput([problem], f"the body is not valid gzip: {error}") from error
    if inflater.unconsumed_tail or (not inflater.eof and inflater.decompress(b"", 1)):
        raise TooLarge(f"the batch is larger than {MAX_BATCH_BYTES} bytes once decompressed")
    if not inflater.eof:
        problem = Problem("body", f"the gzip stream ends early ({len(body)} bytes received)")
        raise InvalidInput([problem], "the body is cut short (truncated gzip): send it whole")
    if inflater.unused_data:
        # A second gzip member (or anything after the first): never what a sender writes,
        # and a way to hide a bomb behind a small first member.
        problem = Problem("body", "data after the end of the gzip stream")
        raise InvalidInput([problem], "the body holds more than one gzip stream: send one")
    return data
