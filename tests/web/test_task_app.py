"""Which app a background task runs in. A process can hold several apps (the tests' apps, a
script's); each `create_app` points Huey at itself, so "the app that configured Huey" is only
the newest one. A task run inline (Huey's immediate mode, `call_local`) must use the app whose
context queued it; the consumer, outside any context, uses the app that configured Huey."""

from __future__ import annotations

from flask import current_app

from webapp import create_app, tasks
from webapp.config import Config

from .test_documents_engine import documents_of, engine, event, make_order  # noqa: F401


def _another_app(tmp_path, monkeypatch):
    """A second app created after the tests' app, on a database of its own that has no tables."""
    monkeypatch.setattr(tasks, "_app", tasks._app)  # put back afterwards, as this test found it
    return create_app(Config(TESTING=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'other.sqlite3'}"))


def test_a_document_queued_in_one_app_is_created_by_that_app_after_another_app_was_made(
    app, engine, tmp_path, monkeypatch
):
    other = _another_app(tmp_path, monkeypatch)
    assert tasks._app is other
    engine.connect("superfaktura")
    order = make_order(engine.shop_id, payment="card")
    [invoice] = event(order, "paid")  # the preset: a paid card order gets its invoice
    assert invoice.kind == "invoice"
    assert invoice.state == "created", (invoice.last_error_code, invoice.last_error_detail)
    assert [d.state for d in documents_of(order)] == ["created"]


def test_a_task_runs_in_the_calling_apps_context_and_the_consumer_in_huey_s_app(app, tmp_path, monkeypatch):
    other = _another_app(tmp_path, monkeypatch)
    with app.app_context(), tasks.app_context():
        assert current_app._get_current_object() is app
    with tasks.app_context():  # no context around it: the consumer's case
        assert current_app._get_current_object() is other
