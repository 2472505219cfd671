"""A job's work run in a short-lived child process: what it allocates leaves with the child.

An XLSX then a PDF export of a 20,000-finisher race left the worker at 163.6 MB
instead of 75.6 MB for the rest of the event, ``malloc_trim`` after each: openpyxl,
fpdf2, Pillow and fontTools stay imported, and Python keeps the arenas of the
objects the exports made. The job itself stays the worker's: claimed, leased
(the worker beats for it), retried, cancelled and drained like any other; only its
work moves to ``python -m edge.jobs.child``, which exits when it is done.

The child reads one JSON request on stdin (the work's ``module:function``, the
payload, the box's paths) and writes one JSON object a line on stdout:
``{"progress": [percent, stage]}``, ``{"log": [message, level]}``, then
``{"result": ...}`` or ``{"error": text}``. Its stderr is the worker's (journald).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from edge.jobs.context import JobContext
from edge.jobs.errors import JobError
from edge.jobs.registry import resolve_handler
from edge.paths import BoxPaths

LINE_LIMIT = 1024 * 1024
"""Longest line the child may write (a job's result or error, JSON)."""


class ChildFailed(JobError):
    """The job's work failed in its child process."""


class ChildContext:
    """What the work gets in the child: the job's id, attempt and resources, and its log
    and progress, which the parent relays to the queue (where a cancel is noticed)."""

    def __init__(
        self, job_id: int, attempt: int, resources: Mapping[str, Any], out: TextIO
    ) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.resources = resources
        self._out = out

    async def log(self, message: str, level: str = "info") -> None:
        """Append a line to the job's log."""
        self.send({"log": [message, level]})

    async def progress(self, percent: int, stage: str = "") -> None:
        """Report progress (0-100) and a stage label."""
        self.send({"progress": [percent, stage]})

    def send(self, message: Mapping[str, Any]) -> None:
        """Write one message to the parent."""
        self._out.write(json.dumps(message) + "\n")
        self._out.flush()


Work = Callable[[ChildContext, dict[str, Any]], Awaitable[Any]]


async def run_in_child(ctx: JobContext, work: str, payload: Mapping[str, Any]) -> Any:
    """Run ``work`` (``module:function`` taking a ``ChildContext``) in a child process for
    the job of ``ctx``; its result. A cancel or the worker's shutdown kills the child."""
    paths = ctx.resources.get("paths")
    request = {
        "work": work,
        "payload": dict(payload),
        "job_id": ctx.job_id,
        "attempt": ctx.attempt,
        "paths": {k: str(v) for k, v in dataclasses.asdict(paths).items()}
        if isinstance(paths, BoxPaths)
        else None,
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "edge.jobs.child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=LINE_LIMIT,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        child.stdin.write(json.dumps(request).encode())
        await child.stdin.drain()
        child.stdin.close()
        answer: dict[str, Any] = {}
        async for line in child.stdout:
            message = json.loads(line)
            if "progress" in message:
                await ctx.progress(*message["progress"])  # JobCancelled if cancelled
            elif "log" in message:
                await ctx.log(*message["log"])
            else:
                answer = message
        code = await child.wait()
    finally:
        if child.returncode is None:  # cancelled, or the parent's own error
            child.kill()
            await child.wait()
    if "error" in answer:
        raise ChildFailed(answer["error"])
    if code != 0 or "result" not in answer:
        raise ChildFailed(f"the job's child process ended with exit code {code} (log: journal)")
    return answer["result"]


async def _work(request: Mapping[str, Any], out: TextIO) -> Any:
    paths = request.get("paths")
    resources = {"paths": BoxPaths(**{k: Path(v) for k, v in paths.items()})} if paths else {}
    ctx = ChildContext(request["job_id"], request["attempt"], resources, out)
    work: Work = resolve_handler(request["work"])  # type: ignore[assignment]
    return await work(ctx, dict(request["payload"]))


def main() -> int:
    """The child's side: read the request, run the work, write its result (exit 0) or error."""
    # The messages get stdout to themselves: whatever the work prints goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    try:
        result = asyncio.run(_work(json.loads(sys.stdin.read()), out))
    except Exception as error:
        out.write(json.dumps({"error": "".join(traceback.format_exception_only(error)).strip()}))
        out.write("\n")
        return 1
    out.write(json.dumps({"result": result}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
