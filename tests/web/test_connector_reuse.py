"""Connectors kept per integration in a worker process (`calls.ConnectorPool`): one connector
serves the documents of one integration one after another, with its HTTP session, its decrypted
credentials and what it caches (iDoklad's reference data); it is never shared with another
integration, and new credentials, a key rotation or a refusal of the credentials build a new
one. Real HTTP against the sandboxes, Huey inline."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connectors import errors as codes
from connectors.errors import ConnectorError
from webapp import tasks
from webapp.extensions import db
from webapp.models import DocumentState, Integration
from webapp.services.accounts.encryption import box, rotate_all
from webapp.services.connections import calls

from .test_documents_engine import engine, event, make_order  # noqa: F401 - engine: the fixture
from .test_import import connect

REFERENCE_PATHS = ("/v3/Account/CurrentAgenda", "/v3/Currencies", "/v3/VatRates", "/v3/PaymentOptions")


def reference_reads(sb, since: int = 0) -> dict[str, int]:
    received = sb.requests()[since:]
    return {p: sum(1 for r in received if r["method"] == "GET" and r["path"] == p) for p in REFERENCE_PATHS}


def paid_invoice(shop_id: int, number: str):
    """A card order paid: the preset issues an invoice, paid (the worker runs inline)."""
    order = make_order(shop_id, number=number, country="CZ", currency="CZK", company_id=number[-8:].rjust(8, "1"))
    [document] = event(order, "paid")
    return document


@pytest.fixture
def pool(app):
    """The pool of the test's app, where the test calls `connector_session` itself."""
    with app.app_context():
        kept = calls.connector_pool()
        kept.forget()
        yield kept
        kept.forget()


@pytest.fixture
def worker_pool(app):
    """The pool of the app the worker's tasks run in (Huey runs them inline here, in
    `tasks.app_context()`: the app that configured Huey last, not necessarily the test's)."""
    with tasks.app_context():
        kept = calls.connector_pool()
    kept.forget()
    yield kept
    kept.forget()


def test_the_documents_of_one_integration_share_one_connector_and_its_reference_data(app, engine, worker_pool):
    sb = engine.connect("idoklad")
    before = len(sb.requests())
    documents = [paid_invoice(engine.shop_id, f"2026-00010{n}") for n in range(3)]
    assert all(d.state == DocumentState.CREATED and d.status == "paid" for d in documents)
    assert reference_reads(sb, before) == dict.fromkeys(REFERENCE_PATHS, 1)
    assert worker_pool.kept(engine.integration.id) == 1


def test_integrations_of_two_shops_never_share_a_connector_or_its_reference_data(app, engine, worker_pool, make_user):
    sb = engine.connect("idoklad")
    other_shop = make_user("second@shop.test").shop_id
    other = db.session.get(Integration, connect(app, lambda key: sb, other_shop, "idoklad"))
    from webapp.services.documents import rules

    rules.confirm_presets(other)
    before = len(sb.requests())
    mine = paid_invoice(engine.shop_id, "2026-000201")
    theirs = paid_invoice(other_shop, "2026-000202")
    again = paid_invoice(engine.shop_id, "2026-000203")
    assert {mine.state, theirs.state, again.state} == {DocumentState.CREATED}
    # Each integration read its own agenda's reference data once; the third document reused its own.
    assert reference_reads(sb, before) == dict.fromkeys(REFERENCE_PATHS, 2)
    assert worker_pool.kept(engine.integration.id) == worker_pool.kept(other.id) == 1
    with tasks.app_context():
        mine_kept, theirs_kept = worker_pool.take(engine.integration), worker_pool.take(other)
        try:
            # The connectors the worker kept (taking them builds nothing new: still one each).
            assert worker_pool.kept(engine.integration.id) == worker_pool.kept(other.id) == 0
            assert mine_kept.connector is not theirs_kept.connector
            assert mine_kept.connector.reference is not theirs_kept.connector.reference
            assert mine_kept.log.shop_id == engine.shop_id and theirs_kept.log.shop_id == other_shop
            assert mine_kept.connector.reference.get("agenda", dict)
        finally:
            worker_pool.give_back(mine_kept, engine.integration.id)
            worker_pool.give_back(theirs_kept, other.id)


def test_credentials_stored_again_build_a_new_connector_with_nothing_kept(app, engine, worker_pool):
    sb = engine.connect("idoklad")
    paid_invoice(engine.shop_id, "2026-000301")
    integration = db.session.get(Integration, engine.integration.id)
    # Re-authentication stores the secrets again (new ciphertext, even for the same values).
    integration.secrets_encrypted = box().encrypt(box().decrypt(integration.secrets_encrypted))
    db.session.commit()
    before = len(sb.requests())
    assert paid_invoice(engine.shop_id, "2026-000302").state == DocumentState.CREATED
    assert reference_reads(sb, before) == dict.fromkeys(REFERENCE_PATHS, 1)
    assert worker_pool.kept(integration.id) == 1  # the old connector was dropped, not kept beside the new one


def test_changed_settings_build_a_new_connector(app, engine, pool):
    engine.connect("superfaktura")
    integration = engine.integration
    with calls.connector_session(integration) as call:
        first = call.connector
    integration.config = {**integration.config, "invoice_series": ""}
    db.session.commit()
    with calls.connector_session(integration) as call:
        assert call.connector is not first
    with calls.connector_session(integration) as call:
        assert call.connector is not first


def test_a_key_rotation_builds_a_new_connector_that_decrypts_with_the_new_key(app, engine, pool):
    engine.connect("fakturoid")
    integration = engine.integration
    original = list(app.config["ENCRYPTION_KEYS"])
    new = Fernet.generate_key().decode()
    try:
        with calls.connector_session(integration) as call:
            before = call.connector
        app.config["ENCRYPTION_KEYS"] = [new, *original]
        rotate_all()
        app.config["ENCRYPTION_KEYS"] = [new]  # the old key dropped: only the new one decrypts
        integration = db.session.get(Integration, integration.id)
        with calls.connector_session(integration) as call:
            assert call.connector is not before
            assert call.connector.verify().account_id
    finally:
        app.config["ENCRYPTION_KEYS"] = original


def test_a_refusal_of_the_credentials_drops_the_connector(app, engine, pool):
    engine.connect("superfaktura")
    integration = engine.integration
    with calls.connector_session(integration):
        pass
    assert pool.kept(integration.id) == 1
    with pytest.raises(ConnectorError), calls.connector_session(integration, auth_failure_pauses=False):
        raise ConnectorError(codes.INVALID_CREDENTIALS, detail="refused")
    assert pool.kept(integration.id) == 0


def test_a_failure_of_our_own_drops_the_connector_and_a_passing_refusal_keeps_it(app, engine, pool):
    engine.connect("superfaktura")
    integration = engine.integration
    with pytest.raises(RuntimeError), calls.connector_session(integration):
        raise RuntimeError("a bug")
    assert pool.kept(integration.id) == 0
    with pytest.raises(ConnectorError), calls.connector_session(integration):
        raise ConnectorError(codes.TIMEOUT, detail="slow")
    assert pool.kept(integration.id) == 1


def test_a_connector_serves_one_call_at_a_time_and_holds_no_database_row_between_calls(app, engine, pool):
    engine.connect("superfaktura")
    integration = engine.integration
    with calls.connector_session(integration) as outer, calls.connector_session(integration) as inner:
        assert inner.connector is not outer.connector
        assert inner.log is not outer.log
    assert pool.kept(integration.id) == 2
    kept = pool.take(integration)
    pool.give_back(kept, integration.id)
    assert kept.token_cache.integration is None
    assert kept.connector.http.throttle is None
    assert kept.log.exchanges == [] and kept.log.document_id is None


def test_a_token_renewed_by_another_process_is_used_by_a_kept_connector(app, engine, worker_pool):
    sb = engine.connect("fakturoid")
    integration = engine.integration
    paid_invoice(engine.shop_id, "2026-000401")
    stored = box().decrypt(db.session.get(Integration, integration.id).token_encrypted)
    # Another process renews the token (Fakturoid invalidates the previous one).
    elsewhere, _log = calls.for_integration(db.session.get(Integration, integration.id))
    elsewhere.client.request_token({"grant_type": "client_credentials"})
    renewed = box().decrypt(db.session.get(Integration, integration.id).token_encrypted)
    assert renewed["access_token"] != stored["access_token"]
    before = len(sb.requests())
    assert paid_invoice(engine.shop_id, "2026-000402").state == DocumentState.CREATED
    received = sb.requests()[before:]
    assert [r["status"] for r in received if r["path"].endswith("/oauth/token")] == []  # no renewal needed
    assert all(r["status"] != 401 for r in received)


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def test_after_a_pause_a_kept_connector_opens_a_new_connection_but_keeps_the_rest(app, engine):
    engine.connect("superfaktura")
    integration = engine.integration
    own = calls.ConnectorPool(clock=(clock := Clock()))
    kept = own.take(integration)
    own.give_back(kept, integration.id)
    closed: list[bool] = []
    kept.connector.http.close = lambda: closed.append(True)  # type: ignore[method-assign]
    clock.now += calls.IDLE_CONNECTION_SECONDS - 0.5
    again = own.take(integration)
    assert again is kept and closed == []  # a backlog keeps its connection
    own.give_back(again, integration.id)
    clock.now += calls.IDLE_CONNECTION_SECONDS + 0.5
    after_pause = own.take(integration)
    assert after_pause is kept and closed == [True]  # same connector, a fresh connection
    own.give_back(after_pause, integration.id)


def test_connectors_unused_for_long_are_let_go(app, engine, make_user):
    sb = engine.connect("superfaktura")
    first = engine.integration
    second_shop = make_user("b@shop.test").shop_id
    second = db.session.get(Integration, connect(app, lambda key: sb, second_shop, "superfaktura"))
    own = calls.ConnectorPool(clock=(clock := Clock()))
    for integration in (first, second):
        own.give_back(own.take(integration), integration.id)
    clock.now += calls.KEPT_UNUSED_SECONDS - 100
    own.give_back(own.take(first), first.id)
    clock.now += 200  # the second integration has not been used for longer than allowed
    own.give_back(own.take(first), first.id)
    assert own.kept(second.id) == 0 and own.kept(first.id) == 1


def test_a_connector_in_constant_use_is_still_built_anew_every_hour(app, engine):
    engine.connect("superfaktura")
    integration = engine.integration
    own = calls.ConnectorPool(clock=(clock := Clock()))
    first = own.take(integration)
    own.give_back(first, integration.id)
    while clock.now + 60 < 5000.0 + calls.KEPT_FOR_SECONDS:
        clock.now += 60
        kept = own.take(integration)
        assert kept is first
        own.give_back(kept, integration.id)
    clock.now += 120
    assert own.take(integration) is not first
