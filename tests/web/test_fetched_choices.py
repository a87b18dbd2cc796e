"""Selects whose values come from the accounting system (number series, bank accounts) accept only
a value the system listed: a foreign value is refused on its field at activation, instead of
failing every document later (issue 9, point 6)."""

import pytest

from connectors import fields as schema_fields
from connectors import registry
from webapp.extensions import db
from webapp.models import Integration
from webapp.services.connections import activation

HTMX = {"HX-Request": "true"}


def _credentials(sandbox, system):
    return {k: str(v) for k, v in sandbox(system).account("valid")["credentials"].items()}


def _fetched_fields(system):
    return [f for f in registry.get(system).schema if f.choices_from]


@pytest.mark.parametrize(
    "system", [cls.key for cls in registry.all_connectors() if any(f.choices_from for f in cls.schema)]
)
def test_every_fetched_select_refuses_a_value_the_system_did_not_list(app, owner_client, sandbox, system):
    shop_id = owner_client.user.shop_id
    for field in _fetched_fields(system):
        with app.app_context():
            integration, outcome = activation.activate(
                shop_id, system, {**_credentials(sandbox, system), field.key: "abc"}
            )
            assert not outcome.ok and outcome.code == "validation", (field.key, outcome.code, outcome.detail)
            assert outcome.fields[field.key] == ["Pick one of the offered values."]
            assert integration.status != "active" and not integration.busy_until  # the lock is released


@pytest.mark.parametrize("system", ["superfaktura", "idoklad"])
def test_a_listed_value_is_accepted_and_stored(app, owner_client, sandbox, system):
    shop_id = owner_client.user.shop_id
    with app.app_context():
        integration, outcome = activation.activate(shop_id, system, _credentials(sandbox, system))
        assert outcome.ok
        field = _fetched_fields(system)[0]
        listed = integration.choices[field.choices_from]
        assert listed, f"the sandbox lists no {field.choices_from}"
        integration, outcome = activation.activate(
            shop_id, system, {**_credentials(sandbox, system), field.key: listed[-1][0]}
        )
        assert outcome.ok, outcome.fields
        assert str(integration.config[field.key]) == str(listed[-1][0])


def test_superfaktura_bank_account_abc_is_refused_on_its_field(app, owner_client, sandbox):
    owner_client.post(
        "/settings/accounting/superfaktura/activate", data=_credentials(sandbox, "superfaktura"), headers=HTMX
    )
    response = owner_client.post(
        "/settings/accounting/superfaktura/activate",
        data={**_credentials(sandbox, "superfaktura"), "bank_account_id": "abc"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert 'id="bank_account_id-error"' in html and "Pick one of the offered values." in html
    with app.app_context():
        row = db.session.scalar(db.select(Integration).where(Integration.shop_id == owner_client.user.shop_id))
        # the working connection stays as it was: no document is ever issued with "abc"
        assert row.status == "active" and (row.config or {}).get("bank_account_id") in (None, "")


def test_idoklad_series_of_another_agenda_is_refused(app, owner_client, sandbox):
    response = owner_client.post(
        "/settings/accounting/idoklad/activate",
        data={**_credentials(sandbox, "idoklad"), "invoice_series": "999999"},
        headers=HTMX,
    )
    html = response.get_data(as_text=True)
    assert 'id="invoice_series-error"' in html and "Pick one of the offered values." in html


def test_a_list_that_could_not_be_loaded_confirms_no_value():
    field = schema_fields.Field("series", "Series", kind=schema_fields.SELECT, choices_from="number_series:invoice")
    errors = schema_fields.check_fetched_choices([field], {"series": "7"}, {"number_series:invoice": {"error": "x"}})
    assert "could not be loaded" in errors.errors["series"][0]
    assert not schema_fields.check_fetched_choices([field], {"series": ""}, {})
    assert not schema_fields.check_fetched_choices([field], {"series": "7"}, {"number_series:invoice": [["7", "A"]]})
    assert schema_fields.check_fetched_choices([field], {"series": "8"}, {"number_series:invoice": [["7", "A"]]})
