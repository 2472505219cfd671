"""The reader's drift: the largest reader-minus-box lag of the last 10 s, kept per report.

bench_ingest found the window scanned whole at every report: at one read per report
the reader fell from ~15,000 to ~1,600 reads/s. The window's largest lag is now kept
as reports come; this pins it to the plain maximum over the window, report by report.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge.rfid.client import DRIFT_WINDOW_US, ReaderClient
from edge.roleconfig import ReaderConfig

OFFSET_US = 5_000


def settled_client() -> ReaderClient:
    client = ReaderClient(ReaderConfig(host="127.0.0.1", port=5084), lambda reads: None)
    client.clock_offset_us, client.offset_settled = OFFSET_US, True
    return client


reports = st.lists(
    st.tuples(st.integers(0, 4_000_000), st.integers(-50_000, 50_000)), min_size=1, max_size=200
)


@given(reports)
def test_the_drift_is_the_largest_lag_of_the_window_after_each_report(
    steps: list[tuple[int, int]],
) -> None:
    client = settled_client()
    seen: list[tuple[int, int]] = []
    received = 1_796_000_000_000_000
    for gap_us, lag_us in steps:
        received += gap_us  # reports come in order, up to 4 s apart
        seen.append((received, lag_us))
        client._measure_drift(received, lag_us)
        window = [lag for at, lag in seen if received - at <= DRIFT_WINDOW_US]
        assert client.clock_drift_us == max(window) + OFFSET_US


def test_a_long_steady_stream_keeps_the_window_small() -> None:
    client = settled_client()
    for n in range(100_000):  # 10 s of 10,000 reports a second, the lag falling
        client._measure_drift(1_796_000_000_000_000 + n * 100, -n)
    # Only lags no later report beats are kept: each later one is smaller here, so all
    # of the window's are (one a report); a rising lag would keep one.
    assert len(client._lags) <= DRIFT_WINDOW_US // 100 + 1
    client._measure_drift(1_796_000_000_000_000 + 100_000 * 100, 10)
    assert len(client._lags) == 1
    assert client.clock_drift_us == 10 + OFFSET_US
