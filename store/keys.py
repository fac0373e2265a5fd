"""The cases' data keys, stored in the read model's database wrapped by a master key: made
with the case, unwrapped once per process and cached for a while, destroyed to shred the case.
The master keys themselves come from configuration (`infra.codec.MasterKeys`); on the embedded
defaults from a key file made while no case has a data key yet."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, func, inspect, select, update
from sqlmodel import Session

from infra.codec import KeyShredded, KeyUnavailable, MasterKeys, open_sealed, seal
from infra.database import engine_for, writer
from infra.keyfiles import private_file
from infra.settings import Settings
from store.tables import CaseKey, SearchTerm

CACHE_SECONDS = 300  # how long a process keeps an unwrapped data key; shredding waits this out


def case_keys(settings: Settings) -> CaseKeys:
    """The process's case keys: one set per process, shared by its codec and its stores."""
    engine = engine_for(settings.database)
    return CaseKeys(engine, master_keys(settings, engine))


def master_keys(settings: Settings, engine: Engine) -> MasterKeys:
    if source := settings.payload_key_source():
        return MasterKeys.parse(source.load())
    # Development: a key of its own in the data folder, made while no case has a data key.
    # Its id is new each time, so a new key never passes for a lost one.
    path = settings.data_dir / "keys" / "payload-keys"
    if not path.exists() and (held := _wrapped_by(engine)):
        kid, cases = next(iter(held.items()))
        raise KeyUnavailable(kid, cases)
    text = private_file(path, lambda: (
        f"dev-{secrets.token_hex(4)}:"
        f"{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}".encode()))
    return MasterKeys.parse(text.decode())



def _wrapped_by(engine: Engine) -> dict[str, int]:
    """How many data keys each master key wraps (none before the schema exists)."""
    if not inspect(engine).has_table(CaseKey.__tablename__):
        return {}
    with Session(engine) as session:
        return dict(session.execute(select(CaseKey.master_key_id, func.count())
                                    .group_by(CaseKey.master_key_id)).all())


class CaseKeys:
    """The cases' data keys: created on first use, unwrapped once, cached for a while."""

    def __init__(self, engine: Engine, masters: MasterKeys, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine, self.masters, self._clock = engine, masters, clock
        # Oldest first: every key is kept as long, so the expired ones are always at the front.
        self._cache: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()
        self._lock = threading.Lock()  # loads run in threads (`asyncio.to_thread`)

    def seal(self, case_id: str, purpose: str, data: bytes, *, create: bool = True) -> bytes:
        """Encrypt data of the case stored outside Temporal (blocking on a cache miss)."""
        key = self.cached(case_id) or self.load(case_id, create=create)
        return seal(key, data, f"{purpose}:{case_id}".encode())

    def open(self, case_id: str, purpose: str, sealed: bytes) -> bytes:
        """Decrypt what `seal` made; KeyShredded once the case is shredded."""
        key = self.cached(case_id) or self.load(case_id, create=False)
        return open_sealed(key, sealed, f"{purpose}:{case_id}".encode())

    def cached(self, case_id: str) -> AESGCM | None:
        hit = self._cache.get(case_id)
        return hit[1] if hit and hit[0] > self._clock() else None

    def load(self, case_id: str, *, create: bool) -> AESGCM:
        """The case's key from the database (blocking); a new one if it has none and `create`."""
        with Session(self._engine) as session:
            row = session.get(CaseKey, case_id)
        if row is None and create:
            row = self._create(case_id)
        if row is None:
            raise KeyShredded(f"no data key for {case_id}")
        key = AESGCM(self._unwrap(row))
        now = self._clock()
        with self._lock:
            self._cache[case_id] = (now + CACHE_SECONDS, key)
            self._cache.move_to_end(case_id)
            # Expired keys leave memory at the next load, not only use: else each case a process
            # ever touched keeps its unwrapped key (2.7 KB: the worker grew by a quarter GB over
            # 100,000 cases), a shredded case's too.
            while self._cache and next(iter(self._cache.values()))[0] <= now:
                self._cache.popitem(last=False)
        return key

    def _unwrap(self, row: CaseKey) -> bytes:
        if row.master_key_id not in self.masters:
            raise KeyUnavailable(row.master_key_id)
        try:
            return open_sealed(self.masters[row.master_key_id], row.wrapped, row.case_id.encode())
        except InvalidTag:
            raise KeyUnavailable(row.master_key_id) from None

    def check(self) -> None:
        """At start-up: each master key that wrapped a stored data key is held, and is the key
        it was (one of its data keys opens). Raises KeyUnavailable naming the first that is not."""
        for kid, cases in _wrapped_by(self._engine).items():
            with Session(self._engine) as session:
                row = session.execute(select(CaseKey).where(CaseKey.master_key_id == kid)
                                      .limit(1)).scalar_one()
            try:
                self._unwrap(row)
            except KeyUnavailable:
                raise KeyUnavailable(kid, cases) from None

    def _create(self, case_id: str) -> CaseKey:
        # A writer's transaction (on SQLite, the write lock up front), and a second look inside
        # it: another process may have made the key meanwhile.
        with Session(writer(self._engine), expire_on_commit=False) as session:
            row = session.get(CaseKey, case_id)
            if row is not None:
                return row
            wrapped = seal(self.masters[self.masters.newest_id], AESGCM.generate_key(256),
                            case_id.encode())
            row = CaseKey(case_id=case_id, master_key_id=self.masters.newest_id,
                          wrapped=wrapped, created_at=datetime.now(UTC))
            session.add(row)
            session.commit()
            return row

    def to_rewrap(self) -> int:
        """How many data keys an older master key still wraps."""
        return sum(n for kid, n in _wrapped_by(self._engine).items()
                   if kid != self.masters.newest_id)

    def rewrap(self, batch: int = 200) -> int:
        """Wrap up to `batch` data keys that an older master key wraps under the newest one;
        return how many. Each in a transaction of its own, only if still as read: safe beside
        running processes (they hold both masters) and to stop and start again at any point.
        Once none is left, the older master can leave the configuration."""
        with Session(self._engine) as session:
            rows = session.execute(select(CaseKey).where(
                CaseKey.master_key_id != self.masters.newest_id).limit(batch)).scalars().all()
        done = 0
        for row in rows:
            wrapped = seal(self.masters[self.masters.newest_id], self._unwrap(row),
                           row.case_id.encode())
            with Session(writer(self._engine)) as session:
                done += session.execute(update(CaseKey).where(
                    CaseKey.case_id == row.case_id, CaseKey.master_key_id == row.master_key_id,
                ).values(master_key_id=self.masters.newest_id, wrapped=wrapped)).rowcount
                session.commit()
        return done

    def shred(self, case_id: str) -> bool:
        """Destroy the case's data key: what was sealed under it stays where it is, unreadable.
        Its blind-index terms go with it: a shredded case is found by no one's name."""
        with self._lock:
            self._cache.pop(case_id, None)
        with Session(self._engine) as session:
            removed = session.execute(delete(CaseKey).where(CaseKey.case_id == case_id)).rowcount
            session.execute(delete(SearchTerm).where(SearchTerm.case_id == case_id))
            session.commit()
        return bool(removed)


