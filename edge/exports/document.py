"""Result sheets as a printable PDF (fpdf2): a titled table per section, headers on every page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from edge.exports.tables import Table
from edge.exports.words import ENGLISH, SheetWords
from edge.timing.export import Cell

FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
_REGULAR = FONT_FOLDER / "DejaVuSans.ttf"
_BOLD = FONT_FOLDER / "DejaVuSans-Bold.ttf"
# DejaVu prints every name (Debian: fonts-dejavu-core); the core Helvetica only Latin-1.
FONT = "dejavu" if _REGULAR.exists() and _BOLD.exists() else "helvetica"
# Columns printed for a results table (the CSV and workbook keep them all).
_PRINTED = ("rank", "bib", "name", "club", "category", "category_rank", "sex_rank")
_TIMES = ("gun_time", "chip_time")
ROW_MM = 4.6
_WIDTHS = {
    "rank": 10,
    "bib": 12,
    "name": 60,
    "club": 50,
    "category": 18,
    "category_rank": 17,
    "sex_rank": 17,
    "status": 14,
    "team": 50,
    "total_time": 22,
    "members": 180,
}


def new_pdf(orientation: str = "landscape") -> FPDF:
    """An A4 document whose font ``FONT`` is DejaVu, or Helvetica where DejaVu is missing."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    if FONT == "dejavu":
        pdf.add_font(FONT, "", str(_REGULAR))
        pdf.add_font(FONT, "B", str(_BOLD))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_font(FONT, size=10)
    return pdf


def text(pdf: FPDF, value: str) -> str:
    """``value`` as the font can print it (core fonts lack characters beyond Latin-1)."""
    if pdf.is_ttf_font:
        return value
    return value.encode("latin-1", "replace").decode("latin-1")


def _printed_columns(table: Table) -> list[str]:
    if "members" in table.columns:
        return list(table.columns)
    splits = [c for c in table.columns if c.startswith("split_")]
    classified = any(r.get("rank") is not None for r in table.rows)
    tail = list(_TIMES) if classified or not table.rows else ["status"]
    return [*_PRINTED, *splits, *tail]


def _cell(row: dict[str, Cell], column: str) -> str:
    if column == "name":
        return f"{(row.get('last_name') or '')!s} {(row.get('first_name') or '')!s}".strip()
    value = row.get(column)
    return "" if value is None else str(value)


def _fit(pdf: FPDF, value: str, width: float) -> str:
    """``value`` cut (with an ellipsis) to fit ``width`` mm at the current font."""
    value = text(pdf, value)
    if pdf.get_string_width(value) <= width - 1.5:
        return value
    while value and pdf.get_string_width(value + "…") > width - 1.5:
        value = value[:-1]
    return text(pdf, value + "…")


def _grid(
    pdf: FPDF, columns: Sequence[str], rows: Sequence[dict[str, Cell]], words: SheetWords
) -> None:
    # One line per row with plain cells: fpdf2's table() measures and wraps every
    # cell and takes ~50 s for 5,000 finishers; this takes a few seconds.
    # A column is at least as wide as its heading: "Temps officiel" is longer than "Gun time".
    pdf.set_font(FONT, "B", 8)
    headings = [text(pdf, words.heading(c)) for c in columns]
    widths: list[float] = [
        max(_WIDTHS.get(c, 20), pdf.get_string_width(h) + 2)
        for c, h in zip(columns, headings, strict=True)
    ]
    scale = min(1.0, pdf.epw / sum(widths))
    widths = [w * scale for w in widths]

    def heading() -> None:
        pdf.set_font(FONT, "B", 8)
        pdf.set_fill_color(225, 230, 236)
        for column, width in zip(columns, widths, strict=True):
            pdf.cell(width, ROW_MM, _fit(pdf, words.heading(column), width), border=1, fill=True)
        pdf.ln()
        pdf.set_font(FONT, "", 8)
        pdf.set_fill_color(244, 246, 248)

    heading()
    for index, row in enumerate(rows):
        if pdf.get_y() + ROW_MM > pdf.page_break_trigger:
            pdf.add_page()
            heading()
        for column, width in zip(columns, widths, strict=True):
            value = _fit(pdf, _cell(row, column), width)
            pdf.cell(width, ROW_MM, value, border=1, fill=index % 2 == 1)
        pdf.ln()


def pdf_bytes(
    tables: Sequence[Table],
    heading: str,
    subheading: str,
    words: SheetWords = ENGLISH,
    live_url: str | None = None,
) -> bytes:
    """A landscape A4 PDF: heading, then each table under its title, headed in ``words``.

    ``live_url``: the event's live results page, printed as a QR code beside the heading
    (a sheet pinned up at the finish sends spectators to the runners' pages).
    """
    pdf = new_pdf("landscape")
    pdf.set_title(heading)
    pdf.set_lang(words.language)
    pdf.add_page()
    if live_url:
        from edge.exports.qr import draw_qr

        draw_qr(pdf, live_url, text(pdf, words.live_results))
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, text(pdf, heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, text(pdf, subheading), new_x="LMARGIN", new_y="NEXT")
    for table in tables:
        pdf.ln(3)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(
            0, 7, text(pdf, f"{table.title} ({len(table.rows)})"), new_x="LMARGIN", new_y="NEXT"
        )
        _grid(pdf, _printed_columns(table), table.rows, words)
    return bytes(pdf.output())
