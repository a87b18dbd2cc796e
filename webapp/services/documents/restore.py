"""After a database restore: documents the backup holds as not yet created may have been created
in the accounting system after the backup was taken (the worker went on issuing until the
disaster). The restored rows do not know it, and a vendor guard alone does not stop a second
create at every vendor (the backup-and-restore drill in tests/web/test_drills.py proved it).

`mark_for_lookup()` makes every such document ask the system for the document created with its
idempotency key (`find_by_reference`) before it creates anything: the same path a lost answer
takes. Run it (`flask after-restore`) on the restored database before the worker starts.
"""

from __future__ import annotations

from webapp.models.types import changed_rows

from ...extensions import db
from ...models import Document, DocumentState


def mark_for_lookup() -> int:
    """Every pending, in-flight or failed document looks itself up before its next create.
    Returns how many rows were marked."""
    marked = changed_rows(
        db.session.execute(
            db.update(Document)
            .where(
                Document.state.in_((DocumentState.PENDING, DocumentState.CREATING, DocumentState.FAILED)),
                Document.is_test.is_(False),
                Document.needs_lookup.is_(False),
            )
            .values(needs_lookup=True)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return marked
