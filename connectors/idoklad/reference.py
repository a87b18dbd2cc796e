"""The agenda's reference data, kept by a connector for a while instead of read for every document.

A document needs the agenda (its home currency and country), the currencies, the VAT rates of
the agenda's country, the payment options and, for a new contact, the countries (facts file:
`GET /Account/CurrentAgenda`, `/Currencies`, `/VatRates`, `/PaymentOptions`, `/Countries`).
They change rarely: code lists with the law or iDoklad's releases (VAT rates carry their own
validity dates, so a rate announced ahead is already in the list), the agenda and its payment
options when the merchant edits the settings. The facts file documents no change feed or
caching headers for them, so they are kept for `TTL_SECONDS` and read again after that, or at
once when an answer proves them stale (the connector calls `forget`).

A `ReferenceData` belongs to one connector, and so to one integration (the web app keeps a
connector per integration: `webapp/services/connections/calls.ConnectorPool`); new credentials
build a new connector and with it an empty cache, so nothing is shared between agendas, shops or
credentials. Not included: the Default model of a new document, which carries the next number
of the series and is read for every document.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Long enough to spare a backlog almost every reference read (iDoklad meters requests per minute
# and per month), short enough that a payment option or bank detail the merchant changed is used
# within minutes. A choice of ours: the vendor documents no lifetime.
TTL_SECONDS = 15 * 60.0


class ReferenceData:
    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        # Whether anything was served from the cache since `watch()`: only then can a refusal
        # be blamed on stale reference data.
        self.served_cached = False

    def get(self, name: str, fetch: Callable[[], Any]) -> Any:
        """The value kept under `name`, or `fetch()`'s answer (kept from now on)."""
        kept = self._values.get(name)
        now = self.clock()
        if kept is not None and now - kept[0] < self.ttl:
            self.served_cached = True
            return kept[1]
        value = fetch()
        self._values[name] = (now, value)
        return value

    def put(self, name: str, value: Any) -> None:
        self._values[name] = (self.clock(), value)

    def watch(self) -> None:
        """Start noting whether the cache serves anything (before building a document)."""
        self.served_cached = False

    def forget(self) -> None:
        """Everything is read again on next use (an answer showed the data stale, or a check
        of the connection wants it fresh)."""
        self._values.clear()
        self.served_cached = False
