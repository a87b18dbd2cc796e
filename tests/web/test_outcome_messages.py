"""Results are codes with parameters; the view says them in the viewer's language (issue 7,
"First" point 3, for the connection services)."""

from html import unescape

from connectors import errors as codes
from connectors.errors import ConnectorError
from webapp.integrations import messages
from webapp.services.connections import activation

HTMX = {"HX-Request": "true"}


def test_an_outcome_holds_a_message_key_and_parameters_not_sentences(app):
    with app.test_request_context(headers={"Accept-Language": "pl"}):
        outcome = activation.outcome_from_error(
            "idoklad", ConnectorError(codes.INVALID_CREDENTIALS, detail="invalid_client")
        )
        carried = activation.outcome_to_dict(outcome)
    assert "title" not in carried and "hint" not in carried
    assert carried["message"] == "error" and carried["params"]["system_key"] == "idoklad"
    # Field messages are message ids, translated only when shown.
    assert carried["fields"]["client_id"] == [
        "%(system)s did not accept the credentials: copy this value again from %(system)s."
    ]


def test_the_same_outcome_reads_in_each_viewers_language(app):
    outcome = activation.Outcome(
        ok=True, message="connected", params={"name": "Demo s.r.o.", "system_key": "superfaktura"}
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert messages.describe(outcome).title == "Connected as Demo s.r.o."
    with app.test_request_context(headers={"Accept-Language": "pl"}):
        assert messages.describe(outcome).title == "Połączono jako Demo s.r.o."


def test_a_result_carried_across_a_redirect_is_said_in_the_language_of_the_page_that_shows_it(app, owner_client):
    outcome = activation.Outcome(
        ok=False, message="oauth_link_used", code=codes.CONSENT_DENIED, params={"system_key": "fakturoid"}
    )
    with owner_client.session_transaction() as session:
        session["integration_outcome"] = activation.outcome_to_dict(outcome)
    owner_client.post("/language", data={"lang": "pl", "next": "/settings/accounting/fakturoid"})
    html = unescape(owner_client.get("/settings/accounting/fakturoid").get_data(as_text=True))
    with app.test_request_context(headers={"Accept-Language": "pl"}):
        expected = messages.describe(outcome).title
    assert expected != "This sign-in link was already used or has expired" and expected in html


def test_vendor_text_in_a_field_message_is_shown_as_text_never_as_markup(app):
    outcome = activation.Outcome(ok=False, code=codes.VALIDATION, fields={"name": ["<b>bad</b> 50%"]})
    with app.test_request_context():
        assert messages.describe(outcome).fields == {"name": ["<b>bad</b> 50%"]}
        from flask import render_template_string

        html = render_template_string(
            '{% from "integrations/_macros.html" import outcome_box with context %}{{ outcome_box(outcome) }}',
            outcome=outcome,
        )
    assert "<b>bad</b>" not in html and "&lt;b&gt;bad&lt;/b&gt; 50%" in html
