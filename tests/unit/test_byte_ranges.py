"""HTTP Range headers as central reads them: one range, resumable, 416 past the end."""

from __future__ import annotations

import pytest

from central.web.ranges import ByteRange, RangeNotSatisfiable, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99, 1000)),
        ("bytes=500-", ByteRange(500, 999, 1000)),
        ("bytes=900-5000", ByteRange(900, 999, 1000)),
        ("bytes=-100", ByteRange(900, 999, 1000)),
        ("bytes=-5000", ByteRange(0, 999, 1000)),
        ("bytes = 10 - 19", ByteRange(10, 19, 1000)),
    ],
)
def test_a_single_range_is_clamped_to_the_file(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header", [None, "", "bytes=5-1", "items=0-1", "bytes=0-1,5-9", "bytes=-", "bytes=a-b"]
)
def test_what_cannot_be_read_sends_the_whole_file(header: str | None) -> None:
    assert parse_range(header, 1000) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_a_range_outside_the_file_is_not_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, 1000)
    assert caught.value.http_status == 416
    assert caught.value.headers() == {"Content-Range": "bytes */1000"}


def test_the_answer_names_its_bytes() -> None:
    part = ByteRange(1000, 1999, 5000)
    assert (part.length, part.content_range) == (1000, "bytes 1000-1999/5000")
