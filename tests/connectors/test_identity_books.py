"""Every connector says where the connected account keeps its books (country and home currency),
so the app can warn when the shop sells in another currency or market."""

import pytest

from connectors import registry
from connectors.base import AppIdentity, ConnectionSettings, MemoryTokenCache, resolve_endpoints
from connectors.http import Transport
from webapp.config import SANDBOX_REGISTRATIONS

EXPECTED = {
    "superfaktura": ("SK", "EUR"),
    "fakturoid": ("CZ", "CZK"),
    "idoklad": ("CZ", "CZK"),
    "fakturownia": ("PL", "PLN"),
}


@pytest.mark.parametrize("key", [c.key for c in registry.all_connectors()])
def test_verify_reports_the_books_country_and_currency(sandbox, key):
    sb = sandbox(key)
    cls = registry.get(key)
    config = dict(sb.account("valid")["credentials"])
    secrets = {f.key: str(config.pop(f.key)) for f in cls.schema if f.secret and f.key in config}
    connector = cls(
        ConnectionSettings(
            config=config,
            secrets=secrets,
            endpoints=resolve_endpoints(cls, config, {f"{key.upper()}_API_URL": sb.url}),
            transport=Transport(user_agent=AppIdentity().user_agent),
            token_cache=MemoryTokenCache(),
            app=AppIdentity(registrations=dict(SANDBOX_REGISTRATIONS)),
        )
    )
    identity = connector.verify()
    if key in EXPECTED:
        assert (identity.country, identity.currency) == EXPECTED[key]
    else:  # a newer system: its books are in one of the markets it is offered in
        assert identity.country in cls.markets and len(identity.currency) == 3 and identity.currency.isupper()
