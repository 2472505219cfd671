"""``python -m tests.chaos --seed N --minutes M [--folder DIR]``: run one campaign (as root)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.chaos.campaign import run_campaign


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="the same seed, the same faults")
    parser.add_argument("--minutes", type=float, default=5.0, help="how long faults go on")
    parser.add_argument("--folder", type=Path, help="keep logs and databases here")
    parser.add_argument("--calm", action="store_true", help="no faults: the baseline")
    args = parser.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix=f"chaos-{args.seed}-"))
    print(f"chaos: seed {args.seed}, {args.minutes:g} min, files in {folder}", flush=True)
    report = run_campaign(args.seed, args.minutes, folder, calm=args.calm)
    print(report.table(), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
