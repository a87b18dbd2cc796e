"""Invoice numbers. `number: null` (or missing) numbers the invoice automatically; an explicit
`number` is taken as sent and does not move the counter.

The numbering follows the account per document kind and year of the issue date, or, for a
department with `use_pattern` (independent numbering, documented for the sister product
VosFactures), that department's own counter and `invoice_pattern`. No invoice field picks a
named series (facts file, RESOLVED point 5).

UNCONFIRMED: the exact default number format. The README's example number is "13/2012", so a VAT
invoice is "{n}/{yyyy}"; other kinds get a prefix so that kinds never share a number. The pattern
placeholders {n}, {yyyy}, {mm} are the sandbox's own.
"""

from __future__ import annotations

from datetime import date

PREFIXES = {
    "vat": "",
    "proforma": "PRO ",
    "correction": "KOR ",
    "advance": "ZAL ",
    "final": "KON ",
    "receipt": "PAR ",
    "bill": "R ",
    "estimate": "ZAM ",
    "vat_margin": "MAR ",
}


def counter_key(account_id: str, department: dict | None, kind: str, issued: date) -> tuple:
    scope = department["id"] if department and department.get("use_pattern") else "account"
    return account_id, scope, kind, issued.year


def format_number(department: dict | None, kind: str, counter: int, issued: date) -> str:
    if department and department.get("use_pattern") and department.get("invoice_pattern"):
        pattern = department["invoice_pattern"]
        if kind != "vat":
            pattern = PREFIXES.get(kind, kind.upper() + " ") + pattern
    else:
        pattern = PREFIXES.get(kind, kind.upper() + " ") + "{n}/{yyyy}"
    return (
        pattern.replace("{n}", str(counter)).replace("{yyyy}", str(issued.year)).replace("{mm}", f"{issued.month:02d}")
    )
