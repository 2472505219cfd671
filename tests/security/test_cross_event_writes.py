"""Issue 18, finding 1: a box writes only its own event's rows on central.

A device token is given for one event (the enrollment token names it). The
attacks: a box enrolled for one event pushes rows of another event (results,
passings, reads, entrants, corrections, any table), and a far-future
``updated_us`` that would pin a race's public results for ever. Real central
processes, on SQLite and PostgreSQL, spoken to over HTTP.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from tests.servers import central_on

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()
OURS, THEIRS = "our-10k", "their-10k"
FAR_FUTURE_US = 4_102_444_800_000_000  # 2100-01-01


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("central")
    with central_on(request.param, folder) as (base, url):
        yield base, url


class Box:
    """An enrolled device that pushes its outbox, one seq after the other."""

    def __init__(self, base: str, url: str, serial: str, event: str) -> None:
        central_settings.cache_clear()
        issued = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
            central_cli, ["enroll-token", "create", "--event", event, "--json"]
        )
        central_settings.cache_clear()
        assert issued.exit_code == 0, issued.output
        body = {"token": json.loads(issued.stdout)["token"], "serial": serial,
                "hostname": serial, "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
        granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
        self.base, self.id, self.token = base, granted["device_id"], granted["device_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def cursor(self) -> int:
        answer = httpx.get(f"{self.base}/api/v1/sync/cursor", headers=self.headers)
        return int(answer.json()["acked_seq"])

    def push(self, *changes: dict[str, Any]) -> httpx.Response:
        """Push ``changes`` as the next batch (seqs from the cursor on), gzipped."""
        first = self.cursor() + 1
        numbered = [{**c, "seq": first + i} for i, c in enumerate(changes)]
        body = {"device_id": self.id, "seq_from": first, "seq_to": first + len(changes) - 1,
                "changes": numbered}  # fmt: skip
        headers = {**self.headers, "Content-Encoding": "gzip"}
        data = gzip.compress(json.dumps(body).encode())
        return httpx.post(f"{self.base}/api/v1/sync/batches", content=data, headers=headers)


def results(event: str, race: str, updated_us: int, winner: str) -> dict[str, Any]:
    row = {"rank": 1, "bib": "7", "name": winner, "time": "0:38:12.4"}
    return {"table": "results_snapshot", "op": "upsert", "row_id": f"{event}/{race}",
            "payload": {"event": event, "race": race, "updated_us": updated_us,
                        "columns": ["rank", "bib", "name", "time"], "rows": [row]}}  # fmt: skip


def change(table: str, event: Any, op: str = "upsert") -> dict[str, Any]:
    payload: dict[str, Any] = {"id": f"{table}-1", "event": event, "point": "FINISH",
                               "race": "10K", "bib": "7", "epc": "E0007", "time_us": 1}  # fmt: skip
    return {"table": table, "op": op, "row_id": f"{table}-1", "payload": payload}


def public_winner(base: str, event: str, race: str) -> str | None:
    answer = httpx.get(f"{base}/api/v1/public/events/{event}/results", params={"race": race})
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    return str(answer.json()["rows"][0]["name"])


def now_us() -> int:
    return time.time_ns() // 1000


def test_a_box_cannot_publish_or_pin_another_events_results(central: tuple[str, str]):
    base, url = central
    theirs = Box(base, url, "their-master", THEIRS)
    assert theirs.push(results(THEIRS, "10K", now_us(), "Their Winner")).status_code == 200
    attacker = Box(base, url, "our-master", OURS)
    forged = attacker.push(results(THEIRS, "10K", FAR_FUTURE_US, "Forged Winner"))
    assert forged.status_code == 403, forged.text
    assert THEIRS in forged.json()["detail"]
    assert OURS in forged.json()["detail"]
    assert attacker.cursor() == 0  # nothing of the batch was applied
    assert public_winner(base, THEIRS, "10K") == "Their Winner"
    assert theirs.push(results(THEIRS, "10K", now_us(), "Later Winner")).status_code == 200
    assert public_winner(base, THEIRS, "10K") == "Later Winner"


@pytest.mark.parametrize(
    "table", ["results_snapshot", "passing", "tag_read", "entrant", "correction", "race"]
)
def test_one_foreign_row_refuses_the_whole_batch(central: tuple[str, str], table: str):
    base, url = central
    box = Box(base, url, f"box-mixed-{table}", OURS)
    ours = [change("tag_read", OURS), change("passing", OURS), change("entrant", OURS)]
    foreign = change(table, THEIRS)
    if table == "results_snapshot":
        foreign = results(THEIRS, "10K", now_us(), "Forged Winner")
    refused = box.push(*ours, foreign, change("correction", OURS))
    assert refused.status_code == 403, refused.text
    assert f"seq {len(ours) + 1}" in refused.json()["detail"]
    assert box.cursor() == 0
    assert public_winner(base, THEIRS, "10K") != "Forged Winner"
    accepted = box.push(*ours, results(OURS, "10K", now_us(), "Our Winner"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["applied"] == len(ours) + 1


@pytest.mark.parametrize(
    "event", [None, "", OURS.upper(), f" {OURS}", ["our-10k"], {"slug": OURS}, 7]
)
def test_an_upsert_must_name_the_devices_event_exactly(central: tuple[str, str], event: Any):
    base, url = central
    box = Box(base, url, f"box-event-{json.dumps(event)}", OURS)
    for table in ("passing", "results_snapshot"):
        refused = box.push(change("tag_read", OURS), change(table, event))
        assert 400 <= refused.status_code < 500, refused.text
        assert "event" in refused.json()["detail"]
        assert box.cursor() == 0


def test_a_row_without_event_at_all_is_refused(central: tuple[str, str]):
    base, url = central
    box = Box(base, url, "box-no-event", OURS)
    for table in ("passing", "results_snapshot", "entrant"):
        bare = change(table, OURS)
        del bare["payload"]["event"]
        refused = box.push(bare)
        assert 400 <= refused.status_code < 500, refused.text
        assert "event" in refused.json()["detail"]
    assert box.cursor() == 0


def test_deletes_of_rows_whose_event_is_gone_are_taken(central: tuple[str, str]):
    """A deleted event cascades to its rows: their delete names no event (the edge's triggers)."""
    base, url = central
    box = Box(base, url, "box-deletes", OURS)
    pushed = box.push(change("passing", None, op="delete"), change("entrant", OURS, op="delete"))
    assert pushed.status_code == 200, pushed.text
    foreign = box.push(change("passing", THEIRS, op="delete"))
    assert foreign.status_code == 403, foreign.text


def test_a_box_clock_in_the_future_does_not_pin_its_events_results(central: tuple[str, str]):
    base, url = central
    event = "clock-10k"
    skewed = Box(base, url, "skewed-master", event)
    assert skewed.push(results(event, "10K", FAR_FUTURE_US, "From 2100")).status_code == 200
    assert public_winner(base, event, "10K") == "From 2100"
    # Another box of the same event (a replacement MASTER) takes over at once...
    replacement = Box(base, url, "replacement-master", event)
    assert replacement.push(results(event, "10K", now_us(), "Replacement")).status_code == 200
    assert public_winner(base, event, "10K") == "Replacement"
    # ... and the skewed box, its clock fixed, is not stuck behind its own 2100 either.
    assert skewed.push(results(event, "5K", FAR_FUTURE_US, "5K from 2100")).status_code == 200
    time.sleep(0.01)
    assert skewed.push(results(event, "5K", now_us(), "5K fixed")).status_code == 200
    assert public_winner(base, event, "5K") == "5K fixed"
    published = httpx.get(
        f"{base}/api/v1/public/events/{event}/results", params={"race": "5K"}
    ).json()
    assert published["updated"] < "2100"


def test_a_status_report_cannot_rename_another_event(central: tuple[str, str]):
    base, url = central
    theirs = Box(base, url, "their-reporter", THEIRS)
    mine = {"slug": THEIRS, "name": "Their 10K", "date": "2026-12-03", "timezone": "UTC"}
    report = httpx.post(f"{base}/api/v1/devices/status", headers=theirs.headers,
                        json={"role": "master", "event": mine})  # fmt: skip
    assert report.status_code == 204, report.text
    attacker = Box(base, url, "our-reporter", OURS)
    forged = {**mine, "name": "Cancelled", "date": "2001-01-01"}
    refused = httpx.post(f"{base}/api/v1/devices/status", headers=attacker.headers,
                         json={"role": "master", "event": forged})  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert THEIRS in refused.json()["detail"]
