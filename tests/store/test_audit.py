"""The audit chain: appends stay in one chain under concurrency, the database refuses changes,
and any altered, deleted or reordered entry is named by verify. SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError

from infra.database import engine_for
from store.audit import Record, append, entries_for, verify


def record(n: int, case_id: str | None = "case-aaaaaaaaaaaaaaaaaaaa") -> Record:
    return Record(actor_id=f"cw-{n % 3}", role="caseworker", agency="joutseno",
                  kind="read" if n % 2 else "command", action=f"action_{n}", case_id=case_id,
                  reason=f"reason {n}", request_id=f"req-{n}", outcome="200")


@pytest.fixture
def engine(any_database: str) -> Engine:
    engine = engine_for(any_database)
    for n in range(1, 11):
        append(engine, record(n))
    return engine


def tamper(engine: Engine, sql: str) -> None:
    """What someone with the database's owner rights (more than the API's) could do."""
    with engine.begin() as conn:
        _triggers(conn, on=False)
        conn.execute(text(sql))
        _triggers(conn, on=True)


def _triggers(conn: Connection, *, on: bool) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE audit_log {'ENABLE' if on else 'DISABLE'} TRIGGER USER")
    elif not on:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    verdict = verify(engine)
    assert verdict.intact and verdict.entries == verdict.head_seq == 10
    rows = entries_for(engine, "case-aaaaaaaaaaaaaaaaaaaa", kinds=("read",))
    assert [r.seq for r in rows] == [1, 3, 5, 7, 9]
    assert rows[1].prev_hash == entries_for(engine, "case-aaaaaaaaaaaaaaaaaaaa")[1].hash


def test_concurrent_appends_form_one_chain(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: append(engine, record(n)), range(100, 180)))
    verdict = verify(engine)
    assert verdict.intact and verdict.entries == 90


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4",
    "DELETE FROM audit_log WHERE seq = 4",
])
def test_the_database_refuses_to_change_an_entry(engine: Engine, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    assert verify(engine).intact


@pytest.mark.parametrize(("sql", "bad", "problem"), [
    ("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4", 4, "entry 4 was altered"),
    ("UPDATE audit_log SET actor_id = 'cw-9' WHERE seq = 4", 4, "entry 4 was altered"),
    ("DELETE FROM audit_log WHERE seq = 4", 4, "entry 4 is missing or out of order"),
    # Reordered: entries 4 and 5 swap places (their sequence numbers).
    ("UPDATE audit_log SET seq = CASE seq WHEN 4 THEN 1004 ELSE 1005 END WHERE seq IN (4, 5);"
     "UPDATE audit_log SET seq = seq - 1000 + CASE seq WHEN 1004 THEN 1 ELSE -1 END "
     "WHERE seq > 1000", 4, "entry 4 does not follow the entry before it"),
    ("DELETE FROM audit_log WHERE seq = 10", 10, "the chain ends at entry 9, the head says 10"),
])
def test_verify_names_the_first_entry_that_does_not_match(engine: Engine, sql: str, bad: int,
                                                          problem: str) -> None:
    for statement in sql.split(";"):
        tamper(engine, statement)
    verdict = verify(engine)
    assert (verdict.intact, verdict.first_bad_seq, verdict.problem) == (False, bad, problem)
