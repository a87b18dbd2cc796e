"""Document numbers from Fakturoid number formats such as "#yyyy#-#dddd#" (number-formats page).

Placeholders we support: `#yyyy#` (year), `#yy#` (two-digit year), `#mm#` (month) and `#d…d#`
(the counter, zero-padded to the count of d's). The counter runs per format and per year; an
explicit `number` on create must match the format and must be unused.
UNCONFIRMED: that the counter restarts each year (the usual setting in Fakturoid).
"""

from __future__ import annotations

import re
from datetime import date

_TOKEN = re.compile(r"#(yyyy|yy|mm|d+)#")


def render(fmt: str, issued_on: date, counter: int) -> str:
    def token(match: re.Match) -> str:
        name = match.group(1)
        if name == "yyyy":
            return f"{issued_on.year:04d}"
        if name == "yy":
            return f"{issued_on.year % 100:02d}"
        if name == "mm":
            return f"{issued_on.month:02d}"
        return f"{counter:0{len(name)}d}"

    return _TOKEN.sub(token, fmt)


def pattern(fmt: str) -> re.Pattern:
    """A regex matching numbers of this format; group "counter" is the counter."""
    parts, pos = [], 0
    for match in _TOKEN.finditer(fmt):
        parts.append(re.escape(fmt[pos : match.start()]))
        name = match.group(1)
        if name == "yyyy":
            parts.append(r"(?P<year>\d{4})")
        elif name == "yy" or name == "mm":
            parts.append(r"\d{2}")
        else:
            parts.append(rf"(?P<counter>\d{{{len(name)},}})")
        pos = match.end()
    parts.append(re.escape(fmt[pos:]))
    return re.compile("".join(parts))


def counter_of(fmt: str, number: str) -> int | None:
    match = pattern(fmt).fullmatch(number or "")
    return int(match.group("counter")) if match else None


def next_number(fmt: str, issued_on: date, used_numbers: list[str]) -> str:
    """The next free number in this format for the year of `issued_on`."""
    highest = 0
    for number in used_numbers:
        counter = counter_of(fmt, number)
        if counter is not None and render(fmt, issued_on, counter) == number:
            highest = max(highest, counter)
    return render(fmt, issued_on, highest + 1)
