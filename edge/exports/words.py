"""A result sheet's words in each language: column headings and table titles (pure)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Headings:
    """The heading of each column a result sheet can have, by its machine name."""

    rank: str
    bib: str
    first_name: str
    last_name: str
    name: str
    sex: str
    category: str
    sex_rank: str
    category_rank: str
    team: str
    status: str
    gun_time: str
    chip_time: str
    club: str
    total_time: str
    members: str
    laps: str
    distance_m: str
    lap: str  # "Lap {n}"
    leg_bib: str  # "{leg} bib"
    leg_rank: str  # "{leg} rank"
    results_state: str  # provisional or official, and the version (edge.services.signoff)


_PATTERNS = frozenset({"lap", "leg_bib", "leg_rank"})
_COLUMNS = frozenset(f.name for f in fields(Headings)) - _PATTERNS


@dataclass(frozen=True)
class SheetWords:
    """Everything a result sheet says in one language besides the results themselves."""

    language: str
    headings: Headings
    scratch: str
    by_category: str
    teams: str
    not_classified: str
    no_category: str
    results: str
    provisional: str  # "Provisional results", then "... (v{n})" from version 2
    official: str  # "Official results (v{n})"
    live_results: str = "Live results"  # under the QR code of the event's page on central

    def heading(self, column: str) -> str:
        """A column's heading for people; a split column reads as its point (``KM5``).

        A lap column reads ``Lap 3``, a segment column its code (``SWIM``), a relay
        leg's columns its code, ``L2 bib`` and ``L2 rank``.
        """
        if column in _COLUMNS:
            return str(getattr(self.headings, column))
        if column.startswith("lap_") and column[4:].isdigit():
            return self.headings.lap.format(n=column[4:])
        if column.startswith("leg_"):
            leg = column[4:]
            if leg.endswith("_bib"):
                return self.headings.leg_bib.format(leg=leg.removesuffix("_bib"))
            if leg.endswith("_rank"):
                return self.headings.leg_rank.format(leg=leg.removesuffix("_rank"))
            return leg
        return column.removeprefix("split_").removeprefix("seg_")

    def state(self, state: str, version: int) -> str:
        """What the results are: ``Official results (v1)``, ``Provisional results (v2)``..."""
        if state == "official":
            return self.official.format(n=version)
        return self.provisional + (f" (v{version})" if version > 1 else "")

    def kind(self, kind: str) -> str:
        """The name of an export kind (``scratch``, ``category``, ``teams``)."""
        names = {"scratch": self.scratch, "category": self.by_category, "teams": self.teams}
        return names.get(kind, kind)


ENGLISH = SheetWords(
    language="en",
    headings=Headings(
        rank="Rank",
        bib="Bib",
        first_name="First name",
        last_name="Last name",
        name="Name",
        sex="Sex",
        category="Category",
        sex_rank="Sex rank",
        category_rank="Cat. rank",
        team="Team",
        status="Status",
        gun_time="Gun time",
        chip_time="Chip time",
        club="Club",
        total_time="Total time",
        members="Members",
        laps="Laps",
        distance_m="Distance (m)",
        lap="Lap {n}",
        leg_bib="{leg} bib",
        leg_rank="{leg} rank",
        results_state="Results",
    ),
    scratch="Scratch",
    by_category="By category",
    teams="Teams",
    not_classified="Not classified",
    no_category="No category",
    results="Results",
    provisional="Provisional results",
    official="Official results (v{n})",
)
FRENCH = SheetWords(
    language="fr",
    headings=Headings(
        rank="Clt",
        bib="Dossard",
        first_name="Prénom",
        last_name="Nom",
        name="Nom",
        sex="Sexe",
        category="Catégorie",
        sex_rank="Clt sexe",
        category_rank="Clt cat.",
        team="Équipe",
        status="Statut",
        # French results say "temps officiel" for the gun time, "temps réel" for the chip time.
        gun_time="Temps officiel",
        chip_time="Temps réel",
        club="Club",
        total_time="Temps cumulé",
        members="Membres",
        laps="Tours",
        distance_m="Distance (m)",
        lap="Tour {n}",
        leg_bib="Dossard {leg}",
        leg_rank="Clt {leg}",
        results_state="Résultats",
    ),
    scratch="Scratch",
    by_category="Par catégorie",
    teams="Équipes",
    not_classified="Non classés",
    no_category="Sans catégorie",
    results="Résultats",
    provisional="Résultats provisoires",
    official="Résultats officiels (v{n})",
    live_results="Résultats en direct",
)
SHEET_WORDS = {words.language: words for words in (ENGLISH, FRENCH)}


def sheet_words(language: str | None) -> SheetWords:
    """The words of ``language`` (English when none is asked)."""
    return SHEET_WORDS.get(language or ENGLISH.language, ENGLISH)
