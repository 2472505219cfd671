"""Sentences for people that a page can say in another language.

A :class:`Phrase` is the English text everywhere a string goes (the CLI, JSON,
logs, tests), and it remembers the template and values it was made from, so that
``edge.web.i18n`` can look the template up in a translation file and fill it in.
"""

from __future__ import annotations

from typing import Any


class Phrase(str):
    """English text made from ``template.format(**values)``, keeping both for translation."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Phrase:
        """The phrase ``template`` with ``values`` filled in (``{value!r}`` quotes a value)."""
        made = super().__new__(cls, template.format(**values) if values else template)
        made.template = template
        made.values = values
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles (dataclasses.asdict deep-copies) keep the template.
        return (_rebuilt, (self.template, self.values))


def _rebuilt(template: str, values: dict[str, Any]) -> Phrase:
    return Phrase(template, **values)
