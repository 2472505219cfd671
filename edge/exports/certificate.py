"""Finisher certificates: one A4 page per finisher with the event, the time and the ranks.

A lap race's certificate adds the laps, a timed race's the laps and the distance run.
A relay gets one certificate per team, as timing companies hand them out: the ranking
is the team's, so its page names the team, its rank and total time, and each runner
with the leg they ran, its time and its rank among that leg.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from edge.domain.clock import format_duration
from edge.exports.document import FONT, new_pdf, text
from edge.exports.tables import finishers
from edge.timing.model import EntrantResult, LegResult, RaceFormat, RaceSpec, RelayResult, Status

Rgb = tuple[int, int, int]
MEMBERS_AT_FULL_SIZE = 6


@dataclass(frozen=True)
class Words:
    """A certificate's words in one language."""

    title: str
    time: str
    overall: str
    women: str
    men: str
    category: str
    of: str
    bib: str
    laps: str
    distance: str
    decimal: str  # the decimal mark of a distance in km

    def sex(self, code: str) -> str:
        """The ranking's name for a sex code."""
        return {"F": self.women, "M": self.men}.get(code, code)

    def km(self, metres: int) -> str:
        """A distance in km, two decimals: "52.50 km", "52,50 km"."""
        return f"{metres / 1000:.2f}".replace(".", self.decimal) + " km"


WORDS = {
    "en": Words(
        title="Finisher certificate",
        time="Time",
        overall="Overall",
        women="Women",
        men="Men",
        category="Category",
        of="of",
        bib="Bib",
        laps="Laps",
        distance="Distance",
        decimal=".",
    ),
    "fr": Words(
        title="Diplôme de finisher",
        time="Temps",
        overall="Scratch",
        women="Femmes",
        men="Hommes",
        category="Catégorie",
        of="sur",
        bib="Dossard",
        laps="Tours",
        distance="Distance",
        decimal=",",
    ),
}


@dataclass(frozen=True)
class Certificate:
    """What one finisher's certificate says."""

    event: str
    date: dt.date
    race: str
    bib: str
    name: str
    club: str
    time: str
    ranks: tuple[tuple[str, int, int], ...]  # (label, rank, out of)
    details: tuple[str, ...] = ()  # under the time: laps, distance
    members: tuple[str, ...] = ()  # a relay team's runners, one line per leg


def certificates_of(
    results: Sequence[EntrantResult],
    event: str,
    date: dt.date,
    race: str,
    language: str = "en",
    *,
    spec: RaceSpec | None = None,
) -> list[Certificate]:
    """A certificate per ranked finisher, in rank order, with scratch, sex and category ranks.

    ``spec`` gives the race's format: a lap race adds the laps, a timed race the laps
    and the distance (when the race has a lap distance).
    """
    words = WORDS.get(language, WORDS["en"])
    done = finishers(results)
    per_sex = Counter(r.entrant.sex for r in done)
    per_category = Counter(r.category for r in done)
    made = []
    for result in done:
        entrant = result.entrant
        ranks = [(words.overall, result.rank or 0, len(done))]
        if entrant.sex and result.sex_rank:
            ranks.append((words.sex(entrant.sex), result.sex_rank, per_sex[entrant.sex]))
        if result.category and result.category_rank:
            ranks.append(
                (
                    f"{words.category} {result.category}",
                    result.category_rank,
                    per_category[result.category],
                )
            )
        made.append(
            Certificate(
                event=event,
                date=date,
                race=race,
                bib=entrant.bib,
                name=f"{entrant.first_name} {entrant.last_name}".strip(),
                club=entrant.club,
                time=format_duration(result.ranking_time_us or 0),
                ranks=tuple(ranks),
                details=_lap_details(result, spec, words),
            )
        )
    return made


def _lap_details(result: EntrantResult, spec: RaceSpec | None, words: Words) -> tuple[str, ...]:
    """The lines under the time: Laps: 12 (lap race); Laps: 42 · Distance: 52.50 km (timed)."""
    if spec is None or spec.format not in (RaceFormat.LAPS, RaceFormat.TIMED):
        return ()
    said = f"{words.laps}: {result.laps or 0}"
    if spec.format is RaceFormat.TIMED and spec.lap_distance_m is not None:
        said += f" · {words.distance}: {words.km((result.laps or 0) * spec.lap_distance_m)}"
    return (said,)


def relay_certificates(
    teams: Sequence[RelayResult], event: str, date: dt.date, race: str, language: str = "en"
) -> list[Certificate]:
    """A certificate per ranked relay team, in rank order: its runners leg by leg."""
    words = WORDS.get(language, WORDS["en"])
    done = [t for t in teams if t.status is Status.FIN and t.rank is not None]
    done.sort(key=lambda t: (t.rank or 0, t.team))
    ran = Counter(leg.leg for t in teams for leg in t.legs if leg.time_us is not None)
    return [
        Certificate(
            event=event,
            date=date,
            race=race,
            bib="",
            name=team.team,
            club="",
            time=format_duration(team.total_us or 0),
            ranks=((words.overall, team.rank or 0, len(done)),),
            members=tuple(_leg_line(leg, ran[leg.leg], words) for leg in team.legs),
        )
        for team in done
    ]


def _leg_line(leg: LegResult, ran: int, words: Words) -> str:
    """A leg's line, e.g. L1 · Bib 301 Léa Rapide · 0:12:00.0 (1 of 8 teams that ran it)."""
    runner = leg.entrant
    who = f"{words.bib} {runner.bib} {runner.first_name} {runner.last_name}" if runner else ""
    time = format_duration(leg.time_us) if leg.time_us is not None else ""
    rank = f" ({leg.rank} {words.of} {ran})" if leg.rank is not None else ""
    return " · ".join(part for part in (leg.leg, who.strip(), time + rank) if part)


class CertificateBook:
    """A PDF being filled one certificate page at a time (so a job can report progress)."""

    def __init__(self, language: str = "en", *, results: str = "") -> None:
        self.words = WORDS.get(language, WORDS["en"])
        self.results = results  # "Provisional results", "Official results (v1)": on every page
        self.pdf: FPDF = new_pdf("landscape")
        self.pages = 0

    def add(self, cert: Certificate) -> None:
        """Add one finisher's page."""
        pdf, words = self.pdf, self.words
        pdf.add_page()
        pdf.set_draw_color(18, 50, 74)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
        pdf.set_y(24)
        self._line(f"{cert.event} · {cert.date.isoformat()}", 18, bold=True)
        self._line(cert.race, 14)
        pdf.ln(6)
        self._line(words.title, 26, bold=True, color=(18, 50, 74))
        pdf.ln(6)
        self._line(cert.name, 34, bold=True)
        who = [f"{words.bib} {cert.bib}" if cert.bib else "", cert.club]
        if any(who):
            self._line(" · ".join(part for part in who if part), 13)
        # A relay of many legs still fits its page: smaller lines past six runners.
        for member in cert.members:
            self._line(member, 12 if len(cert.members) <= MEMBERS_AT_FULL_SIZE else 9)
        pdf.ln(6)
        self._line(f"{words.time} {cert.time}", 30, bold=True, color=(30, 125, 58))
        for detail in cert.details:
            self._line(detail, 18, bold=True)
        pdf.ln(4)
        for name, rank, total in cert.ranks:
            self._line(f"{name}: {rank} {words.of} {total}", 16)
        if self.results:
            pdf.ln(4)
            self._line(self.results, 11, color=(90, 90, 90))
        self.pages += 1

    def _line(self, value: str, size: float, *, bold: bool = False, color: Rgb = (0, 0, 0)) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.set_text_color(*color)
        self.pdf.cell(
            0, size * 0.55, text(self.pdf, value), align="C", new_x="LMARGIN", new_y="NEXT"
        )

    def to_bytes(self) -> bytes:
        """The finished PDF (a page saying there is no finisher yet when empty)."""
        if self.pages == 0:
            self.pdf.add_page()
            self._line("-", 20)
        return bytes(self.pdf.output())
