"""PDFs of issued documents, kept in the archive storage (a local folder under `instance/` by
default, S3-compatible object storage when `ARCHIVE_URL=s3://bucket/prefix`), never in the
database. The merchant downloads them from the order page; the retention period is
`ARCHIVE_RETENTION_DAYS` (accounting documents are kept for years)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from connectors.documents import Pdf

from ...extensions import db
from ...models import Document, PostStep, utcnow
from .. import archive
from ..connections import calls


def storage() -> archive.ArchiveStorage:
    """One storage per app (the S3 client is reused)."""
    cached = current_app.extensions.get("fynode_archive")
    if cached is None:
        cached = archive.archive_from_config(current_app.config)
        current_app.extensions["fynode_archive"] = cached
    return cached


def filename_of(document: Document) -> str:
    return f"{(document.number or document.remote_id or document.id)}.pdf".replace("/", "-")


def store(document: Document, content: bytes) -> None:
    created = (document.issued_at or document.created_at or utcnow()).date()
    key = archive.document_key(document.shop_id, document.id, document.number or document.remote_id or "", created)
    storage().put(key, content)
    document.archive_key = key
    document.archive_state = PostStep.DONE
    document.archived_at = utcnow()
    db.session.commit()


def load(document: Document) -> bytes | None:
    if not document.archive_key:
        return None
    try:
        return storage().get(document.archive_key)
    except archive.ArchiveMissing:
        return None


def pdf_of(document: Document) -> Pdf:
    """The document's PDF: the archived copy, else fetched from the system and archived.
    Raises ConnectorError when the system cannot give it (not ready yet, refused)."""
    archived = load(document)
    if archived is not None:
        return Pdf(content=archived, filename=filename_of(document))
    with calls.connector_session(document.integration, document_id=document.id, order_id=document.order_id) as call:
        pdf = call.connector.get_pdf(document.remote_id or "", kind=document.kind)
    store(document, pdf.content)
    return Pdf(content=pdf.content, filename=filename_of(document), content_type=pdf.content_type)


def purge_expired() -> int:
    """Drop archived PDFs past the retention period (the document row and its number stay)."""
    days = int(current_app.config.get("ARCHIVE_RETENTION_DAYS", 3650))
    removed = archive.purge(storage(), days)
    cutoff = utcnow() - timedelta(days=days)
    db.session.execute(
        db.update(Document).where(Document.archived_at < cutoff).values(archive_key=None, archive_state=PostStep.NONE)
    )
    db.session.commit()
    return removed
