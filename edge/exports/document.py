"""Result sheets as a printable PDF (fpdf2): a titled table per section, headers on every page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from edge.exports.tables import Table, label
from edge.timing.export import Cell

FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
_REGULAR = FONT_FOLDER / "DejaVuSans.ttf"
_BOLD = FONT_FOLDER / "DejaVuSans-Bold.ttf"
# DejaVu prints every name (Debian: fonts-dejavu-core); the core Helvetica only Latin-1.
FONT = "dejavu" if _REGULAR.exists() and _BOLD.exists() else "helvetica"
# Columns printed for a results table (the CSV and workbook keep them all).
_PRINTED = ("rank", "bib", "name", "club", "category", "category_rank", "sex_rank")
_TIMES = ("gun_time", "chip_time")
_WIDTHS = {"rank": 10, "bib": 12, "name": 52, "club": 45, "category": 18, "category_rank": 14,
           "sex_rank": 14, "status": 14, "team": 50, "total_time": 22, "members": 180}  # fmt: skip


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


def pdf_bytes(tables: Sequence[Table], heading: str, subheading: str) -> bytes:
    """A landscape A4 PDF: heading, then each table under its title."""
    pdf = new_pdf("landscape")
    pdf.set_title(heading)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, text(pdf, heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, text(pdf, subheading), new_x="LMARGIN", new_y="NEXT")
    for table in tables:
        pdf.ln(3)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, text(pdf, f"{table.title} ({len(table.rows)})"), new_x="LMARGIN",
                 new_y="NEXT")  # fmt: skip
        columns = _printed_columns(table)
        widths = [_WIDTHS.get(c, 20) for c in columns]
        pdf.set_font(FONT, "", 8)
        with pdf.table(
            col_widths=widths,
            width=min(sum(widths), pdf.epw),
            text_align="LEFT",
            align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(225, 230, 236)),
            line_height=4.6,
            first_row_as_headings=True,
        ) as grid:
            grid.row([text(pdf, label(c)) for c in columns])
            for row in table.rows:
                grid.row([text(pdf, _cell(row, c)) for c in columns])
    return bytes(pdf.output())
