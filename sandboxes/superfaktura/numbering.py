"""Number series (SuperFaktura "sequences") and their masks.

A mask mixes literal text with placeholders whose letters depend on the UI language
(faq.md): year `YYYY`/`RRRR`/`JJJJ` (or two letters for the short year), counter `NNN`/`CCC`
(the run length is the zero padding), month `MM`, day `DD`. Counters restart per period
(`yearly`, `monthly`, `daily`; value-lists.md "Period types").
"""

from __future__ import annotations

import re
from datetime import date

_TOKEN = re.compile(r"(Y{2,4}|R{2,4}|J{2,4}|N+|C+|MM|DD)")


def period_key(period_type: str, on: date) -> str:
    if period_type == "daily":
        return on.isoformat()
    if period_type == "monthly":
        return on.strftime("%Y-%m")
    return str(on.year)


def format_number(mask: str, counter: int, on: date) -> str:
    def repl(match: re.Match) -> str:
        token = match.group(0)
        letter = token[0]
        if letter in "YRJ":
            return str(on.year) if len(token) >= 4 else on.strftime("%y")
        if letter in "NC":
            return str(counter).zfill(len(token))
        if token == "MM":
            return on.strftime("%m")
        return on.strftime("%d")

    return _TOKEN.sub(repl, mask)
