"""Long lists stay short on a phone: the import result is its own page (a summary line, a matched /
not matched filter, 20 documents a page) instead of every document on the settings page, and the
integration log is paged in compact rows."""

from __future__ import annotations

import re

from webapp.extensions import db
from webapp.models import ApiCall, Document, Integration, Job, Order, utcnow

HTMX = {"HX-Request": "true"}


def _finished_import(app, shop_id: int, matched: int, unmatched: int) -> int:
    """A done import job with its imported documents, as services.importing leaves them."""
    with app.app_context():
        integration = Integration(
            shop_id=shop_id, system="superfaktura", status="active", current=True, verified_as={"company_name": "Alfa"}
        )
        db.session.add(integration)
        db.session.flush()
        for i in range(matched + unmatched):
            order = None
            if i < matched:
                order = Order(shop_id=shop_id, number=f"2026-{i:04d}", currency="EUR", customer={"name": "X"})
                db.session.add(order)
                db.session.flush()
            db.session.add(
                Document(
                    shop_id=shop_id,
                    integration_id=integration.id,
                    kind="invoice",
                    state="imported",
                    idempotency_key=f"import-{i}",
                    remote_id=str(i),
                    number=f"INV{i:04d}",
                    issue_date=f"2026-11-{1 + i % 28:02d}",
                    total="12.30",
                    currency="EUR",
                    order_id=order.id if order else None,
                )
            )
        total = matched + unmatched
        job = Job(
            shop_id=shop_id,
            integration_id=integration.id,
            kind="import",
            state="done",
            done=total,
            total=total,
            result={"created": total, "updated": 0, "matched": matched, "pages": 1, "capped": False},
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r'data-label="Number" class="nowrap primary-cell">([^<]+)<', body.group(1)) if body else []


def test_finished_import_links_to_its_result_page_instead_of_listing_every_document(app, owner_client):
    job_id = _finished_import(app, owner_client.user.shop_id, matched=3, unmatched=45)
    partial = owner_client.get(f"/settings/accounting/jobs/{job_id}", headers=HTMX).get_data(as_text=True)
    assert "<table" not in partial and "No matching order" not in partial
    assert f'href="/settings/accounting/jobs/{job_id}/documents">See the imported invoices</a>' in partial


def test_import_result_page_has_a_summary_line_and_shows_twenty_documents_a_page(app, owner_client):
    job_id = _finished_import(app, owner_client.user.shop_id, matched=3, unmatched=45)
    url = f"/settings/accounting/jobs/{job_id}/documents"
    html = owner_client.get(url).get_data(as_text=True)
    assert "48 invoices from SuperFaktura, imported" in html
    assert "3 matched to orders in your shop, 45 without a matching order." in html
    assert len(_rows(html)) == 20 and "Page 1 of 3" in html
    assert f'href="{url}?page=2" rel="next"' in html
    last = owner_client.get(f"{url}?page=3").get_data(as_text=True)
    assert len(_rows(last)) == 8 and "Page 3 of 3" in last and 'rel="next"' not in last
    seen = set(_rows(html)) | set(_rows(owner_client.get(f"{url}?page=2").get_data(as_text=True))) | set(_rows(last))
    assert len(seen) == 48
    # A page past the end shows the last one, not an empty list or an error.
    assert "Page 3 of 3" in owner_client.get(f"{url}?page=99").get_data(as_text=True)


def test_import_result_filters_matched_and_unmatched_documents(app, owner_client):
    job_id = _finished_import(app, owner_client.user.shop_id, matched=3, unmatched=45)
    url = f"/settings/accounting/jobs/{job_id}/documents"
    matched = owner_client.get(f"{url}?show=matched").get_data(as_text=True)
    assert len(_rows(matched)) == 3 and "No matching order" not in re.search(r"<tbody>.*</tbody>", matched, re.S).group(
        0
    )
    assert re.search(r'aria-current="page">Matched to an order <span class="count">3</span>', matched)
    unmatched = owner_client.get(f"{url}?show=unmatched&page=3").get_data(as_text=True)
    assert len(_rows(unmatched)) == 5 and "✓ Order" not in unmatched
    assert f'href="{url}?show=unmatched&amp;page=2" rel="prev"' in unmatched
    everything = owner_client.get(f"{url}?show=bogus").get_data(as_text=True)
    assert re.search(r'aria-current="page">All <span class="count">48</span>', everything)


def test_import_result_page_of_an_unfinished_job_leads_to_its_progress(app, owner_client):
    job_id = _finished_import(app, owner_client.user.shop_id, matched=0, unmatched=1)
    with app.app_context():
        db.session.get(Job, job_id).state = "running"
        db.session.commit()
    response = owner_client.get(f"/settings/accounting/jobs/{job_id}/documents")
    assert response.status_code == 302 and response.headers["Location"] == f"/settings/accounting/jobs/{job_id}"


def test_another_shop_cannot_open_the_import_result(app, client, make_user):
    from .conftest import login

    a = make_user("a@shop.test", shop_name="A")
    make_user("b@shop.test", shop_name="B")
    job_id = _finished_import(app, a.shop_id, matched=1, unmatched=1)
    login(client, "b@shop.test")
    assert client.get(f"/settings/accounting/jobs/{job_id}/documents").status_code == 404


def test_integration_log_is_paged_in_compact_rows_of_twenty_five(app, owner_client):
    with app.app_context():
        for _ in range(30):
            db.session.add(
                ApiCall(
                    shop_id=owner_client.user.shop_id,
                    system="superfaktura",
                    operation="verify",
                    method="GET",
                    url="https://example/x",
                    status=200,
                    created_at=utcnow(),
                )
            )
        db.session.commit()
    html = owner_client.get("/settings/accounting/log/").get_data(as_text=True)
    assert '<table class="stack compact log">' in html
    assert len(re.findall(r'href="/settings/accounting/log/\d+"', html)) == 25
    assert 'href="/settings/accounting/log/?page=2"' in html
    second = owner_client.get("/settings/accounting/log/?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/settings/accounting/log/\d+"', second)) == 5
