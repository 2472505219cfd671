"""Field checks for YAML-sourced files: each failure becomes a Problem with path and line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection, Iterator
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from edge.domain.clock import parse_duration
from edge.errors import Problem
from edge.imports.yamlsource import Path, YamlDocument, format_path

E = TypeVar("E", bound=StrEnum)
_MISSING = object()
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECONDS = re.compile(r"^\+?(\d+(\.\d{0,6})?|\.\d{1,6})$")


class Checker:
    """Reads values out of a YamlDocument, collecting every problem instead of stopping."""

    def __init__(self, document: YamlDocument) -> None:
        self.document = document
        self.problems: list[Problem] = []

    @staticmethod
    def problem_at(where: str, reason: str) -> Problem:
        """A problem with no line (file-level)."""
        return Problem(where, reason)

    def fail(self, path: Path, reason: str) -> None:
        """Record a problem at ``path`` (its line, or its parent's when it is missing)."""
        self.problems.append(Problem(format_path(path), reason, self.document.line_of(path)))

    def _get(self, container: dict[str, Any], path: Path, required: bool) -> Any:
        value = container.get(str(path[-1]), _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(path, "is required")
            return _MISSING
        return value

    def mapping(self, value: Any, path: Path, allowed: Collection[str]) -> dict[str, Any] | None:
        """Check ``value`` is a mapping whose keys are all ``allowed``."""
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of fields (key: value)")
            return None
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail((*path, key), f"unknown field {key!r}{hint}")
        return value

    def items(
        self, container: dict[str, Any], path: Path, *, allow_empty: bool = False
    ) -> Iterator[tuple[Path, Any]]:
        """Yield (path, item) for a list field that is required to be a non-empty list."""
        value = self._get(container, path, required=True)
        if value is _MISSING:
            return
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return
        if not value and not allow_empty:
            self.fail(path, "must not be empty")
        for index, item in enumerate(value):
            yield (*path, index), item

    def text(
        self,
        container: dict[str, Any],
        path: Path,
        *,
        required: bool = True,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> str | None:
        """A non-empty string, optionally matching ``pattern``."""
        value = self._get(container, path, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty text")
            return None
        value = value.strip()
        if pattern is not None and not pattern.match(value):
            self.fail(path, f"{value!r} is not valid ({hint})")
            return None
        return value

    def code(self, container: dict[str, Any], path: Path, taken: Collection[str]) -> str | None:
        """A code, unique among ``taken``."""
        code = self.text(container, path)
        if code is not None and code in taken:
            self.fail(path, f"code {code!r} is used twice")
            return None
        return code

    def text_list(self, container: dict[str, Any], path: Path) -> list[str] | None:
        """A non-empty list of non-empty strings."""
        codes: list[str] = []
        ok = True
        for item_path, item in self.items(container, path):
            if not isinstance(item, str) or not item.strip():
                self.fail(item_path, "must be a code")
                ok = False
            else:
                codes.append(item.strip())
        return codes if ok and codes else None

    def choice(
        self, container: dict[str, Any], path: Path, kind: type[E], default: E | None
    ) -> E | None:
        """One of an enum's values; ``default`` when absent (required when default is None)."""
        value = self._get(container, path, required=default is None)
        if value is _MISSING:
            return default
        try:
            return kind(str(value).strip().lower())
        except ValueError:
            allowed = " | ".join(member.value for member in kind)
            self.fail(path, f"{value!r} is not one of {allowed}")
            return None

    def integer(
        self,
        container: dict[str, Any],
        path: Path,
        *,
        default: int | None,
        minimum: int | None = None,
        required: bool = False,
    ) -> int | None:
        """A whole number, at least ``minimum``; ``default`` when absent."""
        value = self._get(container, path, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not _INTEGER.match(value.strip()):
            self.fail(path, f"{value!r} is not a whole number")
            return None
        number = int(value)
        if minimum is not None and number < minimum:
            self.fail(path, f"{number} must be at least {minimum}")
            return None
        return number

    def date(self, container: dict[str, Any], path: Path) -> dt.date | None:
        """A calendar date written YYYY-MM-DD."""
        value = self.text(container, path)
        if value is None:
            return None
        try:
            if not _DATE.match(value):
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(path, f"{value!r} is not a date YYYY-MM-DD")
            return None

    def seconds(
        self, container: dict[str, Any], path: Path, *, default: int, maximum_s: int
    ) -> int | None:
        """A decimal number of seconds (at most µs precision) in µs; ``default`` when absent."""
        value = self._get(container, path, required=False)
        if value is _MISSING:
            return default
        text = str(value).strip()
        if not _SECONDS.match(text):
            self.fail(path, f"{value!r} is not a number of seconds such as 0.4")
            return None
        whole, _, fraction = text.lstrip("+").partition(".")
        micros = int(whole or "0") * 1_000_000 + int(fraction.ljust(6, "0") or "0")
        if micros > maximum_s * 1_000_000:
            self.fail(path, f"{text} s is more than {maximum_s} s")
            return None
        return micros

    def duration(self, container: dict[str, Any], path: Path, *, default: int | None) -> int | None:
        """A duration H:MM:SS[.ffffff] in µs; ``default`` when absent."""
        value = self._get(container, path, required=False)
        if value is _MISSING:
            return default
        try:
            return parse_duration(str(value))
        except ValueError:
            self.fail(path, f'{value!r} is not a duration H:MM:SS (e.g. "00:25:00")')
            return None

    def instant(
        self, container: dict[str, Any], path: Path, timezone: str | None
    ) -> dt.datetime | None:
        """An ISO 8601 date-time; without an offset it is read in ``timezone``."""
        value = self.text(container, path)
        if value is None:
            return None
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            instant = dt.datetime.fromisoformat(text)
        except ValueError:
            self.fail(path, f"{value!r} is not a date-time like 2026-04-12T09:30:00+02:00")
            return None
        if instant.tzinfo is None:
            if timezone is None:
                self.fail(path, f"{value!r} has no offset and the event has no valid timezone")
                return None
            instant = instant.replace(tzinfo=ZoneInfo(timezone))
        return instant

    def sex(self, container: dict[str, Any], path: Path) -> str | None:
        """M, F, or None (any sex, or invalid: then a problem is recorded)."""
        value = self._get(container, path, required=False)
        if value is _MISSING:
            return None
        sex = str(value).strip().upper()
        if sex not in {"M", "F"}:
            self.fail(path, f"{value!r} is not M or F (leave it out for any sex)")
            return None
        return sex
