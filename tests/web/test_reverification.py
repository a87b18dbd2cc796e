"""The worker re-verifies active connections periodically, so a key revoked in the accounting
system turns the connection to "needs attention" before a document fails."""

from webapp.extensions import db
from webapp.models import Integration
from webapp.services.accounts.encryption import box
from webapp.services.connections import activation, verification


def test_periodic_reverification_flags_a_revoked_key_and_keeps_working_ones(app, make_user, sandbox):
    sf = sandbox("superfaktura")
    first = make_user("a@shop.test", shop_name="A")
    second = make_user("b@shop.test", shop_name="B")
    with app.app_context():
        revoked, _ = activation.activate(first.shop_id, "superfaktura", sf.account("valid")["credentials"])
        kept, _ = activation.activate(second.shop_id, "superfaktura", sf.account("valid")["credentials"])
        secrets = box().decrypt(revoked.secrets_encrypted)
        secrets["api_key"] = sf.account("wrong_key")["credentials"]["api_key"]
        revoked.secrets_encrypted = box().encrypt(secrets)
        db.session.commit()

        assert verification.reverify_all() == 2
        statuses = dict(db.session.execute(db.select(Integration.shop_id, Integration.status)).all())
        refreshed = db.session.scalar(db.select(Integration).where(Integration.shop_id == second.shop_id))
        assert refreshed.verified_as["currency"] == "EUR" and "warnings" in refreshed.verified_as
    assert statuses == {first.shop_id: "needs_attention", second.shop_id: "active"}


def test_the_periodic_task_is_registered_with_the_worker():
    from webapp.tasks import huey

    assert "webapp.tasks.reverify_connections" in huey._registry._registry
