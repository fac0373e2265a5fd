"""Console sessions past their time are deleted a bounded batch at a time, on SQLite and
PostgreSQL; those still valid stay (the schedule that runs it: tests/api/test_floods.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from infra.database import engine_for
from store.sessions import sweep_expired
from store.tables import ConsoleSession


def test_expired_sessions_go_in_bounded_batches(any_database: str) -> None:
    engine = engine_for(any_database)
    now = datetime.now(UTC)
    with Session(engine) as db:
        db.exec(delete(ConsoleSession))  # type: ignore[call-overload]
        for n in range(11):  # signed in and pending alike, expired a while ago or just now
            actor = {"pending": {"state": "s"}} if n % 2 else {"user_id": f"cw-{n}"}
            db.add(ConsoleSession(token_hash=f"old-{n}", actor=actor, csrf="c", language="fi",
                                  expires_at=now - timedelta(minutes=n)))
        for n in range(3):
            db.add(ConsoleSession(token_hash=f"live-{n}", actor={"user_id": f"cw-{n}"},
                                  csrf="c", language="fi",
                                  expires_at=now + timedelta(minutes=n + 1)))
        db.commit()

    assert sweep_expired(engine, now, batch=3, batches=2) == 6  # at most 2 statements of 3
    assert sweep_expired(engine, now, batch=3, batches=2) == 5
    assert sweep_expired(engine, now, batch=3, batches=2) == 0
    with Session(engine) as db:
        assert sorted(db.exec(select(ConsoleSession.token_hash))) == ["live-0", "live-1",
                                                                      "live-2"]
    assert sweep_expired(engine, now + timedelta(minutes=2)) == 2
