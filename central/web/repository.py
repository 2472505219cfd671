"""``/ota/<channel>/metadata|targets/<file>``: the update repository, served with byte ranges.

No login: TUF metadata and bundles are signed, and only boxes reach central through
the tunnel. Metadata must be fetched fresh (``no-cache``); a bundle's name carries
its sha256, so it never changes and may be cached for good.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import IO, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from central.services.updates import UpdateService
from central.web.ranges import ByteRange, parse_range
from ota.repository import METADATA_FOLDER

_CHUNK = 256 * 1024
_CACHE = {METADATA_FOLDER: "no-cache"}
_MEDIA = {METADATA_FOLDER: "application/json"}
_IMMUTABLE = "public, max-age=31536000, immutable"


class RepositoryController(Controller):
    """Static files of the update repository, one channel at a time."""

    path = "/ota"
    tags = ["ota"]  # noqa: RUF012 (Litestar reads a class attribute)

    @get("/{channel:str}/{folder:str}/{name:str}", media_type="application/octet-stream")
    async def repository_file(
        self,
        request: Request[Any, Any, Any],
        channel: FromPath[str],
        folder: FromPath[str],
        name: FromPath[str],
        updates: NamedDependency[UpdateService],
    ) -> Response[Any]:
        """A metadata file or bundle; ``Range: bytes=N-`` resumes a download (206)."""
        path = updates.served_file(channel, folder, name)
        stat = path.stat()
        headers = _validators(stat, _CACHE.get(folder, _IMMUTABLE))
        media = _MEDIA.get(folder, "application/octet-stream")
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(b"", status_code=304, headers=headers)
        wanted: ByteRange | None = None
        if_range = request.headers.get("if-range")
        if if_range is None or if_range in (headers["ETag"], headers["Last-Modified"]):
            wanted = parse_range(request.headers.get("range"), stat.st_size)
        # Opened before answering: a publish renaming files meanwhile changes nothing here.
        handle = path.open("rb")
        if wanted is None:
            headers["Content-Length"] = str(stat.st_size)
            return Stream(_chunks(handle, 0, stat.st_size), headers=headers, media_type=media)
        headers["Content-Length"] = str(wanted.length)
        headers["Content-Range"] = wanted.content_range
        return Stream(
            _chunks(handle, wanted.start, wanted.length), status_code=206, headers=headers
        )


def _validators(stat: os.stat_result, cache: str) -> dict[str, str]:
    return {
        "Accept-Ranges": "bytes",
        "ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Cache-Control": cache,
    }


async def _chunks(handle: IO[bytes], start: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes of ``handle`` from ``start``, read off the event loop; closes it."""
    try:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()
