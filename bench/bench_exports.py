"""Benchmark of the export files of a 20,000-finisher race, each against its goal.

Run ``python -m bench.bench_exports [FINISHERS]`` (default 20,000). It builds a real
SQLite race (``bench.bench_screen.build``), then makes each file the way the worker's
export job does (``ExportService.produce``) and prints its time and the growth of the
process's peak memory next to the goals of issue 20: CSV < 1 s, XLSX < 10 s,
PDF < 30 s, certificates with memory flat. It exits 1 when a goal is missed.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_screen import SLUG, build
from edge.services.exports import ExportRequest, ExportService

FINISHERS = 20_000
GOALS_S = {"csv": 1.0, "xlsx": 10.0, "pdf": 30.0}
CERTIFICATES_MEMORY_GOAL_MB = 100.0
"""Peak memory the certificates of the whole field may add: flat, not a page per finisher."""


def peak_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(finishers: int) -> list[tuple[str, float, float, str]]:
    """(what, seconds, peak MB added, goal) for each file."""
    found = []
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        db, _ = await build(Path(folder), finishers + 10)
        service = ExportService(db, Path(folder) / "exports")

        async def progress(_percent: int, _stage: str) -> None:
            return None

        for kind, fmt in (("scratch", "csv"), ("scratch", "xlsx"), ("scratch", "pdf"),
                          ("certificates", "pdf")):  # fmt: skip
            request = ExportRequest(event=SLUG, race="10K", kind=kind, format=fmt)
            before = peak_mb()
            started = time.perf_counter()
            made = await service.produce(request, progress)
            took = time.perf_counter() - started
            grown = peak_mb() - before
            name = f"{kind}.{fmt}"
            goal = (
                f"< {CERTIFICATES_MEMORY_GOAL_MB:.0f} MB"
                if kind == "certificates"
                else f"< {GOALS_S[fmt]:.0f} s"
            )
            found.append((f"{name} ({made.size / 1e6:.1f} MB)", took, grown, goal))
        await db.close()
    return found


def main() -> int:
    """Print the figures; return 1 when a file misses its goal."""
    finishers = int(sys.argv[1]) if len(sys.argv) > 1 else FINISHERS
    failed = False
    for what, took, grown, goal in asyncio.run(measure(finishers)):
        if what.startswith("certificates"):
            over = grown > CERTIFICATES_MEMORY_GOAL_MB
        else:
            over = took > GOALS_S[what.split(".")[1].split(" ")[0]]
        failed |= over
        verdict = "OVER" if over else "ok"
        print(f"exports.{what} finishers={finishers} took={took:.2f}s"
              f" peak_added={grown:.0f}MB goal {goal} {verdict}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
