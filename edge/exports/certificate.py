"""Finisher certificates: one A4 page per finisher with the event, the time and the ranks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from edge.domain.clock import format_duration
from edge.exports.document import FONT, new_pdf, text
from edge.exports.tables import finishers
from edge.timing.model import EntrantResult

Rgb = tuple[int, int, int]


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

    def sex(self, code: str) -> str:
        """The ranking's name for a sex code."""
        return {"F": self.women, "M": self.men}.get(code, code)


WORDS = {
    "en": Words("Finisher certificate", "Time", "Overall", "Women", "Men", "Category", "of", "Bib"),
    "fr": Words(
        "Diplôme de finisher", "Temps", "Scratch", "Femmes", "Hommes", "Catégorie", "sur", "Dossard"
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


def certificates_of(
    results: Sequence[EntrantResult], event: str, date: dt.date, race: str, language: str = "en"
) -> list[Certificate]:
    """A certificate per ranked finisher, in rank order, with scratch, sex and category ranks."""
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
            )
        )
    return made


class CertificateBook:
    """A PDF being filled one certificate page at a time (so a job can report progress)."""

    def __init__(self, language: str = "en") -> None:
        self.words = WORDS.get(language, WORDS["en"])
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
        self._line(f"{words.bib} {cert.bib}" + (f" · {cert.club}" if cert.club else ""), 13)
        pdf.ln(6)
        self._line(f"{words.time} {cert.time}", 30, bold=True, color=(30, 125, 58))
        pdf.ln(4)
        for name, rank, total in cert.ranks:
            self._line(f"{name}: {rank} {words.of} {total}", 16)
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
