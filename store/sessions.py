"""Console sessions past their time: signed-in sessions after their eight hours and sign-ins
left unfinished at the identity provider after their ten minutes. Nobody can use them any more
(`console.session` refuses an expired row); the API deletes them on a schedule, a bounded
batch at a time, so neither a flood of abandoned sign-ins nor a quiet month leaves them
piling up."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select

from store.tables import ConsoleSession

# Rows deleted by one statement, and statements by one sweep: a sweep holds the database's
# write lock briefly, and what it leaves waits for the next one.
BATCH = 500
BATCHES = 20


def sweep_expired(engine: Engine, now: datetime | None = None, batch: int = BATCH,
                  batches: int = BATCHES) -> int:
    """Delete expired sessions and pending sign-ins, at most `batch` rows a statement and
    `batches` statements; the number deleted."""
    now = now or datetime.now(UTC)
    expired = (select(ConsoleSession.token_hash)
               .where(ConsoleSession.expires_at <= now)  # type: ignore[arg-type]
               .limit(batch))
    deleted = 0
    for _ in range(batches):
        chosen = ConsoleSession.token_hash.in_(expired.scalar_subquery())  # type: ignore[attr-defined]
        with engine.begin() as conn:
            count = conn.execute(delete(ConsoleSession).where(chosen)).rowcount
        deleted += count
        if count < batch:
            break
    return deleted
