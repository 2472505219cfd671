"""Every English text a page shows through ``_()`` has its French translation."""

from __future__ import annotations

import json
import re
from pathlib import Path

from edge.web.i18n import FOLDER, catalog

TEMPLATES = Path(__file__).resolve().parents[2] / "edge" / "web" / "templates"
CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")


def texts_in_templates() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in TEMPLATES.glob("*.html"):
        for match in CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), set()).add(path.name)
    return found


def test_every_page_text_has_a_french_translation():
    french = catalog("fr")
    missing = {
        text: sorted(pages) for text, pages in texts_in_templates().items() if text not in french
    }
    assert missing == {}, f"add these to edge/web/translations/fr/*.json: {missing}"


def test_translation_files_are_flat_objects_of_strings():
    for path in (FOLDER / "fr").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()), path
