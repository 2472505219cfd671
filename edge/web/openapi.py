"""Request bodies a handler reads itself, described in /schema (box and central).

Litestar documents a body from a handler's ``data`` parameter. The handlers that
take a file (an event's YAML, entrants' or passings' CSV, a backup chunk) or a
possibly gzipped sync batch read ``request.body()`` instead, so /schema said
nothing of their body and an API client (or a fuzzer) could not know what to send.
``raw_body`` gives such a handler an ``operation_class`` that names the media type,
what the body holds and an example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

YAML = "application/yaml"
CSV = "text/csv"
JSON = "application/json"
BINARY = "application/octet-stream"

EVENT_EXAMPLE = """slug: spring-10k-2026
name: Spring 10K
date: 2026-04-12
timezone: Europe/Paris
timing_points:
  - {code: FINISH, kind: finish, distance_m: 10000}
races:
  - code: 10K
    name: 10 km
    points: [FINISH]
    waves: [{code: W1, start: "2026-04-12T09:30:00+02:00"}]
"""
"""The smallest event file (docs/examples/spring-10k.yaml is a full one)."""
BATCH_EXAMPLE: dict[str, Any] = {
    "device_id": "box-1",
    "seq_from": 1,
    "seq_to": 1,
    "changes": [
        {"seq": 1, "table": "tag_read", "op": "upsert", "row_id": "r1", "payload": {"id": "r1"}}
    ],
}
"""A batch of ``edge.sync.protocol.BatchIn`` (a JSON object; ``Content-Encoding: gzip`` allowed)."""
ENTRANTS_EXAMPLE = """bib;last_name;first_name;sex;birth_date;race;epc
1;Lefèvre;Hélène;F;14/03/1990;10K;E2801160600002000000A001
"""
"""Entrants' CSV (docs/examples/entrants.csv: the columns and spellings an import takes)."""
PASSINGS_EXAMPLE = """point,bib,time
FINISH,1,2026-04-12T10:12:03.412000+02:00
"""
"""Passings' CSV: one passing per line."""


def raw_body(media_type: str, description: str, example: Any = None) -> type[Operation]:
    """An ``operation_class`` whose request body is ``media_type``, required."""
    if media_type == JSON:
        schema = Schema(type=OpenAPIType.OBJECT, description=description)
    else:
        binary = OpenAPIFormat.BINARY if media_type == BINARY else None
        schema = Schema(type=OpenAPIType.STRING, format=binary, description=description)
    content = {media_type: OpenAPIMediaType(schema=schema, example=example)}
    body = RequestBody(content=content, description=description, required=True)

    @dataclass
    class RawBodyOperation(Operation):
        """An operation whose body the handler reads itself."""

        def __post_init__(self) -> None:
            self.request_body = body

    return RawBodyOperation
