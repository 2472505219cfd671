"""HTTP byte ranges (RFC 9110, section 14) for the files central serves: one range a request.

A box resumes an interrupted download with ``Range: bytes=<what it has>-``. A header
this module cannot read, or a request for several ranges, is ignored (the RFC allows
it): the whole file is sent with 200, which a downloader handles anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from central.errors import CentralError

_SINGLE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` (inclusive) of a file of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` header of a 206 answer."""
        return f"bytes {self.start}-{self.end}/{self.size}"


class RangeNotSatisfiable(CentralError):
    """The requested range starts past the end of the file; ask for the file again."""

    http_status = 416

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"the file has {size} bytes: the requested range lies outside it")

    def headers(self) -> dict[str, str]:
        """``Content-Range: bytes */<size>``, as RFC 9110 asks of a 416."""
        return {"Content-Range": f"bytes */{self.size}"}


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range ``header`` asks for in a file of ``size`` bytes; None: send the whole file."""
    match = _SINGLE.match((header or "").replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first:  # bytes=-N: the last N bytes
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range-spec: the header is ignored
    if start >= size:
        raise RangeNotSatisfiable(size)
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1), size)
