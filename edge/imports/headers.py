"""Column headers as organisers write them: folded, matched to fields, look-alikes caught.

"N° dossard", "No. Dossard", "Dossard #" and "dossard" are one header once folded;
a header that is not recognised but resembles one (a misspelling, or a known name
inside a longer one) is reported rather than silently dropped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from edge.errors import Problem
from edge.phrase import Phrase

# "Sexe (H/F)", "Date de naissance [JJ/MM/AAAA]": a bracketed hint is not the name.
_HINT = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_PUNCTUATION = re.compile(r"[\W_]+")
# Spelling this close to a known header (difflib ratio) reads as a typo of it.
CLOSE_SPELLING = 0.8
# Shorter names are matched only exactly: "no" or "n" inside "Phone no" means nothing.
_SHORTEST_INSIDE = 3
_SHORTEST_SPELLING = 5


def normalise_header(name: str) -> str:
    """Fold a header for matching: lowercase, no accents, no hint in brackets, words only."""
    bare = _HINT.sub(" ", name)
    if not bare.strip():
        bare = name
    folded = unicodedata.normalize("NFKD", bare.strip().casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _PUNCTUATION.sub(" ", plain).strip()


def header_key(name: str) -> str:
    """A header folded with its spaces removed: "Last Name", "lastname", "last_name" are one."""
    return normalise_header(name).replace(" ", "")


@lru_cache(maxsize=4096)  # a file repeats its races, waves and sexes on every row
def fold_text(text: str) -> str:
    """A value compared loosely: no case, accents, spaces or punctuation ("10 km" = "10KM")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def map_headers(
    headers: Iterable[str], aliases: Mapping[str, str], line: int = 1
) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Map canonical field names to column positions.

    Return (field -> column index, ignored raw headers, problems for duplicates).
    ``aliases`` maps header text (folded or not) to canonical field name.
    """
    keys = {header_key(alias): field for alias, field in aliases.items()}
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, raw in enumerate(headers):
        field = keys.get(header_key(raw))
        if field is None:
            if raw.strip():
                ignored.append(raw.strip())
        elif field in columns:
            reason = Phrase("column {field} appears twice in the header", field=field)
            problems.append(Problem(raw.strip(), reason, line))
        else:
            columns[field] = index
    return columns, ignored, problems


@dataclass(frozen=True)
class LookAlike:
    """An ignored header that seems to mean a known field, and the known name it resembles."""

    header: str
    field: str
    resembles: str


def look_alike(
    header: str, aliases: Mapping[str, str], taken: Collection[str] = ()
) -> LookAlike | None:
    """The field an unrecognised header seems to mean, unless that field is already ``taken``.

    A header resembles a known name when it holds it as whole words ("Chip number
    RFID" holds "chip number") or is spelt almost like it ("Dossart"). Holding a
    name beats a likeness, then the longer name or the closer spelling wins.
    """
    words = normalise_header(header).split()
    if not words:
        return None
    padded, key = f" {' '.join(words)} ", "".join(words)
    best: tuple[float, int] | None = None
    found: LookAlike | None = None
    for alias, field in aliases.items():
        if field in taken:
            continue
        known = normalise_header(alias)
        compact = known.replace(" ", "")
        if len(compact) >= _SHORTEST_INSIDE and f" {known} " in padded:
            score = (1.0, len(compact))
        elif min(len(compact), len(key)) >= _SHORTEST_SPELLING:
            ratio = difflib.SequenceMatcher(None, key, compact).ratio()
            if ratio < CLOSE_SPELLING:
                continue
            score = (ratio, len(compact))
        else:
            continue
        if best is None or score > best:
            best, found = score, LookAlike(header.strip(), field, alias)
    return found
