"""The API's seal on a step (`infra.proof`): made only with the master keys, bound to every
field, and checked by a worker of a newer release too."""

from __future__ import annotations

from pydantic import BaseModel

from infra.codec import MasterKeys
from infra.proof import StepProofs
from tests.support import factories as f

CASE = "case-aaaaaaaaaaaaaaaaaaaa"


class Meta(BaseModel):
    actor: str
    proof: str | None = None


class Body(BaseModel):
    reason: str


class NewerBody(Body):
    """The same step in a newer release, with a field more."""

    note: str | None = None


def sent(meta: Meta, body: BaseModel, as_: type[BaseModel] = Body) -> tuple[Meta, BaseModel]:
    """What the worker decodes from what the API sent."""
    return Meta.model_validate_json(meta.model_dump_json()), as_.model_validate_json(
        body.model_dump_json())


def sealed(proofs: StepProofs, meta: Meta, body: BaseModel) -> Meta:
    return proofs.sealed(CASE, "record", meta, body)


def test_a_seal_holds_for_what_was_sent_and_nothing_else() -> None:
    proofs = StepProofs(MasterKeys.parse(f.PAYLOAD_KEYS))
    meta, body = sealed(proofs, Meta(actor="cw-anna"), Body(reason="r")), Body(reason="r")
    assert proofs.holds(CASE, "record", *sent(meta, body))
    assert not proofs.holds("case-bbbbbbbbbbbbbbbbbbbb", "record", *sent(meta, body))
    assert not proofs.holds(CASE, "exit", *sent(meta, body))
    assert not proofs.holds(CASE, "record", *sent(meta, Body(reason="other")))
    assert not proofs.holds(CASE, "record", *sent(meta.model_copy(update={"actor": "lead"}),
                                                  body))
    assert not proofs.holds(CASE, "record", *sent(Meta(actor="cw-anna"), body))  # no seal
    # A worker of a newer release checks an older API's seal; a field the API did not send,
    # set by someone else, breaks it.
    assert proofs.holds(CASE, "record", *sent(meta, body, NewerBody))
    assert not proofs.holds(CASE, "record", *sent(meta, NewerBody(reason="r", note="x"),
                                                  NewerBody))


def test_only_the_master_keys_make_a_seal_and_rotation_keeps_old_ones() -> None:
    old = f.master("k1")
    meta, body = Meta(actor="cw-anna"), Body(reason="r")
    before = sealed(StepProofs(MasterKeys.parse(old)), meta, body)
    rotated = StepProofs(MasterKeys.parse(f"{f.master('k2')},{old}"))
    assert rotated.holds(CASE, "record", *sent(before, body))
    assert (sealed(rotated, meta, body).proof or "").startswith("k2:")
    impostor = StepProofs(MasterKeys.parse(f.master("k1")))  # the same id, another key
    assert not impostor.holds(CASE, "record", *sent(before, body))
