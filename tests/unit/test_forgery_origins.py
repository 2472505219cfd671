"""How edge.web.forgery reads an Origin, a Referer or a Host: one origin per spelling."""

from __future__ import annotations

import pytest

from edge.web.forgery import origin_of


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://box.local", ("http", "box.local", 80)),
        ("http://box.local:80", ("http", "box.local", 80)),
        ("HTTP://Box.Local:80/setup?x=1", ("http", "box.local", 80)),
        ("https://central.example", ("https", "central.example", 443)),
        ("http://10.0.0.5:8000/", ("http", "10.0.0.5", 8000)),
        ("http://[fe80::1]:8000", ("http", "fe80::1", 8000)),
    ],
)
def test_spellings_of_one_origin_read_the_same(url, origin):
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "null",
        "",
        "box.local",
        "http://",
        "http://box:port",
        "http://user:pw@box.local",
        "file:///etc/passwd",
        "chrome-extension://abc",
    ],
)
def test_opaque_or_malformed_origins_match_nothing(url):
    assert origin_of(url) is None


def test_another_port_or_scheme_is_another_origin():
    own = origin_of("http://box.local")
    assert origin_of("http://box.local:8080") != own
    assert origin_of("https://box.local") != own
    assert origin_of("http://box.local.evil.example") != own
