"""Every English text a page shows through ``_()`` has its French translation."""

from __future__ import annotations

import ast
import copy
import json
import re
import string
from pathlib import Path
from typing import Any

from litestar import Request

from edge.phrase import Phrase
from edge.web.i18n import FOLDER, catalog, language_of, phrase_teller, translator

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


EDGE = Path(__file__).resolve().parents[2] / "edge"


def phrases_in_code() -> dict[str, str]:
    """The template of every ``Phrase(...)`` the code makes -> the module making it."""
    found: dict[str, str] = {}
    for path in EDGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Phrase"):
                continue
            if path.name == "phrase.py" or not node.args:
                continue  # the class rebuilding a copy of itself
            first = node.args[0]
            for template in [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]:
                assert isinstance(template, ast.Constant), (
                    f"{path}:{node.lineno}: write the Phrase template as a literal, so that "
                    "this test can check it is translated"
                )
                found[template.value] = path.name
    return found


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_phrase_the_code_says_has_a_french_translation_with_the_same_values():
    french = catalog("fr")
    said = phrases_in_code()
    assert "bib {bib} already on line {line}" in said  # the scan finds the import's phrases
    missing = {text: module for text, module in said.items() if text not in french}
    assert missing == {}, f"add these to edge/web/translations/fr/*.json: {missing}"
    for text in said:
        assert fields_of(french[text]) == fields_of(text), text


def test_a_phrase_is_english_everywhere_and_french_on_a_french_page():
    phrase = Phrase("bib {bib} already on line {line}", bib="7", line=3)
    assert phrase == "bib 7 already on line 3"
    assert json.dumps({"reason": phrase}) == '{"reason": "bib 7 already on line 3"}'
    copied = copy.deepcopy(phrase)  # as dataclasses.asdict copies an import report
    assert (copied.template, copied.values) == (phrase.template, phrase.values)
    assert translator("fr")(copied) == "le dossard 7 est déjà ligne 3"
    said = phrase_teller("fr")
    assert said(phrase) == "le dossard 7 est déjà ligne 3"
    assert said("Bib") == "Bib"  # a file's own header stays as the file wrote it
    assert phrase_teller("en")(phrase) == "bib 7 already on line 3"


def box_request(cookie: str | None = None, accept: str | None = None) -> Request[Any, Any, Any]:
    headers = [(b"accept-language", accept.encode())] if accept is not None else []
    headers += [(b"cookie", f"lang={cookie}".encode())] if cookie is not None else []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    return Request(scope)  # type: ignore[arg-type]


def test_the_box_picks_the_cookie_then_the_browsers_language_then_english():
    assert language_of(box_request(accept="fr-FR,fr;q=0.9,en;q=0.8")) == "fr"
    assert language_of(box_request(accept="de-DE,en-GB;q=0.9,fr;q=0.8")) == "en"
    assert language_of(box_request(cookie="en", accept="fr-FR,fr;q=0.9")) == "en"
    assert language_of(box_request(cookie="fr")) == "fr"
    assert language_of(box_request(cookie="de", accept="de-DE")) == "en"
    assert language_of(box_request()) == "en"
    assert language_of(box_request(accept="en;q=0,fr;q=0.5")) == "fr"  # q=0: "not this one"
