"""Credentials lifecycle beyond one system: switching keeps history; every seed system activates
through the same schema-driven form; key rotation and seeding as commands."""

import pytest

from connectors import registry
from webapp.extensions import db
from webapp.models import Integration
from webapp.services.accounts.encryption import box

HTMX = {"HX-Request": "true"}


def _rows(app):
    with app.app_context():
        rows = db.session.scalars(db.select(Integration).order_by(Integration.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_switching_to_another_system_keeps_the_first_ones_history(app, owner_client, sandbox):
    sf = sandbox("superfaktura").account("valid")["credentials"]
    idoklad = sandbox("idoklad").account("valid")["credentials"]
    owner_client.post("/settings/accounting/superfaktura/activate", data=sf, headers=HTMX)
    html = owner_client.post("/settings/accounting/idoklad/activate", data=idoklad, headers=HTMX).get_data(as_text=True)
    assert "Connected as" in html
    owner_client.post("/settings/accounting/idoklad/switch", data={"confirm": "yes"})
    first, second = _rows(app)
    assert (first.system, first.status, first.current) == ("superfaktura", "active", False)
    assert (second.system, second.status, second.current) == ("idoklad", "active", True)
    assert first.secrets_encrypted and first.verified_as  # kept, so switching back is one click away
    catalogue = owner_client.get("/settings/accounting/").get_data(as_text=True)
    assert "Your shop is connected to iDoklad" in catalogue


@pytest.mark.parametrize("system", [c.key for c in registry.all_connectors()])
def test_every_system_activates_through_its_generated_form(owner_client, sandbox, system):
    account = sandbox(system).account("valid")
    form = owner_client.get(f"/settings/accounting/{system}").get_data(as_text=True)
    for key in account["credentials"]:
        assert f'name="{key}"' in form
    html = owner_client.post(
        f"/settings/accounting/{system}/activate", data=account["credentials"], headers=HTMX
    ).get_data(as_text=True)
    assert "Connected as" in html


@pytest.mark.parametrize(
    "system, state, code",
    [
        ("idoklad", "wrong_key", "invalid_credentials"),
        ("idoklad", "no_api_plan", "plan_lacks_api"),
        ("idoklad", "expired", "subscription_inactive"),
        ("idoklad", "no_permission", "permission_denied"),
    ],
)
def test_idoklad_failures_show_their_hint_in_the_form(owner_client, sandbox, system, state, code):
    html = owner_client.post(
        f"/settings/accounting/{system}/activate", data=sandbox(system).account(state)["credentials"], headers=HTMX
    ).get_data(as_text=True)
    assert code in html and "Connected as" not in html


def test_key_rotation_command_moves_every_secret_to_the_new_key(app, owner_client, sandbox, monkeypatch, tmp_path):
    from webapp import config as config_module

    # The command writes the keys into instance/: a folder of the test's own, not the one every
    # app of this run (and every xdist worker) reads its keys from.
    monkeypatch.setattr(config_module, "INSTANCE", tmp_path)
    owner_client.post(
        "/settings/accounting/superfaktura/activate",
        data=sandbox("superfaktura").account("valid")["credentials"],
        headers=HTMX,
    )
    before = _rows(app)[0].secrets_encrypted
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    try:
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0 and "Re-encrypted 1 stored values" in result.output
        after = _rows(app)[0].secrets_encrypted
        assert after != before
        with app.app_context():
            newest_only = box().__class__([app.config["ENCRYPTION_KEYS"][0]])
            assert newest_only.decrypt(after)["api_key"]
        assert (tmp_path / "encryption_keys").read_text() == ",".join(app.config["ENCRYPTION_KEYS"])
        assert app.config["ENCRYPTION_KEYS"][1:] == old_keys  # the new key first, the old ones kept
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys + [k for k in app.config["ENCRYPTION_KEYS"] if k not in old_keys]


def test_seed_refuses_outside_local_mode_even_in_sandbox_mode(app, clean_db, monkeypatch):
    monkeypatch.setitem(app.config, "LOCAL_MODE", False)
    monkeypatch.setitem(app.config, "ACCOUNTING_SANDBOX", True)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 2 and "Refusing" in result.output
