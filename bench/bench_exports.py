"""Benchmark of the export files of a 20,000-finisher race, each against its goal.

Run ``python -m bench.bench_exports [FINISHERS]`` (default 20,000). It builds a real
SQLite race (``bench.bench_screen.build``), then makes each file the way the worker's
export job does (``ExportService.produce``) and prints its time and the growth of the
process's peak memory next to the goals of issue 20: CSV < 1 s, XLSX < 10 s,
PDF < 30 s, certificates with memory flat. It exits 1 when a goal is missed.
Each file's CPU time is printed too: on a host shared with other jobs the wall time
also counts the time spent waiting for a CPU, the CPU time does not.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_screen import SLUG, build
from bench.goals import Goal, exit_code
from edge.services.exports import ExportRequest, ExportService

FINISHERS = 20_000
GOALS_S = {"csv": 1.0, "xlsx": 10.0, "pdf": 30.0}
CERTIFICATES_MEMORY_GOAL_MB = 100.0
"""Peak memory the certificates of the whole field may add: flat, not a page per finisher."""


def peak_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(finishers: int) -> list[tuple[str, float, float, float, int]]:
    """(file, seconds, CPU seconds, peak MB added, bytes) for each file."""
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
            started, cpu = time.perf_counter(), time.process_time()
            made = await service.produce(request, progress)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            found.append((f"{kind}.{fmt}", took, cpu, peak_mb() - before, made.size))
        await db.close()
    return found


def main() -> int:
    """Print the figures next to their goals; return 1 when a file misses its goal."""
    finishers = int(sys.argv[1]) if len(sys.argv) > 1 else FINISHERS
    met = []
    for name, took, cpu, grown, size in asyncio.run(measure(finishers)):
        print(f"exports.{name}: {size / 1e6:.1f} MB, {finishers} finishers, CPU {cpu:.2f} s")
        if name == "certificates.pdf":
            goal = Goal(f"exports.{name} peak memory added", CERTIFICATES_MEMORY_GOAL_MB, "MB")
            met.append(goal.report(grown))
        else:
            met.append(Goal(f"exports.{name} time", GOALS_S[name.split(".")[1]], "s").report(took))
    return exit_code(met)


if __name__ == "__main__":
    sys.exit(main())
