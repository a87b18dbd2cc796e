"""A real, readable PDF of a sandbox document (fpdf2), so PDF download and viewing are tested
with actual PDF bytes. Core fonts are Latin-1 only, so diacritics are folded for the sandbox."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from fpdf import FPDF


def _latin(text: str) -> str:
    text = str(text)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        folded = unicodedata.normalize("NFKD", text)
        return "".join(c for c in folded if not unicodedata.combining(c)).encode("latin-1", "replace").decode("latin-1")


def render(
    title: str,
    number: str,
    seller: str,
    buyer: str,
    dates: Iterable[tuple[str, str]],
    lines: Iterable[tuple[str, str, str, str, str]],
    totals: Iterable[tuple[str, str]],
    watermark: str = "SANDBOX",
) -> bytes:
    """lines: (name, quantity, unit price, VAT %, line total); totals: (label, amount)."""
    pdf = FPDF()
    pdf.set_title(_latin(f"{title} {number}"))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(0, 10, _latin(f"{title} {number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    pdf.cell(0, 6, _latin(watermark), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin(f"Seller: {seller}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin(f"Buyer: {buyer}"), new_x="LMARGIN", new_y="NEXT")
    for label, value in dates:
        pdf.cell(0, 6, _latin(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 10)
    for text, width in (("Item", 80), ("Qty", 20), ("Unit price", 30), ("VAT %", 20), ("Total", 30)):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    pdf.set_font("helvetica", "", 10)
    for name, qty, price, vat, total in lines:
        for text, width in ((name, 80), (qty, 20), (price, 30), (vat, 20), (total, 30)):
            pdf.cell(width, 7, _latin(text)[:45], border=1)
        pdf.ln()
    pdf.ln(4)
    for label, amount in totals:
        pdf.cell(0, 6, _latin(f"{label}: {amount}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
