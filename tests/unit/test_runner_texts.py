"""The runner pages' texts written in Python (statuses, the widget's errors) have their French."""

from __future__ import annotations

import re
from pathlib import Path

from central.web import runner
from central.web.language import catalog

CALL = re.compile(r"""_"\]\(\s*(["'])(.+?)\1\s*[,)]""")


def test_statuses_and_widget_messages_have_french() -> None:
    french = catalog("fr")
    texts = set(runner.STATUS_LABELS.values())
    source = Path(runner.__file__).read_text(encoding="utf-8")
    texts |= {match.group(2) for match in CALL.finditer(source)}
    assert "Nobody has finished yet." not in texts  # that one is the template's
    assert len(texts) >= len(runner.STATUS_LABELS) + 3  # the widget's three messages
    assert sorted(text for text in texts if text not in french) == []
