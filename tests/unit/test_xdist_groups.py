"""The suite's xdist groups hold: tests sharing a costly session fixture run on one worker.

tests/conftest.py marks every test using a costly session fixture with an xdist group,
and the suite runs with ``--dist=loadgroup``. If pytest-xdist stops honouring the marks
(it did with pytest 9.2, whose node ids it no longer suffixes), each worker builds the
rootfs, bundles and releases again and the suite takes minutes more, passing all the
same. This runs a small suite of grouped tests on two workers and checks where they ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GROUPED = """
import json, os
from pathlib import Path
import pytest

@pytest.fixture(scope="session")
def ota_bundles():
    return {}

@pytest.mark.parametrize("n", range(6))
def test_grouped(ota_bundles, n):
    with Path(os.environ["WHERE"]).open("a") as out:
        out.write(json.dumps([n, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_tests_sharing_a_costly_session_fixture_run_on_one_worker(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tests / "test_grouped.py").write_text(GROUPED)
    where = tmp_path / "where.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
         "--dist=loadgroup", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         str(tests)],
        cwd=ROOT, env={"WHERE": str(where), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [json.loads(line) for line in where.read_text().splitlines()]
    assert sorted(n for n, _ in ran) == list(range(6))
    assert len({worker for _, worker in ran}) == 1, ran
