"""/schema documents every response body: no 2xx JSON answer is an untyped object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from central.app import create_app as create_central
from central.settings import CentralSettings
from edge.app import create_app
from edge.settings import Settings

STREAMS = ("text/event-stream", "text/csv", "application/octet-stream", "application/gzip")
"""Bodies that are not JSON objects (streams, files) and need no object schema."""


def untyped(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether a schema says nothing of its fields (``{}`` or an object without properties)."""
    if "$ref" in schema:
        return untyped(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return any(untyped(s, components) for s in options)
    if schema.get("type") == "array":
        return untyped(schema.get("items", {}), components)
    if schema.get("type") == "object":
        return not schema.get("properties")
    return not schema


def untyped_operations(app: Litestar) -> list[str]:
    """``METHOD path status`` of every 2xx JSON response whose body is undocumented."""
    with TestClient(app) as client:
        spec = client.get("/schema/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    if not status.startswith("2") or media.startswith(STREAMS):
                        continue
                    if untyped(content.get("schema", {}), components):
                        found.append(f"{method.upper()} {path} {status}")
    return sorted(found)


@pytest.mark.integration
def test_every_box_response_body_is_documented(tmp_path: Path) -> None:
    assert untyped_operations(create_app(Settings(db=tmp_path / "edge.db"))) == []


@pytest.mark.integration
def test_every_central_response_body_is_documented(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    settings = CentralSettings(database_url=url, data_dir=tmp_path)
    assert untyped_operations(create_central(settings)) == []
