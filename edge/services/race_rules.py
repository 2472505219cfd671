"""A race's format settings as stored in ``race.format_rules`` (a JSON object)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from edge.imports.eventdefs import FormatRules
from edge.timing.model import Segment


def rules_to_json(rules: FormatRules) -> str:
    """The settings as compact JSON, keys sorted so that a reload compares equal."""
    data = dataclasses.asdict(rules)
    data["legs"] = list(rules.legs)
    data["segments"] = [[s.code, s.start_point, s.end_point] for s in rules.segments]
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def rules_from_json(text: str) -> FormatRules:
    """The settings stored by ``rules_to_json`` ({} or a missing key: the default)."""
    data: dict[str, Any] = json.loads(text or "{}")
    known = {f.name for f in dataclasses.fields(FormatRules)}
    values = {k: v for k, v in data.items() if k in known}
    values["legs"] = tuple(values.get("legs", ()))
    values["segments"] = tuple(Segment(*s) for s in values.get("segments", ()))
    return FormatRules(**values)
