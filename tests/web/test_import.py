"""Settings -> Accounting system -> Import existing invoices: a worker job (Huey in immediate
mode here) pages through the sandbox's documents over real HTTP, stores them without duplicates,
matches them to the shop's orders and shows a progress partial and a table."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from connectors import base, registry
from webapp.extensions import db
from webapp.models import Document, Integration, IntegrationStatus, Job, Order, Shop
from webapp.services.connections import activation, calls
from webapp.services.documents import importing

HTMX = {"HX-Request": "true"}
MARKET_CURRENCY = {"CZ": "CZK", "PL": "PLN"}


def systems_with(*capabilities: str) -> list[str]:
    return [cls.key for cls in registry.all_connectors() if set(capabilities) <= cls.capabilities]


def connect(app, sandbox, shop_id: int, system: str) -> int:
    """Activate `system` for the shop through the service, with the sandbox's valid account; the
    shop's market and currency follow the account's, as a real merchant's would."""
    account = sandbox(system).account("valid")
    credentials = {k: str(v) for k, v in account["credentials"].items()}
    with app.app_context():
        market = (credentials.get("market") or registry.get(system).markets[0]).upper()
        shop = db.session.get(Shop, shop_id)
        shop.country, shop.currency = market, MARKET_CURRENCY.get(market, "EUR")
        db.session.commit()
        integration, outcome = activation.activate(shop_id, system, credentials)
        assert outcome.ok, (outcome.code, outcome.detail)
        # A later call, as the worker makes it, with the token cache of the integration row.
        calls.for_integration(integration)[0].verify()
        return integration.id


def small_pages(monkeypatch, system: str, size: int = 10) -> None:
    """Make the connector ask for short pages, so a seeded account spans several."""
    cls = registry.get(system)
    if hasattr(cls, "page_size"):
        monkeypatch.setattr(cls, "page_size", size)
    module = sys.modules[cls.__module__]
    if hasattr(module, "PAGE_SIZE"):
        monkeypatch.setattr(module, "PAGE_SIZE", size)


def first_page_references(app, integration_id: int) -> list[str]:
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        connector, _log = calls.for_integration(integration)
        page = connector.list_documents(page=1)
        return [d.order_number or d.variable_symbol for d in page.documents if d.order_number or d.variable_symbol]


def add_order(app, shop_id: int, number: str) -> None:
    with app.app_context():
        db.session.add(Order(shop_id=shop_id, number=number, currency="EUR", customer={"name": "X"}))
        db.session.commit()


def _documents(app, integration_id: int) -> list[Document]:
    with app.app_context():
        rows = db.session.scalars(db.select(Document).where(Document.integration_id == integration_id)).all()
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("system", systems_with(base.CAN_LIST))
def test_import_pages_through_all_documents_and_matches_orders(app, owner_client, sandbox, monkeypatch, system):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, system)
    small_pages(monkeypatch, system)
    references = first_page_references(app, integration_id)[:2]
    for number in references:
        add_order(app, shop_id, number)

    response = owner_client.post("/settings/accounting/import")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    html = owner_client.get(job_url).get_data(as_text=True)

    with app.app_context():
        job = db.session.scalar(db.select(Job).where(Job.shop_id == shop_id))
        assert job.state == "done", (job.error_code, job.error_detail)
        assert job.result["pages"] > 1 and not job.result["capped"]
        assert job.done == job.total and job.done > 10
    docs = _documents(app, integration_id)
    assert len(docs) == job.done and len({d.remote_id for d in docs}) == len(docs)
    assert all(d.state == "imported" and d.number and isinstance(d.total, Decimal) for d in docs)
    assert all(isinstance(d.snapshot["total"], str) for d in docs)  # Decimals stored as strings
    with app.app_context():
        matched = db.session.scalars(db.select(Order.number).join(Document, Document.order_id == Order.id)).all()
    assert set(references) <= set(matched)
    assert "<progress" in html and "matched to orders" in html
    assert f'href="{job_url}/documents"' in html  # the documents are on their own page
    listing = owner_client.get(f"{job_url}/documents").get_data(as_text=True)
    assert 'data-label="Customer"' in listing
    newest = sorted(docs, key=lambda d: (d.issue_date or "", d.id), reverse=True)[0]
    assert newest.number in listing
    assert f"/settings/accounting/documents/{newest.id}/pdf" in listing


@pytest.mark.parametrize("system", systems_with(base.CAN_LIST)[:1])
def test_importing_twice_creates_no_duplicates(app, owner_client, sandbox, system):
    integration_id = connect(app, sandbox, owner_client.user.shop_id, system)
    owner_client.post("/settings/accounting/import")
    first = _documents(app, integration_id)
    owner_client.post("/settings/accounting/import")
    second = _documents(app, integration_id)
    assert first and sorted(d.id for d in first) == sorted(d.id for d in second)
    with app.app_context():
        jobs = db.session.scalars(db.select(Job).order_by(Job.id)).all()
        assert [j.state for j in jobs] == ["done", "done"]
        assert jobs[1].result["created"] == 0 and jobs[1].result["updated"] == len(first)


def test_htmx_start_returns_the_job_partial(app, owner_client, sandbox):
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    response = owner_client.post("/settings/accounting/import", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert '<section id="job"' in html and "<progress" in html and 'role="status"' in html


def test_progress_partial_polls_while_running_and_stops_when_done(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    with app.app_context():
        job = Job(shop_id=shop_id, integration_id=integration_id, kind="import", state="running", done=20, total=48)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    url = f"/settings/accounting/jobs/{job_id}"
    partial = owner_client.get(url, headers=HTMX).get_data(as_text=True)
    assert "<html" not in partial
    assert f'hx-get="{url}"' in partial and 'hx-trigger="every 1s"' in partial
    assert '<progress id="job-' in partial and 'max="48"' in partial and 'value="20"' in partial
    assert "20 of 48" in partial
    page = owner_client.get(url).get_data(as_text=True)  # the plain reloadable page
    assert "<html" in page and "20 of 48" in page and f'href="{url}"' in page
    with app.app_context():
        db.session.get(Job, job_id).state = "done"
        db.session.commit()
    done = owner_client.get(url, headers=HTMX).get_data(as_text=True)
    assert "hx-trigger" not in done


def test_import_stops_at_the_page_cap_and_says_so(app, owner_client, sandbox, monkeypatch):
    integration_id = connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    small_pages(monkeypatch, "superfaktura", 5)
    monkeypatch.setattr(importing, "MAX_PAGES", 2)
    response = owner_client.post("/settings/accounting/import", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert len(_documents(app, integration_id)) == 10
    assert "latest 2 pages only" in html
    listing = owner_client.get(response.request.path + "/documents").get_data(as_text=True)
    assert "latest 2 pages only" in listing


def test_import_with_revoked_key_fails_with_the_hint_and_flags_the_connection(app, owner_client, sandbox):
    from webapp.services.accounts.encryption import box

    integration_id = connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    with app.app_context():
        integration = db.session.get(Integration, integration_id)
        secrets = box().decrypt(integration.secrets_encrypted)
        integration.secrets_encrypted = box().encrypt({**secrets, "api_key": "0" * 32})
        db.session.commit()
    html = owner_client.post("/settings/accounting/import", follow_redirects=True).get_data(as_text=True)
    assert "outcome-error" in html and "invalid_credentials" in html
    with app.app_context():
        assert db.session.get(Integration, integration_id).status == IntegrationStatus.NEEDS_ATTENTION


@pytest.mark.parametrize("system", systems_with(base.CAN_LIST, base.CAN_PDF)[:1])
def test_pdf_of_an_imported_document_is_served_inline_and_as_download(app, owner_client, sandbox, system):
    integration_id = connect(app, sandbox, owner_client.user.shop_id, system)
    owner_client.post("/settings/accounting/import")
    document = _documents(app, integration_id)[0]
    inline = owner_client.get(f"/settings/accounting/documents/{document.id}/pdf")
    assert inline.status_code == 200 and inline.data.startswith(b"%PDF")
    assert inline.headers["Content-Type"] == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline")
    download = owner_client.get(f"/settings/accounting/documents/{document.id}/pdf/download")
    assert download.data.startswith(b"%PDF") and download.headers["Content-Disposition"].startswith("attachment")


def test_import_page_offers_the_import_after_activation(app, owner_client, sandbox):
    html = owner_client.get("/settings/accounting/import").get_data(as_text=True)
    assert "Connect and activate your accounting system first" in html
    connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    html = owner_client.get("/settings/accounting/import").get_data(as_text=True)
    assert 'action="/settings/accounting/import"' in html and 'name="csrf_token"' in html
    assert "up to 20 pages" in html


def test_next_steps_partial_offers_both_checks(app, owner_client, sandbox):
    from flask import render_template

    integration_id = connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    with app.test_request_context():
        integration = db.session.get(Integration, integration_id)
        html = render_template("journey/_next_steps.html", integration=integration)
    assert 'action="/settings/accounting/import"' in html and 'href="/settings/accounting/test-invoice"' in html
    assert 'name="csrf_token"' in html and 'aria-live="polite"' in html


def test_variable_symbol_matches_the_digits_of_an_order_number(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    references = first_page_references(app, integration_id)
    number = f"{references[0][:2]}-{references[0][2:]}"  # "10-47": the seeded VS is "1047"
    add_order(app, shop_id, number)
    owner_client.post("/settings/accounting/import")
    with app.app_context():
        document = db.session.scalar(db.select(Document).where(Document.order_id.is_not(None)))
        assert document.order.number == number and document.snapshot["variable_symbol"] == references[0]


def test_snapshot_keeps_every_value_of_the_remote_document():
    from datetime import date

    from connectors.documents import RemoteDocument, RemoteLine, VatBreakdown

    remote = RemoteDocument(
        remote_id="7",
        kind="invoice",
        number="2026001",
        currency="EUR",
        total=Decimal("12.30"),
        issue_date=date(2026, 11, 24),
        due_date=date(2026, 12, 8),
        customer_name="Ján",
        vat=[VatBreakdown(Decimal("23"), Decimal("10.00"), Decimal("2.30"))],
        lines=[RemoteLine("Tea", Decimal("1"), Decimal("10.00"), Decimal("23"), "ks", Decimal("12.30"))],
        raw_id_fields={"id": 7},
    )
    snapshot = importing.snapshot_of(remote)
    import json

    assert json.loads(json.dumps(snapshot)) == snapshot and snapshot["total"] == "12.30"
    assert importing.remote_from_snapshot(snapshot) == remote


def _lost_job(app, shop_id: int, integration_id: int, state: str = "running", seconds: int = 90, **values) -> int:
    from datetime import timedelta

    from webapp.models import utcnow

    with app.app_context():
        job = Job(
            shop_id=shop_id,
            integration_id=integration_id,
            kind="import",
            state=state,
            done=20,
            total=48,
            created_at=utcnow() - timedelta(seconds=seconds),
            updated_at=utcnow() - timedelta(seconds=seconds),
            **values,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_job_whose_heartbeat_stopped_says_it_stopped_within_the_timeout(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id, seconds=61)  # the default timeout is 60 s
    html = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX).get_data(as_text=True)
    assert "The import stopped" in html and "It is restarting" in html
    assert "the import continues" not in html and "Start the import again" in html
    fresh = _lost_job(app, shop_id, integration_id, seconds=5)
    html = owner_client.get(f"/settings/accounting/jobs/{fresh}", headers=HTMX).get_data(as_text=True)
    assert "the import continues" in html and "The import stopped" not in html


def test_the_heartbeat_timeout_is_configurable(app, owner_client, sandbox, monkeypatch):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id, seconds=15)
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_TIMEOUT", 10)  # put back as it was, whatever it was
    html = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX).get_data(as_text=True)
    assert "The import stopped" in html


def test_the_periodic_sweep_restarts_a_job_whose_worker_was_killed(app, owner_client, sandbox):
    from webapp import tasks

    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id)
    alive = _lost_job(app, shop_id, integration_id, seconds=5)
    with app.app_context():  # the task runs in the app that calls it
        tasks.recover_jobs.call_local()  # immediate mode: the re-queued import runs at once
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.state == "done", (job.error_code, job.error_detail)
        assert job.result["attempt"] == 2 and job.done == job.total == len(_documents(app, integration_id))
        assert db.session.get(Job, alive).state == "running"  # its heartbeat is recent: left alone


def test_a_requeued_job_waiting_for_a_worker_says_it_is_restarting(app, owner_client, sandbox, monkeypatch):
    from webapp import tasks

    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id)
    queued = []
    monkeypatch.setattr(tasks, "run_import", queued.append)  # the consumer is down: nothing runs
    with app.app_context():
        assert importing.recover_stale_jobs() == {"requeued": 1, "failed": 0}
        assert importing.recover_stale_jobs() == {"requeued": 0, "failed": 0}  # taken back once
        job = db.session.get(Job, job_id)
        assert job.state == "queued" and job.result["attempt"] == 2 and "restarted_at" in job.result
    assert queued == [job_id]
    html = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX).get_data(as_text=True)
    assert "It is restarting" in html and "the import continues" not in html and 'hx-trigger="every 1s"' in html


def test_a_job_that_keeps_losing_its_worker_fails_visibly(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id, result={"attempt": importing.MAX_ATTEMPTS})
    with app.app_context():
        assert importing.recover_stale_jobs() == {"requeued": 0, "failed": 1}
    html = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX).get_data(as_text=True)
    assert "The import stopped" in html and "hx-trigger" not in html and "Start the import again" in html


def test_a_failed_job_without_an_error_code_shows_the_generic_failure(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id, state="failed", seconds=5, error_code=None)
    response = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "outcome-error" in html and "remote_error" in html and "hx-trigger" not in html


def test_a_new_import_after_a_lost_one_starts_a_new_job_and_ends_the_old(app, owner_client, sandbox):
    shop_id = owner_client.user.shop_id
    integration_id = connect(app, sandbox, shop_id, "superfaktura")
    job_id = _lost_job(app, shop_id, integration_id, state="queued", seconds=3600)
    response = owner_client.post("/settings/accounting/import")
    assert response.headers["Location"] != f"/settings/accounting/jobs/{job_id}"
    with app.app_context():
        old = db.session.get(Job, job_id)
        assert old.state == "failed" and old.error_code == importing.STALE
        assert db.session.scalar(db.select(Job).order_by(Job.id.desc())).state == "done"


def test_the_import_beats_on_every_page_and_stops_when_its_attempt_was_taken_back(
    app, owner_client, sandbox, monkeypatch
):
    integration_id = connect(app, sandbox, owner_client.user.shop_id, "superfaktura")
    small_pages(monkeypatch, "superfaktura", 5)
    beats = []
    real_beat = importing._beat

    def beat(job, attempt):
        beats.append(job.updated_at)
        if len(beats) == 3:  # meanwhile the sweep decided this worker was lost and re-queued the job
            db.session.execute(db.update(Job).where(Job.id == job.id).values(result={"attempt": attempt + 1}))
            db.session.commit()
        real_beat(job, attempt)

    monkeypatch.setattr(importing, "_beat", beat)
    owner_client.post("/settings/accounting/import")
    with app.app_context():
        job = db.session.scalar(db.select(Job).order_by(Job.id.desc()))
        # the superseded worker wrote nothing after losing the job: no "done" from a stale attempt
        assert job.state == "running" and job.result == {"attempt": 2}
    assert len(beats) == 3 and len(_documents(app, integration_id)) == 10


def test_demo_shop_orders_match_the_sandbox_invoices_after_an_import(app, clean_db, sandbox):
    """`flask seed`'s Demo Shop has orders the SuperFaktura sandbox invoiced earlier: an import shows them."""
    from webapp.models import Document, Order
    from webapp.services import demo
    from webapp.services.documents import importing

    sf = sandbox("superfaktura")
    with app.app_context():
        demo.seed(sf.url)
        demo.seed(sf.url)  # safe to run on every start: nothing is doubled
        shop = db.session.scalar(db.select(Shop).where(Shop.name == "Demo Shop"))
        # 10 orders invoiced earlier in the sandbox, and 12 whose documents the rules issued now.
        assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.shop_id == shop.id)) == 22
        integration = activation.current_connection(shop.id)
        job = importing.start_import(integration)
        db.session.refresh(job)
        matched = db.session.scalars(
            db.select(Order.number)
            .join(Document, Document.order_id == Order.id)
            .where(Document.shop_id == shop.id, Document.state == "imported")
        ).all()
    assert job.state == "done" and sorted(set(matched)) == [str(n) for n in range(1040, 1048)]
