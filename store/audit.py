"""The audit log: append-only, each entry chained to the one before by a SHA-256 hash.

An entry's hash covers its canonical encoding (sorted keys, UTC instants with microseconds, no
whitespace) including the previous entry's hash and its own sequence number. Changing, deleting
or reordering any entry therefore breaks the chain at that entry, and `verify` names it. The
database refuses UPDATE and DELETE on the table (triggers in the migration); the chain is what
tells when someone with more rights than the API did it anyway.

Someone who rewrites the log from some entry on, hashes and head row included, leaves a chain
that verifies on its own. So the head is anchored elsewhere: every few seconds the writer copies
it (sequence number and hash) into the read model's database and into the process's log, and
`verify` checks the chain against every anchor it is given. A cut tail or a rewritten stretch
before an anchor no longer matches it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from infra.codec import KeyShredded
from infra.database import writer
from store.keys import CaseKeys
from store.queries import position_after, token_for
from store.tables import AuditAnchor, AuditCheckpoint, AuditEntry, AuditHead

GENESIS = "0" * 64
AUDIT, SEALED = "audit", "sealed:"
HASHED = ("seq", "at", "actor_id", "role", "agency", "kind", "action", "case_id", "reason",
          "request_id", "outcome", "prev_hash")
# Hashed only when set, so the entries written before them still verify.
HASHED_WHEN_SET = ("office",)


class Record(BaseModel):
    """What the caller knows of one command or read; `append` adds time, place and hashes.

    Bounded as the table's columns are: an entry that would not fit is refused here, where it is
    made, and never reaches (or fails) a batch of others. The reason is sealed before it is
    stored, so its bound is the sealed text's."""

    actor_id: str = Field(max_length=64)
    role: str | None = Field(default=None, max_length=30)
    agency: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=10)  # command | read | access (break the glass)
    action: str = Field(max_length=60)
    case_id: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=64_000)
    request_id: str | None = Field(default=None, max_length=100)
    outcome: str = Field(max_length=60)
    office: str | None = Field(default=None, max_length=30)


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
    fields |= {name: value for name in HASHED_WHEN_SET
               if (value := getattr(entry, name)) is not None}
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
    entries: int  # walked by this check
    head_seq: int
    first_bad_seq: int | None = None
    problem: str | None = None
    checked_from: int = 1  # the first entry walked (after the checkpoint, if it started there)
    last_full_walk: datetime | None = None  # when the whole chain was last walked intact

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def verify(engine: Engine, anchors: Engine | None = None, batch: int = 5000, *,
           full: bool = True, seen: Callable[[int], None] = lambda _: None) -> Verdict:
    """Walk the chain up to its head as read at the start, and name the first entry that does
    not match, the chain's own links first, then the anchors kept in `anchors` (the read
    model's database). From the first entry (`full`), or from the checkpoint an intact walk
    left in `anchors`: that entry must still be as it was and no entry before it missing, and
    the walk goes on from it. An entry before the checkpoint altered in place is seen only by a
    full walk, which must therefore run now and then (`last_full_walk` says when it last did).
    An intact walk moves the checkpoint to the head. `seen(n)` hears of each batch walked."""
    anchored = _anchors(anchors) if anchors is not None else {}
    start = None if full or anchors is None else checkpoint(anchors)
    with Session(engine) as session:
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        expected_seq, prev, count = 1, GENESIS, 0
        if start is not None:
            if problem := _checkpoint_problem(session, start):
                return Verdict(0, head.seq, start.seq, problem, last_full_walk=start.full_at)
            expected_seq, prev = start.seq + 1, start.hash
        for entry in _in_order(session, batch, after=expected_seq - 1, until=head.seq,
                               seen=seen):
            count += 1
            if problem := _mismatch(entry, expected_seq, prev, anchored):
                return Verdict(count, head.seq, min(entry.seq, expected_seq), problem)
            prev, expected_seq = entry.hash, expected_seq + 1
        if (head.seq, head.hash) != (expected_seq - 1, prev):
            bad = min(head.seq, expected_seq)
            return Verdict(count, head.seq, bad,
                           f"the chain ends at entry {expected_seq - 1}, the head says {head.seq}")
        beyond = max((seq for seq in anchored if seq >= expected_seq), default=None)
        if beyond is not None:
            return Verdict(count, head.seq, expected_seq, f"the chain ends at entry "
                           f"{expected_seq - 1}, but entry {beyond} was anchored: the tail was cut")
    last_full = None if start is None else start.full_at
    if anchors is not None and head.seq:
        last_full = _keep_checkpoint(anchors, head.seq, head.hash, full=start is None)
    return Verdict(count, head.seq, checked_from=expected_seq - count, last_full_walk=last_full)


def _checkpoint_problem(session: Session, start: AuditCheckpoint) -> str | None:
    at = session.get(AuditEntry, start.seq)
    if at is None or at.hash != start.hash or digest(at) != at.hash:
        return (f"entry {start.seq} is not the one verified on {start.at:%Y-%m-%d %H:%M}: the "
                "log was rewritten from there or before")
    before = session.execute(select(func.count(), func.min(AuditEntry.seq)).where(
        AuditEntry.seq <= start.seq)).one()
    if tuple(before) != (start.seq, 1):
        return f"entries before entry {start.seq} were deleted since it was verified"
    return None


def _mismatch(entry: AuditEntry, expected_seq: int, prev: str,
              anchored: dict[int, str]) -> str | None:
    if entry.seq != expected_seq:
        return f"entry {min(entry.seq, expected_seq)} is missing or out of order"
    if entry.prev_hash != prev:
        return f"entry {entry.seq} does not follow the entry before it"
    if digest(entry) != entry.hash:
        return f"entry {entry.seq} was altered"
    if anchored.get(entry.seq, entry.hash) != entry.hash:
        return (f"entry {entry.seq} is not the one anchored: the log was rewritten from there "
                "or before")
    return None


def checkpoint(engine: Engine) -> AuditCheckpoint | None:
    with Session(engine) as session:
        return session.get(AuditCheckpoint, 1)


def _keep_checkpoint(engine: Engine, seq: int, hash_: str, *, full: bool) -> datetime | None:
    """Move the checkpoint to the head a walk found intact; return when the whole chain was
    last walked."""
    now = datetime.now(UTC)
    try:
        with Session(writer(engine)) as session:
            row = session.get(AuditCheckpoint, 1) or AuditCheckpoint(id=1, seq=seq, hash=hash_)
            row.seq, row.hash, row.at = seq, hash_, now
            if full:
                row.full_at = now
            session.add(row)
            session.commit()
            return row.full_at
    except IntegrityError:  # another first check made the row meanwhile: it will do
        return now if full else None


def anchor(engine: Engine, seq: int, hash_: str) -> None:
    """Keep the head as it is now; once per sequence number."""
    with Session(engine) as session:
        if session.get(AuditAnchor, seq) is None:
            session.add(AuditAnchor(seq=seq, hash=hash_, at=datetime.now(UTC)))
            session.commit()


def _anchors(engine: Engine) -> dict[int, str]:
    with Session(engine) as session:
        return dict(session.execute(select(AuditAnchor.seq, AuditAnchor.hash)).all())


def _in_order(session: Session, batch: int, *, after: int = 0, until: int | None = None,
              seen: Callable[[int], None] = lambda _: None) -> Iterator[AuditEntry]:
    """Entries after `after` (up to `until`: entries appended during the walk are the next
    walk's), in order, a batch at a time."""
    while True:
        query = select(AuditEntry).where(AuditEntry.seq > after)
        if until is not None:
            query = query.where(AuditEntry.seq <= until)
        page = session.execute(query.order_by(AuditEntry.seq).limit(batch)).scalars().all()
        yield from page
        seen(len(page))
        if len(page) < batch:
            return
        after = page[-1].seq
        session.expunge_all()


def entries_for(engine: Engine, case_id: str, *,
                kinds: tuple[str, ...] | None = None) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).where(AuditEntry.case_id == case_id)
        if kinds is not None:
            query = query.where(AuditEntry.kind.in_(kinds))
        return list(session.execute(query.order_by(AuditEntry.seq)).scalars().all())


def break_glass(engine: Engine, *, office: str | None, page_size: int,
                page_token: str | None) -> tuple[list[AuditEntry], str | None]:
    """Accesses that broke the glass, newest first; of one office's cases, or all."""
    query = select(AuditEntry).where(AuditEntry.kind == "access")
    if office is not None:
        query = query.where(AuditEntry.office == office)
    if page_token:
        query = query.where(AuditEntry.seq < position_after(page_token))
    with Session(engine) as session:
        rows = list(session.execute(query.order_by(AuditEntry.seq.desc()).limit(page_size + 1))
                    .scalars().all())
    more = len(rows) > page_size
    rows = rows[:page_size]
    return rows, token_for(rows[-1].seq) if more else None
