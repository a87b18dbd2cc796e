"""The support console lists a shop among "Shops with problems" only for a real problem of its
current connection, and says which; a shop's page shows each failed call under its own system."""

from datetime import timedelta

from webapp.extensions import db
from webapp.models import ApiCall, Document, DocumentRule, Integration, Order, utcnow

from .conftest import login


def _integration(shop_id, system, status="active", current=True, **extra):
    integration = Integration(shop_id=shop_id, system=system, status=status, current=current, **extra)
    db.session.add(integration)
    db.session.flush()
    return integration


def _rule(integration):
    db.session.add(
        DocumentRule(
            shop_id=integration.shop_id,
            integration_id=integration.id,
            kind="invoice",
            trigger="paid",
            conditions={},
            options={},
            enabled=True,
        )
    )


def _failed_call(integration_id, shop_id, system, hours_ago=1, **extra):
    db.session.add(
        ApiCall(
            shop_id=shop_id,
            integration_id=integration_id,
            system=system,
            operation=extra.pop("operation", "verify"),
            method="GET",
            url="https://x.test/",
            status=extra.pop("status", 401),
            error_code=extra.pop("error_code", "auth_failed"),
            created_at=utcnow() - timedelta(hours=hours_ago),
            **extra,
        )
    )


def _failed_document(integration, number):
    order = Order(shop_id=integration.shop_id, number=number, currency="EUR", customer={})
    db.session.add(order)
    db.session.flush()
    db.session.add(
        Document(
            shop_id=integration.shop_id,
            integration_id=integration.id,
            order_id=order.id,
            kind="invoice",
            state="failed",
            idempotency_key=f"k-{number}",
            needs_lookup=False,
            last_error_code="remote_error",
        )
    )


def _problems_section(html: str) -> str:
    start = html.index("Shops with problems")
    return html[start : html.index("All shops", start)]


def test_console_lists_a_shop_only_for_a_real_problem_and_says_which(app, client, make_user):
    healthy = make_user("healthy@shop.test", shop_name="Healthy Tea")
    paused = make_user("paused@shop.test", shop_name="Paused Tea")
    no_rules = make_user("norules@shop.test", shop_name="Ruleless Tea")
    make_user("agent@fynode.test", role="support", shop_name=None)
    with app.app_context():
        # Active inFakt with rules; failed Fakturownia credential tries of a trial and a deactivated
        # SuperFaktura's failed calls: none of them is the current connection's problem.
        infakt = _integration(healthy.shop_id, "infakt")
        _rule(infakt)
        trial = _integration(healthy.shop_id, "fakturownia", status="draft", current=False)
        old = _integration(healthy.shop_id, "superfaktura", status="disabled", current=False)
        for _ in range(3):
            _failed_call(trial.id, healthy.shop_id, "fakturownia")
        _failed_call(old.id, healthy.shop_id, "superfaktura")
        _failed_call(infakt.id, healthy.shop_id, "infakt", hours_ago=30)  # older than 24 h
        # Paused (credentials refused), two failed documents, five failed calls in 24 h.
        sf = _integration(paused.shop_id, "superfaktura", status="needs_attention", last_error_code="auth_failed")
        _rule(sf)
        for _ in range(5):
            _failed_call(sf.id, paused.shop_id, "superfaktura")
        _failed_document(sf, "P-1")
        _failed_document(sf, "P-2")
        # Active, but no rule confirmed: no document is ever created.
        _integration(no_rules.shop_id, "fakturownia")
        db.session.commit()
    login(client, "agent@fynode.test")
    problems = _problems_section(client.get("/support/").get_data(as_text=True))
    assert "Healthy Tea" not in problems
    assert "Why listed" in problems
    assert "Paused Tea" in problems
    assert "connection paused: re-authentication needed" in problems
    assert "2 documents failed" in problems and "5 failed calls in 24 h" in problems
    assert "Ruleless Tea" in problems and "no rules confirmed" in problems
    ruleless = problems[problems.index("Ruleless Tea") :]
    assert "failed" not in ruleless.split("</tr>")[0]  # listed for its one reason only


def test_shop_page_shows_each_failed_call_under_its_own_system(app, client, make_user):
    owner = make_user("owner@shop.test", shop_name="Tea Shop")
    make_user("agent@fynode.test", role="support", shop_name=None)
    with app.app_context():
        infakt = _integration(owner.shop_id, "infakt")
        trial = _integration(owner.shop_id, "fakturownia", status="draft", current=False)
        _failed_call(trial.id, owner.shop_id, "fakturownia", error_code="auth_failed")
        db.session.commit()
        shop_id = owner.shop_id
        del infakt
    login(client, "agent@fynode.test")
    html = client.get(f"/support/shops/{shop_id}").get_data(as_text=True)
    errors = html[html.index('id="errors-heading"') : html.index('id="documents-heading"')]
    current = errors.index("inFakt (current connection)")
    other = errors.index("Fakturownia (not the current connection")
    assert current < other
    # The current connection has no failed call; Fakturownia's failed try is under its own name.
    assert "No failed calls." in errors[current:other]
    assert "auth_failed" not in errors[current:other] and "auth_failed" in errors[other:]
