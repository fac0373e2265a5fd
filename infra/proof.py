"""The proof that a step came from the API: an HMAC, under a key derived from the master keys
(so only the API and the worker hold it), over the case, the step's name, its metadata (who,
the version they saw, the key, the audited intent's request id) and its body.

The API seals every step it sends (`api.gateway`); the worker's validator checks the seal
before anything else (`worker.proof`). Someone who reaches Temporal's frontend can send an
update, but cannot make a seal: their step is refused and leaves no trace. A seal names the
master key it was made under, so a rotated key still proves the steps sealed before the
rotation, and the newest seals new ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, TypeVar

from pydantic import BaseModel

from infra.codec import MasterKeys

PROOF = "proof"
M = TypeVar("M", bound=BaseModel)
# The opening of a case (a start, not an update) under its proof and fingerprint.
OPENING = "open_case"


class StepProofs:
    def __init__(self, masters: MasterKeys) -> None:
        self._masters = masters

    def seal(self, case_id: str, step: str, meta: BaseModel, body: BaseModel) -> str:
        """The proof to carry in the step's metadata (its `proof` field), over every field."""
        kid = self._masters.newest_id
        return f"{kid}:{self._mac(kid, canonical(case_id, step, meta, body))}"

    def sealed(self, case_id: str, step: str, meta: M, body: BaseModel) -> M:
        """`meta` with its proof: what the API sends with a step."""
        return meta.model_copy(update={PROOF: self.seal(case_id, step, meta, body)})

    def holds(self, case_id: str, step: str, meta: BaseModel, body: BaseModel) -> bool:
        """Whether the models, as decoded from what the API sent, carry its seal. Over the
        fields the API sent (those set in the decoded models): a worker of a newer release,
        whose models have a field more, still checks an older API's seal."""
        proof = getattr(meta, PROOF, None)
        kid, _, mac = (proof or "").partition(":")
        if not mac or kid not in self._masters:
            return False
        sent = canonical(case_id, step, meta, body, exclude_unset=True)
        return hmac.compare_digest(mac, self._mac(kid, sent))

    def _mac(self, kid: str, signed: bytes) -> str:
        digest = hmac.new(self._masters.proof_key(kid), signed, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def canonical(case_id: str, step: str, meta: BaseModel, body: BaseModel, *,
              exclude_unset: bool = False) -> bytes:
    """What a proof covers: canonical JSON of the case, the step, its metadata (but the proof)
    and its body."""
    signed: dict[str, Any] = {
        "case": case_id, "step": step,
        "meta": meta.model_dump(mode="json", exclude={PROOF}, exclude_unset=exclude_unset),
        "body": body.model_dump(mode="json", exclude_unset=exclude_unset)}
    return json.dumps(signed, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
