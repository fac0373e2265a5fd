"""Payload encryption: AES-256-GCM, envelope style, with a data key per case.

Every payload of a case's workflow (its input, updates, queries, activity inputs and results) is
encrypted under that case's own data key. The data key is stored in the database wrapped by a
master key, so destroying that one row (`casework shred`) makes the case's personal data
unreadable everywhere it was copied: Temporal's history, the archived histories, the read model.
Payloads outside any case use the newest master key directly.

Master keys come from configuration (CASEWORK_PAYLOAD_KEYS, newest first; in development a key
file in the data folder, made only while no case has a data key, under an id of its own),
never from the repository. A process refuses to start when a stored data key's master key is
missing or is not the one it was wrapped with (`CaseKeys.check`): lost keys are a
configuration fault to fix, not a hiccup to retry. The newest key wraps new data keys and
encrypts new payloads, and the older keys still decrypt: rotation is adding a key at the front.
A payload's metadata names its key ("case:<id>" or "master:<kid>"), so the Web UI's codec
endpoint can decode it without knowing which workflow it came from. The key reference is also the
authenticated data of the encryption, so a ciphertext cannot be passed off as another case's.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, func, inspect, select
from sqlmodel import Session
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

from infra.database import writer
from infra.keyfiles import private_file
from infra.settings import Settings
from store.tables import CaseKey

ENCODING = b"binary/encrypted"
KEY_REF = "encryption-key-id"
NONCE = 12
CACHE_SECONDS = 300  # how long a process keeps an unwrapped data key; shredding waits this out


class KeyUnavailable(Exception):
    """A case's data key is wrapped by a master key the process does not hold (or holds a
    different key under that id). Permanent until an operator restores the key."""

    def __init__(self, master_key_id: str, cases: int = 1) -> None:
        super().__init__(f"{cases} case data key(s) are wrapped by master key "
                         f"'{master_key_id}', which the configured master keys cannot open: "
                         "restore it (CASEWORK_PAYLOAD_KEYS, or the key file of the embedded "
                         "defaults)")
        self.master_key_id = master_key_id


class KeyShredded(Exception):
    """The payload's data key no longer exists: its case was shredded."""


class MasterKeys:
    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one master key is needed")
        for kid, key in keys:
            if len(key) != 32 or ":" in kid or "," in kid:
                raise ValueError(f"master key {kid!r} must be 32 bytes under a plain id")
        self.newest_id = keys[0][0]
        self._keys = {kid: AESGCM(key) for kid, key in keys}

    def __getitem__(self, kid: str) -> AESGCM:
        return self._keys[kid]

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """`kid:base64url-key,kid:…`, newest first."""
        pairs = [item.strip().split(":", 1) for item in text.split(",") if item.strip()]
        return cls([(kid, base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)))
                    for kid, key in pairs])

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> MasterKeys:
        if settings.payload_keys:
            return cls.parse(settings.payload_keys)
        # Development: a key of its own in the data folder, made while no case has a data key.
        # Its id is new each time, so a new key never passes for a lost one.
        path = settings.data_dir / "keys" / "payload-keys"
        if not path.exists() and (held := _wrapped_by(engine)):
            kid, cases = next(iter(held.items()))
            raise KeyUnavailable(kid, cases)
        text = private_file(path, lambda: (
            f"dev-{secrets.token_hex(4)}:"
            f"{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}".encode()))
        return cls.parse(text.decode())

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys


def _wrapped_by(engine: Engine) -> dict[str, int]:
    """How many data keys each master key wraps (none before the schema exists)."""
    if not inspect(engine).has_table(CaseKey.__tablename__):
        return {}
    with Session(engine) as session:
        return dict(session.execute(select(CaseKey.master_key_id, func.count())
                                    .group_by(CaseKey.master_key_id)).all())


class CaseKeys:
    """The cases' data keys: created on first use, unwrapped once, cached for a while."""

    def __init__(self, engine: Engine, masters: MasterKeys) -> None:
        self._engine, self.masters = engine, masters
        self._cache: dict[str, tuple[float, AESGCM]] = {}

    def seal(self, case_id: str, purpose: str, data: bytes, *, create: bool = True) -> bytes:
        """Encrypt data of the case stored outside Temporal (blocking on a cache miss)."""
        key = self.cached(case_id) or self.load(case_id, create=create)
        return _seal(key, data, f"{purpose}:{case_id}".encode())

    def open(self, case_id: str, purpose: str, sealed: bytes) -> bytes:
        """Decrypt what `seal` made; KeyShredded once the case is shredded."""
        key = self.cached(case_id) or self.load(case_id, create=False)
        return _open(key, sealed, f"{purpose}:{case_id}".encode())

    def cached(self, case_id: str) -> AESGCM | None:
        hit = self._cache.get(case_id)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def load(self, case_id: str, *, create: bool) -> AESGCM:
        """The case's key from the database (blocking); a new one if it has none and `create`."""
        with Session(self._engine) as session:
            row = session.get(CaseKey, case_id)
        if row is None and create:
            row = self._create(case_id)
        if row is None:
            raise KeyShredded(f"no data key for {case_id}")
        key = AESGCM(self._unwrap(row))
        self._cache[case_id] = (time.monotonic() + CACHE_SECONDS, key)
        return key

    def _unwrap(self, row: CaseKey) -> bytes:
        if row.master_key_id not in self.masters:
            raise KeyUnavailable(row.master_key_id)
        try:
            return _open(self.masters[row.master_key_id], row.wrapped, row.case_id.encode())
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
            wrapped = _seal(self.masters[self.masters.newest_id], AESGCM.generate_key(256),
                            case_id.encode())
            row = CaseKey(case_id=case_id, master_key_id=self.masters.newest_id,
                          wrapped=wrapped, created_at=datetime.now(UTC))
            session.add(row)
            session.commit()
            return row

    def shred(self, case_id: str) -> bool:
        """Destroy the case's data key: what was sealed under it stays where it is, unreadable."""
        self._cache.pop(case_id, None)
        with Session(self._engine) as session:
            removed = session.execute(delete(CaseKey).where(CaseKey.case_id == case_id)).rowcount
            session.commit()
        return bool(removed)


class EnvelopeCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, keys: CaseKeys, case_id: str | None = None) -> None:
        self._masters, self._keys, self._case_id = keys.masters, keys, case_id

    def with_context(self, context: SerializationContext) -> EnvelopeCodec:
        workflow_id = getattr(context, "workflow_id", None)
        case_id = workflow_id if workflow_id and workflow_id.startswith("case-") else None
        return EnvelopeCodec(self._keys, case_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self._case_id:
            ref, key = f"case:{self._case_id}", await self._case_key(self._case_id, create=True)
        else:
            ref = f"master:{self._masters.newest_id}"
            key = self._masters[self._masters.newest_id]
        return [Payload(metadata={"encoding": ENCODING, KEY_REF: ref.encode()},
                        data=_seal(key, payload.SerializeToString(), ref.encode()))
                for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption: histories of older cases
                continue
            ref = payload.metadata[KEY_REF].decode()
            kind, _, name = ref.partition(":")
            if kind != "case" and name not in self._masters:
                raise KeyUnavailable(name)
            key: Any = (await self._case_key(name, create=False) if kind == "case"
                        else self._masters[name])
            out.append(Payload.FromString(_open(key, payload.data, ref.encode())))
        return out

    async def _case_key(self, case_id: str, *, create: bool) -> AESGCM:
        return self._keys.cached(case_id) or await asyncio.to_thread(
            self._keys.load, case_id, create=create)


def _seal(key: AESGCM, data: bytes, aad: bytes) -> bytes:
    """A fresh nonce, then the ciphertext with its tag; `aad` binds it to what it belongs to."""
    nonce = secrets.token_bytes(NONCE)
    return nonce + key.encrypt(nonce, data, aad)


def _open(key: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    return key.decrypt(sealed[:NONCE], sealed[NONCE:], aad)
