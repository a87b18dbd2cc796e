"""Payments from Fakturoid: the settings page tells the merchant the webhook address, the steps in
Fakturoid, the key's state and the last delivery; the owner creates a random key that is shown
once and stored only as its hash; a new key replaces the old one after a confirmation; the
webhook refuses deliveries without the current key and queues nothing twice for one
Idempotency-Key; staff, other shops and read-only support sessions cannot create keys, and the
key appears nowhere but in the one-time reveal."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta
from html import unescape

import pytest

from webapp.extensions import db
from webapp.models import AuditEvent, Integration, WebhookDelivery
from webapp.services.documents import payment_webhooks
from webapp.services.observability import support_console

from .conftest import login
from .test_import import connect

PAGE = "/settings/accounting/fakturoid"
KEY_URL = "/settings/accounting/fakturoid/payments-key"
PAYLOAD = {"event_name": "invoice_paid", "body": {"id": 123}}


@pytest.fixture
def fakturoid(app, owner_client, sandbox):
    """The owner's shop connected to Fakturoid; yields the integration id."""
    return connect(app, sandbox, owner_client.user.shop_id, "fakturoid")


@pytest.fixture
def queued(monkeypatch):
    """The payment checks the webhook queues for the worker, recorded instead of run."""
    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        "webapp.tasks.payment_from_system", lambda integration_id, remote_id: calls.append((integration_id, remote_id))
    )
    return calls


def _create_key(client) -> str:
    """Create a key as the owner does (confirming a replacement) and read it off the reveal."""
    response = client.post(KEY_URL, data={"confirm": "yes"})
    assert response.status_code == 303 and response.location.endswith(f"{PAGE}#new-webhook-key")
    html = client.get(PAGE).get_data(as_text=True)
    match = re.search(r'id="new-webhook-key-value"[^>]*>([^<]+)</textarea>', html)
    assert match, "the new key is not shown"
    return match.group(1)


def _deliver(client, integration_id, key, idempotency_key=None, payload=PAYLOAD):
    headers = {"Authorization": key} if key is not None else {}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post(f"/webhooks/fakturoid/{integration_id}", json=payload, headers=headers)


def _integration(app, integration_id) -> Integration:
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        db.session.expunge(integration)
        return integration


def test_fakturoid_page_shows_the_address_the_steps_and_that_there_is_no_key_yet(app, owner_client, fakturoid):
    html = owner_client.get(PAGE).get_data(as_text=True)
    assert "Payments from Fakturoid" in html
    assert f">http://127.0.0.1:5000/webhooks/fakturoid/{fakturoid}</textarea>" in html  # absolute, from PUBLIC_URL
    assert "<code>invoice_paid</code>" in html and "<code>invoice_payment_added</code>" in html
    assert "Základ, Komplet" in html
    assert "No key yet" in html and "None yet" in html
    assert ">Create the key</button>" in html and 'id="new-webhook-key"' not in html


def test_connecting_fakturoid_brings_the_section_along_without_a_reload(app, owner_client, sandbox):
    credentials = {k: str(v) for k, v in sandbox("fakturoid").account("valid")["credentials"].items()}
    response = owner_client.post(f"{PAGE}/activate", data=credentials, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<!doctype html>" not in html.lower()  # the partial
    assert '<div id="payments-slot" hx-swap-oob="true">' in html and "Payments from Fakturoid" in html


def test_systems_without_payment_webhooks_have_no_section_and_no_key(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    assert "Payments from" not in owner_client.get("/settings/accounting/superfaktura").get_data(as_text=True)
    assert owner_client.post("/settings/accounting/superfaktura/payments-key").status_code == 404
    assert owner_client.get("/settings/accounting/superfaktura/payments-key").status_code == 404


def test_a_key_cannot_be_created_before_fakturoid_is_connected(app, owner_client):
    assert "Payments from" not in owner_client.get(PAGE).get_data(as_text=True)
    assert owner_client.post(KEY_URL).status_code == 404


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(app, owner_client, fakturoid):
    response = owner_client.post(KEY_URL)
    assert response.status_code == 303
    cookie = response.headers.get("Set-Cookie", "")
    html = owner_client.get(PAGE).get_data(as_text=True)
    key = re.search(r'id="new-webhook-key-value"[^>]*>([^<]+)</textarea>', html).group(1)
    assert len(key) >= 40 and "shown only once" in html
    assert key not in cookie  # it travelled to the page sealed, not readable in the cookie
    integration = _integration(app, fakturoid)
    assert integration.webhook_key_hash == hashlib.sha256(key.encode()).hexdigest()
    again = owner_client.get(PAGE).get_data(as_text=True)
    assert key not in again and 'id="new-webhook-key"' not in again
    assert "Created on" in again and "Create a new key" in again


def test_a_delivery_with_the_key_is_accepted_and_its_time_shown(app, owner_client, fakturoid, queued):
    key = _create_key(owner_client)
    assert _deliver(owner_client, fakturoid, key, "delivery-1").status_code == 202
    assert queued == [(fakturoid, "123")]
    assert _deliver(owner_client, fakturoid, f"Bearer {key}", "delivery-2").status_code == 202
    assert _integration(app, fakturoid).webhook_received_at is not None
    html = owner_client.get(PAGE).get_data(as_text=True)
    assert "Received" in html and "None yet" not in html


def test_without_a_key_every_delivery_is_refused_even_with_the_old_derived_secret(app, owner_client, fakturoid, queued):
    derived = hmac.new(
        str(app.config["SECRET_KEY"]).encode(), f"fakturoid-webhook:{fakturoid}".encode(), hashlib.sha256
    ).hexdigest()
    for value in (derived, "", None, "Bearer "):
        assert _deliver(owner_client, fakturoid, value, "d").status_code == 401
    assert queued == [] and _integration(app, fakturoid).webhook_received_at is None


def test_a_wrong_key_or_another_system_is_refused(app, owner_client, fakturoid, queued):
    key = _create_key(owner_client)
    assert _deliver(owner_client, fakturoid, key + "x").status_code == 401
    assert _deliver(owner_client, fakturoid, "x" * 5000).status_code == 401
    assert _deliver(owner_client, 999999, key).status_code == 401
    assert queued == [] and _integration(app, fakturoid).webhook_received_at is None


def test_replacing_the_key_asks_first_then_refuses_the_old_one(app, owner_client, fakturoid, queued):
    old = _create_key(owner_client)
    assert _deliver(owner_client, fakturoid, old, "before").status_code == 202
    old_hash = _integration(app, fakturoid).webhook_key_hash
    # One tap does not replace it: the second step says what will happen.
    response = owner_client.post(KEY_URL)
    assert response.status_code == 303 and response.location.endswith(KEY_URL)
    assert _integration(app, fakturoid).webhook_key_hash == old_hash
    confirm = owner_client.get(KEY_URL).get_data(as_text=True)
    assert "Replace the key for payments from Fakturoid?" in confirm
    assert "refused until you paste the new key" in confirm
    assert 'name="confirm" value="yes"' in confirm and old not in confirm
    new = _create_key(owner_client)
    assert new != old
    assert _deliver(owner_client, fakturoid, old, "after-old").status_code == 401
    html = owner_client.get(PAGE).get_data(as_text=True)
    assert "None with the current key yet" in html  # Fakturoid still has the old key
    assert _deliver(owner_client, fakturoid, new, "after-new").status_code == 202
    assert "None with the current key yet" not in owner_client.get(PAGE).get_data(as_text=True)
    assert len(queued) == 2
    with app.app_context():
        actions = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "integration.webhook_key_created").order_by(AuditEvent.id)
        ).all()
        assert [e.detail["replaced"] for e in actions] == [False, True]


def test_the_confirmation_step_without_a_key_leads_back_to_the_page(owner_client, fakturoid):
    response = owner_client.get(KEY_URL)
    assert response.status_code == 302 and response.location.endswith(f"{PAGE}#payments")


def test_a_repeated_idempotency_key_is_answered_duplicate_and_queues_nothing(app, owner_client, fakturoid, queued):
    key = _create_key(owner_client)
    assert _deliver(owner_client, fakturoid, key, "evt-1").status_code == 202
    repeat = _deliver(owner_client, fakturoid, key, "evt-1")
    assert repeat.status_code == 200 and repeat.get_json() == {"status": "duplicate"}
    assert _deliver(owner_client, fakturoid, key, "evt-2").status_code == 202
    assert _deliver(owner_client, fakturoid, key).status_code == 202  # no header: taken in each time
    assert _deliver(owner_client, fakturoid, key).status_code == 202
    assert len(queued) == 4
    with app.app_context():
        stored = db.session.scalars(db.select(WebhookDelivery.key_hash)).all()
        assert sorted(stored) == sorted(hashlib.sha256(k.encode()).hexdigest() for k in ("evt-1", "evt-2"))


def test_a_delivery_that_cannot_be_queued_is_refused_so_its_repeat_is_taken_in(
    app, owner_client, fakturoid, monkeypatch
):
    key = _create_key(owner_client)
    calls = []

    def queue_down(integration_id, remote_id):
        calls.append(remote_id)
        if len(calls) == 1:
            raise ConnectionError("queue unreachable")

    monkeypatch.setattr("webapp.tasks.payment_from_system", queue_down)
    assert _deliver(owner_client, fakturoid, key, "evt-9").status_code == 503
    assert _deliver(owner_client, fakturoid, key, "evt-9").status_code == 202
    assert calls == ["123", "123"]


def test_other_events_and_bad_bodies_are_answered_without_queueing(app, owner_client, fakturoid, queued):
    key = _create_key(owner_client)
    other = _deliver(owner_client, fakturoid, key, "e1", payload={"event_name": "invoice_sent", "body": {"id": 1}})
    assert other.status_code == 200 and other.get_json() == {"status": "ignored"}
    bad = owner_client.post(
        f"/webhooks/fakturoid/{fakturoid}", data="not json", headers={"Authorization": key, "Idempotency-Key": "e2"}
    )
    assert bad.status_code == 400
    assert queued == []


def test_idempotency_keys_are_forgotten_after_thirty_days(app, owner_client, fakturoid, queued):
    key = _create_key(owner_client)
    _deliver(owner_client, fakturoid, key, "old-event")
    _deliver(owner_client, fakturoid, key, "new-event")
    with app.app_context():
        row = db.session.scalar(
            db.select(WebhookDelivery).where(WebhookDelivery.key_hash == hashlib.sha256(b"old-event").hexdigest())
        )
        row.received_at -= timedelta(days=payment_webhooks.DELIVERY_DAYS + 1)
        db.session.commit()
        assert payment_webhooks.purge_expired() == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1


def test_a_sealed_key_is_not_shown_once_replaced_or_for_another_integration(app, owner_client, fakturoid):
    with app.test_request_context():
        integration = db.session.get(Integration, fakturoid)
        first = payment_webhooks.create_key(integration)
        sealed = payment_webhooks.seal(integration, first)
        assert payment_webhooks.unseal(integration, sealed) == first
        assert payment_webhooks.unseal(integration, "garbage") is None
        payment_webhooks.create_key(integration)
        assert payment_webhooks.unseal(integration, sealed) is None  # replaced: it no longer works


def test_staff_see_the_address_but_cannot_create_a_key(app, owner_client, fakturoid, make_user):
    make_user("staff@shop.test", role="staff", shop_id=owner_client.user.shop_id)
    owner_client.post("/logout")
    login(owner_client, "staff@shop.test")
    html = unescape(owner_client.get(PAGE).get_data(as_text=True))
    assert f"/webhooks/fakturoid/{fakturoid}" in html and "Only the shop's owner can create the key." in html
    assert f'action="{KEY_URL}"' not in html  # no button for them
    assert owner_client.post(KEY_URL, data={"confirm": "yes"}).status_code == 403
    assert owner_client.get(KEY_URL).status_code == 403
    assert _integration(app, fakturoid).webhook_key_hash is None


def test_read_only_support_session_cannot_create_a_key(app, owner_client, fakturoid, make_user):
    make_user("agent@fynode.test", role="support", shop_name=None)
    owner_client.post("/logout")
    login(owner_client, "agent@fynode.test")
    owner_client.post(f"/support/shops/{owner_client.user.shop_id}/impersonate", data={"reason": "TICKET-11"})
    html = owner_client.get(PAGE).get_data(as_text=True)
    assert "Payments from Fakturoid" in html  # the agent sees what the merchant sees
    response = owner_client.post(KEY_URL, data={"confirm": "yes"})
    assert response.status_code == 403 and "Read-only support access" in response.get_data(as_text=True)
    assert _integration(app, fakturoid).webhook_key_hash is None


def test_another_shops_key_and_deliveries_do_not_reach_this_shop(app, client, make_user, sandbox, queued):
    owner_a = make_user("owner@a.test", shop_name="Shop A")
    owner_b = make_user("owner@b.test", shop_name="Shop B")
    a_id = connect(app, sandbox, owner_a.shop_id, "fakturoid")
    b_id = connect(app, sandbox, owner_b.shop_id, "fakturoid")
    login(client, "owner@a.test")
    key_a = _create_key(client)
    client.post("/logout")
    login(client, "owner@b.test")
    page_b = client.get(PAGE).get_data(as_text=True)
    assert f"/webhooks/fakturoid/{b_id}" in page_b and f'/webhooks/fakturoid/{a_id}"' not in page_b
    assert "No key yet" in page_b  # shop A's key is A's alone
    key_b = _create_key(client)
    assert _deliver(client, b_id, key_a, "same-id").status_code == 401
    assert _deliver(client, a_id, key_b, "same-id").status_code == 401
    # One Idempotency-Key value at two shops: each integration keeps its own record.
    assert _deliver(client, a_id, key_a, "same-id").status_code == 202
    assert _deliver(client, b_id, key_b, "same-id").status_code == 202
    assert queued == [(a_id, "123"), (b_id, "123")]
    assert _integration(app, a_id).webhook_key_hash != _integration(app, b_id).webhook_key_hash


def test_the_key_appears_in_no_log_audit_entry_or_diagnostics_bundle(app, owner_client, fakturoid, queued, caplog):
    caplog.set_level(logging.DEBUG)
    key = _create_key(owner_client)
    _deliver(owner_client, fakturoid, key, "evt-log")
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    with app.app_context():
        audit = json.dumps([e.detail for e in db.session.scalars(db.select(AuditEvent))], default=str)
        bundle = json.dumps(support_console.diagnostics_bundle(owner_client.user.shop_id), default=str)
    assert key not in audit and key_hash not in audit
    assert key not in bundle and key_hash not in bundle and '"webhook_received_at": null' not in bundle
    assert key not in caplog.text
    for url in ("/", "/settings/accounting/", "/settings/accounting/log", KEY_URL):
        assert key not in owner_client.get(url).get_data(as_text=True), url
