"""The audit log: append-only, each entry chained to the one before by a SHA-256 hash.

An entry's hash covers its canonical encoding (sorted keys, UTC instants with microseconds, no
whitespace) including the previous entry's hash and its own sequence number. Changing, deleting
or reordering any entry therefore breaks the chain at that entry, and `verify` names it. The
database refuses UPDATE and DELETE on the table (triggers in the migration); the chain is what
tells when someone with more rights than the API did it anyway.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlmodel import Session

from infra.codec import CaseKeys, KeyShredded
from infra.database import writer
from store.tables import AuditEntry, AuditHead

GENESIS = "0" * 64
AUDIT, SEALED = "audit", "sealed:"
HASHED = ("seq", "at", "actor_id", "role", "agency", "kind", "action", "case_id", "reason",
          "request_id", "outcome", "prev_hash")


class Record(BaseModel):
    """What the caller knows of one command or read; `append` adds time, place and hashes."""

    actor_id: str
    role: str | None = None
    agency: str | None = None
    kind: str
    action: str
    case_id: str | None = None
    reason: str | None = None
    request_id: str | None = None
    outcome: str


def sealed(keys: CaseKeys, record: Record) -> Record:
    """The record with its reason (free text: it may name someone) sealed under the case's key,
    so shredding the case erases it while the chain, hashed over the sealed form, still verifies.
    A reason with no case to seal it under is not kept."""
    reason = None
    if record.reason and record.case_id:
        try:
            reason = SEALED + base64.b64encode(keys.seal(
                record.case_id, AUDIT, record.reason.encode(), create=False)).decode()
        except KeyShredded:  # no such case (or no longer): nothing to attach the reason to
            pass
    return record.model_copy(update={"reason": reason})


def reason_of(keys: CaseKeys, entry: AuditEntry) -> str | None:
    if not entry.reason or not entry.case_id:
        return None
    try:
        return keys.open(entry.case_id, AUDIT,
                         base64.b64decode(entry.reason.removeprefix(SEALED))).decode()
    except KeyShredded:
        return "[shredded]"


def canonical(entry: AuditEntry) -> bytes:
    fields: dict[str, Any] = {name: getattr(entry, name) for name in HASHED}
    fields["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(fields, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def digest(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def append(engine: Engine, *records: Record) -> list[AuditEntry]:
    """Add entries at the end of the chain, in one transaction. Appends are serialised by the
    lock on the head row (and, on SQLite, by the write lock the transaction takes at its
    start)."""
    with Session(writer(engine), expire_on_commit=False) as session:
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                               .with_for_update()).scalar_one()
        entries = []
        for record in records:
            entry = AuditEntry(seq=head.seq + 1, at=datetime.now(UTC), prev_hash=head.hash,
                               hash="", **record.model_dump())
            entry.hash = digest(entry)
            head.seq, head.hash = entry.seq, entry.hash
            entries.append(entry)
        session.add_all(entries)
        session.commit()
        return entries


@dataclass(frozen=True)
class Verdict:
    entries: int
    head_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def verify(engine: Engine, batch: int = 5000) -> Verdict:
    """Walk the chain from the first entry; name the first that does not match."""
    with Session(engine) as session:
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        expected_seq, prev, count = 1, GENESIS, 0
        for entry in _in_order(session, batch):
            count += 1
            if entry.seq != expected_seq:
                bad = min(entry.seq, expected_seq)
                return Verdict(count, head.seq, bad, f"entry {bad} is missing or out of order")
            if entry.prev_hash != prev:
                return Verdict(count, head.seq, entry.seq,
                               f"entry {entry.seq} does not follow the entry before it")
            if digest(entry) != entry.hash:
                return Verdict(count, head.seq, entry.seq, f"entry {entry.seq} was altered")
            prev, expected_seq = entry.hash, expected_seq + 1
        if (head.seq, head.hash) != (expected_seq - 1, prev):
            bad = min(head.seq, expected_seq)
            return Verdict(count, head.seq, bad,
                           f"the chain ends at entry {expected_seq - 1}, the head says {head.seq}")
        return Verdict(count, head.seq)


def _in_order(session: Session, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        page = session.execute(select(AuditEntry).where(AuditEntry.seq > after)
                               .order_by(AuditEntry.seq).limit(batch)).scalars().all()
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq
        session.expunge_all()


def entries_for(engine: Engine, case_id: str, *, kind: str | None = None) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).where(AuditEntry.case_id == case_id)
        if kind is not None:
            query = query.where(AuditEntry.kind == kind)
        return list(session.execute(query.order_by(AuditEntry.seq)).scalars().all())
