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

A payload of more than a few hundred bytes is compressed (`infra.compression`: deflate with a
preset dictionary) before it is sealed, which the metadata says and the authenticated data
binds: a case's state is JSON that shrinks about ninefold, and it is in the history at every
step (the step's answer, the projection's input), so this is most of a history's size.
Ciphertext does not compress, hence before. (Compressing before encrypting lets the
ciphertext's length vary with the content; telling anything from it would need someone who
reads the history's sizes and also writes into the same case at will.)
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Sequence
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

from infra.compression import NEWEST, compressed, expanded

ENCODING = b"binary/encrypted"
KEY_REF = "encryption-key-id"
NONCE = 12
COMPRESSION = "compression"
# Smaller payloads (ids, versions, short answers) gain nothing from compression.
COMPRESS_FROM = 256
# What compressed payloads may expand to: one (Temporal refuses payloads over 2 MiB), and all
# of one call together (the codec endpoint decodes what a caller sends).
EXPANDS_TO, EXPAND_ALL_TO = 4 * 2**20, 16 * 2**20


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
        # The key that proves a step came from the API (`infra.proof`): derived, so the API
        # and the worker hold it exactly when they hold the master key, and nobody else does.
        self._proof_keys = {kid: _derived(key, b"casework step proof v1") for kid, key in keys}
        # The key of the blind indexes (`store.blind`), newest first: rotated with the master
        # key; a search tries every one held, and a case is indexed again under the newest.
        self.index_keys = [_derived(key, b"casework blind index v1") for _, key in keys]

    def __getitem__(self, kid: str) -> AESGCM:
        return self._keys[kid]

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """`kid:base64url-key,kid:…`, newest first."""
        pairs = [item.strip().split(":", 1) for item in text.split(",") if item.strip()]
        return cls([(kid, base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)))
                    for kid, key in pairs])

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys

    def proof_key(self, kid: str) -> bytes:
        return self._proof_keys[kid]


def _derived(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


# What a payload a case must not take decodes to: not sealed, or sealed under another key than
# the case's own. Only the API and the worker seal a case's payloads, so such a payload was made
# by someone else (a client of Temporal's frontend, say). No converter reads this encoding, so
# an update carrying it is rejected (never in history) and a start fails its task. Raising here
# instead would fail the whole workflow task, and a case would freeze on one forged update.
REFUSED = Payload(metadata={"encoding": b"refused/not-sealed-for-this-case"})


class DataKeys(Protocol):
    """Where the codec finds a case's data key (`store.keys.CaseKeys`)."""

    masters: MasterKeys

    def cached(self, case_id: str) -> AESGCM | None: ...

    def load(self, case_id: str, *, create: bool) -> AESGCM: ...


class EnvelopeCodec(PayloadCodec, WithSerializationContext):
    """`compress` names the compression method payloads are sealed with (None: uncompressed;
    every method is read either way): an older one for a rolling upgrade from a release that
    cannot read the newest."""

    """`legacy` also reads, in a case's context, payloads written before encryption or before
    a case had a key of its own: only for replaying such histories, never on a live worker
    (every new start, update and signal of a case is sealed under its key by the API)."""

    def __init__(self, keys: DataKeys, case_id: str | None = None, *,
                 compress: bytes | None = NEWEST, legacy: bool = False) -> None:
        self._masters, self._keys, self._case_id = keys.masters, keys, case_id
        self._compress, self._legacy = compress, legacy

    @property
    def masters(self) -> MasterKeys:
        return self._masters

    def with_context(self, context: SerializationContext) -> EnvelopeCodec:
        return EnvelopeCodec(self._keys, case_of(context), compress=self._compress,
                             legacy=self._legacy)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self._case_id:
            ref, key = f"case:{self._case_id}", await self._case_key(self._case_id, create=True)
        else:
            ref = f"master:{self._masters.newest_id}"
            key = self._masters[self._masters.newest_id]
        return [sealed_payload(key, ref, payload.SerializeToString(), self._compress)
                for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out, allowed = [], EXPAND_ALL_TO
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                # Written before encryption: histories of older cases, for the legacy switch.
                out.append(payload if self._may_take_legacy() else REFUSED)
                continue
            ref = payload.metadata[KEY_REF].decode()
            if self._case_id and ref != f"case:{self._case_id}" and not self._may_take_legacy():
                out.append(REFUSED)
                continue
            kind, _, name = ref.partition(":")
            if kind != "case" and name not in self._masters:
                raise KeyUnavailable(name)
            key: Any = (await self._case_key(name, create=False) if kind == "case"
                        else self._masters[name])
            method = payload.metadata.get(COMPRESSION)
            try:
                data = open_sealed(key, payload.data, _aad(ref, method))
            except InvalidTag:
                if self._case_id:  # altered on its way into the case: as any forged payload
                    out.append(REFUSED)
                    continue
                raise
            if method is not None:
                data = expanded(data, method, min(EXPANDS_TO, allowed))
                allowed -= len(data)
            out.append(Payload.FromString(data))
        return out

    def _may_take_legacy(self) -> bool:
        """Outside a case (the Web UI's codec endpoint, say) any payload is read as it is."""
        return self._legacy or not self._case_id

    async def _case_key(self, case_id: str, *, create: bool) -> AESGCM:
        return self._keys.cached(case_id) or await asyncio.to_thread(
            self._keys.load, case_id, create=create)


def case_of(context: SerializationContext) -> str | None:
    """The case whose key seals what is sent in this context (None: the master key)."""
    workflow_id = getattr(context, "workflow_id", None)
    return workflow_id if workflow_id and workflow_id.startswith("case-") else None


def sealed_payload(key: AESGCM, ref: str, data: bytes, method: bytes | None = NEWEST
                   ) -> Payload:
    metadata = {"encoding": ENCODING, KEY_REF: ref.encode()}
    if method is not None and len(data) >= COMPRESS_FROM:
        data = compressed(data, method)
        metadata[COMPRESSION] = method
    return Payload(metadata=metadata, data=seal(key, data, _aad(ref, metadata.get(COMPRESSION))))


def _aad(ref: str, method: bytes | None) -> bytes:
    """The key reference, and how the sealed bytes are compressed (payloads sealed before
    compression existed have the reference alone)."""
    return ref.encode() + b";" + method if method is not None else ref.encode()


def seal(key: AESGCM, data: bytes, aad: bytes) -> bytes:
    """A fresh nonce, then the ciphertext with its tag; `aad` binds it to what it belongs to."""
    nonce = secrets.token_bytes(NONCE)
    return nonce + key.encrypt(nonce, data, aad)


def open_sealed(key: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    return key.decrypt(sealed[:NONCE], sealed[NONCE:], aad)
