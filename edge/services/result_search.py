"""What a results search finds: an exact bib or a part of a name, accents and case ignored."""

from __future__ import annotations

import unicodedata

from edge.timing.model import EntrantInfo


def folded(text: str) -> str:
    """Lower case without accents, so "helene" finds "Hélène"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def entrant_matches(entrant: EntrantInfo, query: str) -> bool:
    """Whether an entrant answers a search: the exact bib, or a part of the name."""
    wanted = folded(query.strip())
    if not wanted:
        return True
    if folded(entrant.bib) == wanted:
        return True
    names = (
        f"{entrant.first_name} {entrant.last_name}",
        f"{entrant.last_name} {entrant.first_name}",
    )
    return any(wanted in folded(name) for name in names)


def name_matches(name: str, query: str) -> bool:
    """Whether a part of ``name`` (a team's) is the search, accents and case ignored."""
    wanted = folded(query.strip())
    return not wanted or wanted in folded(name)
