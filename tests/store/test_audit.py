"""The audit chain: appends stay in one chain under concurrency, the database refuses changes,
and any altered, deleted or reordered entry is named by verify. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError

from infra.database import engine_for
from store.audit import Record, anchor, append, entries_for, verify
from tests.support.waiting import eventually


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


def cut_tail_and_head(engine: Engine, keep: int) -> None:
    """Someone with the owner's rights cuts the log after entry `keep` and rewrites the head to
    match: a chain that verifies on its own."""
    with engine.begin() as conn:
        last = conn.execute(text("SELECT hash FROM audit_log WHERE seq = :s"),
                            {"s": keep}).scalar_one()
    tamper(engine, f"DELETE FROM audit_log WHERE seq > {keep}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                     {"s": keep, "h": last})


def rewrite_from(engine: Engine, seq: int) -> None:
    """A consistent rewrite: entry `seq` gets another reason, and every hash from it on is
    computed again, the head's too."""
    from sqlmodel import Session, select

    from store.audit import digest
    from store.tables import AuditEntry, AuditHead

    with Session(engine) as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        rows = [(e.seq, e.model_copy()) for e in entries]
    prev = None
    with engine.begin() as conn:
        _triggers(conn, on=False)
        for n, entry in rows:
            if n < seq:
                prev = entry.hash
                continue
            if n == seq:
                entry.reason = "nothing to see"
            entry.prev_hash = prev
            entry.hash = digest(entry)
            prev = entry.hash
            conn.execute(text("UPDATE audit_log SET reason = :r, prev_hash = :p, hash = :h "
                              "WHERE seq = :s"), {"r": entry.reason, "p": entry.prev_hash,
                                                  "h": entry.hash, "s": n})
        conn.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
        _triggers(conn, on=True)
    assert AuditHead  # (imported for the reader: the head row is what was rewritten)


def test_a_cut_tail_with_its_head_rewritten_is_caught_by_an_anchor(engine: Engine,
                                                                   database_url: str) -> None:
    anchors = engine_for(database_url)  # kept elsewhere: here a SQLite file of its own
    head = entries_for(engine, "case-aaaaaaaaaaaaaaaaaaaa")[-1]
    anchor(anchors, head.seq, head.hash)
    cut_tail_and_head(engine, keep=7)
    assert verify(engine).intact  # the chain alone cannot tell
    verdict = verify(engine, anchors)
    assert (verdict.intact, verdict.first_bad_seq) == (False, 8)
    assert verdict.problem == "the chain ends at entry 7, but entry 10 was anchored: the tail " \
                              "was cut"


def test_a_consistent_rewrite_before_an_anchor_is_caught(engine: Engine,
                                                         database_url: str) -> None:
    anchors = engine_for(database_url)
    anchor(anchors, 8, entries_for(engine, "case-aaaaaaaaaaaaaaaaaaaa")[7].hash)
    rewrite_from(engine, 5)
    assert verify(engine).intact
    verdict = verify(engine, anchors)
    assert (verdict.intact, verdict.first_bad_seq) == (False, 8)
    assert "not the one anchored" in (verdict.problem or "")


def test_a_check_starts_where_the_last_intact_walk_ended(engine: Engine,
                                                        database_url: str) -> None:
    anchors = engine_for(database_url)
    assert verify(engine, anchors).entries == 10  # the first walk: the whole chain
    for n in range(11, 16):
        append(engine, record(n))
    verdict = verify(engine, anchors, full=False)
    assert (verdict.intact, verdict.entries, verdict.checked_from) == (True, 5, 11)
    assert verify(engine, anchors, full=False).entries == 0  # nothing new since
    tamper(engine, "UPDATE audit_log SET reason = 'changed' WHERE seq = 15")
    verdict = verify(engine, anchors, full=False)
    assert (verdict.intact, verdict.first_bad_seq) == (False, 15)


def test_a_rewrite_up_to_the_checkpoint_is_caught_where_the_walk_starts(
        engine: Engine, database_url: str) -> None:
    anchors = engine_for(database_url)
    assert verify(engine, anchors).intact  # checkpoint at entry 10
    rewrite_from(engine, 5)  # consistent: the chain alone cannot tell
    assert verify(engine).intact
    verdict = verify(engine, anchors, full=False)
    assert (verdict.intact, verdict.first_bad_seq, verdict.entries) == (False, 10, 0)
    assert "not the one verified" in (verdict.problem or "")


def test_a_check_from_the_checkpoint_sees_deletions_and_says_when_it_last_walked_all(
        engine: Engine, database_url: str) -> None:
    """An entry before the checkpoint deleted is caught at the start; one altered in place is
    the full walk's to find, and the check says when that last ran."""
    anchors = engine_for(database_url)
    full = verify(engine, anchors)
    assert full.intact and full.last_full_walk is not None
    tamper(engine, "UPDATE audit_log SET reason = 'changed' WHERE seq = 4")
    quick = verify(engine, anchors, full=False)
    assert quick.intact and quick.last_full_walk == full.last_full_walk  # not seen from here
    assert (verify(engine, anchors).first_bad_seq) == 4  # the full walk sees it
    tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    verdict = verify(engine, anchors, full=False)
    assert (verdict.intact, verdict.first_bad_seq) == (False, 10)
    assert "deleted" in (verdict.problem or "")


async def test_one_bad_entry_fails_only_its_own_writer(engine: Engine) -> None:
    from api.audit_trail import AuditUnavailable, AuditWriter
    from infra.codec import MasterKeys
    from store.keys import CaseKeys

    keys = CaseKeys(engine, MasterKeys.parse(f"k1:{'A' * 43}"))
    writer = AuditWriter(engine, keys)
    good = [writer.write(record(n, case_id=None)) for n in range(100, 110)]
    # What a bug could make (the model refuses it when made): a value the column refuses.
    bad = writer.write(Record.model_construct(**{**record(0, case_id=None).model_dump(),
                                                 "outcome": None}))
    results = await asyncio.gather(*good[:5], bad, *good[5:], return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType"] * 5 + ["AuditUnavailable"] + [
        "NoneType"] * 5
    assert isinstance(results[5], AuditUnavailable)
    verdict = verify(engine)
    assert verdict.intact and verdict.entries == 20


def test_an_entry_that_would_not_fit_is_refused_where_it_is_made() -> None:
    from pydantic import ValidationError

    for field, value in (("request_id", "r" * 101), ("action", "a" * 61),
                         ("actor_id", "x" * 65), ("kind", "k" * 11)):
        with pytest.raises(ValidationError):
            Record(**{**record(1).model_dump(), field: value})


async def test_the_head_is_anchored_soon_after_it_moves_and_never_holds_up_the_log(
        engine: Engine, audit_database_url: str) -> None:
    from sqlalchemy import make_url

    from api.audit_trail import AuditWriter
    from infra.codec import MasterKeys
    from store.keys import CaseKeys
    from tests.support.databases import locked

    anchors = engine_for(audit_database_url)  # a database of its own, as the read model is
    keys = CaseKeys(engine, MasterKeys.parse(f"k1:{'A' * 43}"))
    writer = AuditWriter(engine, keys, anchors, anchor_every=0.3)

    async def anchored() -> int:
        with anchors.connect() as conn:
            return conn.execute(text("SELECT max(seq) FROM audit_anchor")).scalar() or 0

    async def anchored_at(seq: int) -> bool:
        return await anchored() == seq

    await writer.write(record(100, case_id=None))
    await eventually(lambda: anchored_at(11))  # the first anchor at once
    for n in range(101, 104):
        await writer.write(record(n, case_id=None))
    await eventually(lambda: anchored_at(14))  # the last too, though nothing came after them
    # With the anchors' database locked, entries are written all the same: the anchor waits.
    assert make_url(audit_database_url).get_backend_name() == "sqlite"
    with locked(audit_database_url):
        await writer.write(record(104, case_id=None))
        assert await anchored() == 14
    await eventually(lambda: anchored_at(15))
    assert verify(engine, anchors).intact
