"""Secrets with awkward characters never reach an integration-log row, in any encoding: a real
activation against each sandbox, then every stored row searched."""

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from webapp.extensions import db
from webapp.models import ApiCall

HTMX = {"HX-Request": "true"}
AWKWARD = ['ab"c\\d\te-12345', "sl/ash+plus&amp=eq", "<tag>'quote'&1234", "żółć-€-密钥-🔑-secret"]


def _forms(secret):
    raw = secret.encode()
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        base64.b64encode(raw).decode().rstrip("="),
    }


def _rows_text(app):
    with app.app_context():
        rows = db.session.scalars(db.select(ApiCall)).all()
        assert rows, "the activation was logged"
        return [
            json.dumps(
                [r.url, r.request_headers, r.request_body, r.response_headers, r.response_body], ensure_ascii=False
            )
            + r.url
            + r.request_body
            + r.response_body
            for r in rows
        ]


@pytest.mark.parametrize("secret", AWKWARD)
def test_an_idoklad_client_secret_with_awkward_characters_is_in_no_log_row(app, owner_client, sandbox, secret):
    creds = dict(sandbox("idoklad").account("valid")["credentials"])
    creds["client_secret"] = secret
    owner_client.post("/settings/accounting/idoklad/activate", data=creds, headers=HTMX)
    for text in _rows_text(app):
        assert not [f for f in _forms(secret) if f in text]


@pytest.mark.parametrize("secret", [s for s in AWKWARD if s.isascii()])
def test_a_fakturoid_client_secret_with_awkward_characters_is_in_no_log_row(app, owner_client, sandbox, secret):
    creds = dict(sandbox("fakturoid").account("valid")["credentials"])
    creds["client_secret"] = secret.replace("\t", "-").replace(" ", "-")
    owner_client.post("/settings/accounting/fakturoid/activate", data=creds, headers=HTMX)
    for text in _rows_text(app):
        assert not [f for f in _forms(creds["client_secret"]) if f in text]
