"""A QR code of the event's live results page: on printed sheets and on the speaker screen.

segno is pure Python; fpdf is imported only for type checking here, so the web process can
draw the screen's code without loading the PDF library.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:
    from fpdf import FPDF

QR_MM = 24.0
"""Printed side of the code: phones read it from an arm's length on a notice board."""


def qr_png(url: str) -> bytes:
    """``url`` as a QR code, a PNG image (medium error correction: a sheet gets folded)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """``url`` as a QR code, an inline ``<svg>`` sized by its container (dark on white)."""
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_inline(scale=1, border=2, dark="#0b1a26", light="#ffffff", omitsize=True))


def draw_qr(pdf: FPDF, url: str, caption: str) -> None:
    """The code of ``url`` in the top right corner of the current page, ``caption`` under it."""
    x = pdf.w - pdf.r_margin - QR_MM
    y = pdf.t_margin
    pdf.image(io.BytesIO(qr_png(url)), x=x, y=y, w=QR_MM, h=QR_MM, link=url)
    size = pdf.font_size_pt
    pdf.set_font_size(7)
    pdf.set_xy(x - 6, y + QR_MM)
    pdf.cell(QR_MM + 12, 3.5, caption, align="C")
    pdf.set_font_size(size)
    pdf.set_xy(pdf.l_margin, y)
