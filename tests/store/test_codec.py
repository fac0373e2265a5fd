"""Payload encryption: per-case data keys under rotating master keys, and shredding."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    DefaultPayloadConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from infra import temporal
from infra.codec import (
    COMPRESSION,
    ENCODING,
    EXPAND_ALL_TO,
    EXPANDS_TO,
    KEY_REF,
    REFUSED,
    EnvelopeCodec,
    KeyShredded,
    KeyUnavailable,
    MasterKeys,
    seal,
    sealed_payload,
)
from infra.compression import METHODS, NEWEST, UnknownCompression
from infra.database import engine_for
from store.keys import CaseKeys
from tests.support.factories import master

CASE_A = "case-aaaaaaaaaaaaaaaaaaaa"
PLAIN = [Payload(metadata={"encoding": b"json/plain"}, data=b'{"surname": "Vasquez-Testperson"}')]


def codec_for(database_url: str, keys: str, case_id: str | None = "case-aaaaaaaaaaaaaaaaaaaa"
              ) -> EnvelopeCodec:
    codec = EnvelopeCodec(CaseKeys(engine_for(database_url), MasterKeys.parse(keys)))
    return codec.with_context(WorkflowSerializationContext(namespace="default",
                                                           workflow_id=case_id or "other"))


async def test_a_case_payload_is_sealed_under_its_own_key(database_url: str) -> None:
    keys = master("k1")
    (sealed,) = await codec_for(database_url, keys).encode(PLAIN)
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_REF] == b"case:case-aaaaaaaaaaaaaaaaaaaa"
    assert b"Vasquez" not in sealed.SerializeToString()
    # Any codec with the master keys decodes it, with or without knowing the workflow.
    assert await codec_for(database_url, keys, None).decode([sealed]) == PLAIN
    # Plaintext payloads (histories from before encryption) pass through outside a case only.
    assert await codec_for(database_url, keys, None).decode(PLAIN) == PLAIN


async def test_a_case_takes_only_what_is_sealed_under_its_own_key(database_url: str) -> None:
    """What someone else put in a case's history (Temporal's CLI, the Web UI's encoder, a
    payload of another case) decodes to a payload no converter reads: the update carrying it
    is rejected, and no workflow task fails on it."""
    keys = master("k1")
    (other_case,) = await codec_for(database_url, keys, "case-bbbbbbbbbbbbbbbbbbbb").encode(PLAIN)
    (outside,) = await codec_for(database_url, keys, None).encode(PLAIN)
    (own,) = await codec_for(database_url, keys).encode(PLAIN)
    decoded = await codec_for(database_url, keys).decode([PLAIN[0], other_case, outside, own])
    assert decoded == [REFUSED, REFUSED, REFUSED, PLAIN[0]]
    with pytest.raises(KeyError, match="refused/not-sealed-for-this-case"):
        DefaultPayloadConverter().from_payload(REFUSED)
    # The switch for replaying histories recorded before encryption reads them as they are.
    legacy = EnvelopeCodec(CaseKeys(engine_for(database_url), MasterKeys.parse(keys)),
                           legacy=True).with_context(WorkflowSerializationContext(
                               namespace="default", workflow_id=CASE_A))
    assert await legacy.decode([PLAIN[0], outside]) == PLAIN * 2


async def test_outside_a_case_the_newest_master_key_seals(database_url: str) -> None:
    (sealed,) = await codec_for(database_url, master("k1"), None).encode(PLAIN)
    assert sealed.metadata[KEY_REF] == b"master:k1"


async def test_rotation_newest_key_wraps_older_keys_still_open(database_url: str) -> None:
    old = master("k1")
    (before,) = await codec_for(database_url, old).encode(PLAIN)
    rotated = f"{master('k2')},{old}"
    assert await codec_for(database_url, rotated).decode([before]) == PLAIN
    (outside,) = await codec_for(database_url, rotated, None).encode(PLAIN)
    assert outside.metadata[KEY_REF] == b"master:k2"
    newcase = codec_for(database_url, rotated).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="case-bbbbbbbbbbbbbbbbbbbb"))
    (sealed,) = await newcase.encode(PLAIN)
    assert await codec_for(database_url, rotated, None).decode([sealed]) == PLAIN
    with pytest.raises(KeyUnavailable, match="'k2'"):  # k1 alone cannot unwrap it
        await codec_for(database_url, old, None).decode([sealed])


async def test_altered_or_moved_ciphertext_does_not_open(database_url: str) -> None:
    keys = master("k1")
    codec = codec_for(database_url, keys)
    (sealed,) = await codec.encode(PLAIN)
    flipped = Payload(metadata=sealed.metadata,
                      data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    outside = codec_for(database_url, keys, None)
    with pytest.raises(InvalidTag):
        await outside.decode([flipped])
    # In the case's own context an altered payload is refused like a forged one: raising would
    # fail the workflow task, and the case would freeze on it.
    assert await codec.decode([flipped]) == [REFUSED]
    other = codec_for(database_url, keys, "case-bbbbbbbbbbbbbbbbbbbb")
    await other.encode(PLAIN)
    moved = Payload(metadata={**sealed.metadata, KEY_REF: b"case:case-bbbbbbbbbbbbbbbbbbbb"},
                    data=sealed.data)
    with pytest.raises(InvalidTag):
        await outside.decode([moved])
    assert await other.decode([moved]) == [REFUSED]


async def test_a_shredded_case_cannot_be_read_again(database_url: str) -> None:
    keys = master("k1")
    (sealed,) = await codec_for(database_url, keys).encode(PLAIN)
    masters = MasterKeys.parse(keys)
    assert CaseKeys(engine_for(database_url), masters).shred("case-aaaaaaaaaaaaaaaaaaaa")
    with pytest.raises(KeyShredded):
        await codec_for(database_url, keys, None).decode([sealed])


# A case state's worth of JSON: repetitive, as a state is.
LARGE = [Payload(metadata={"encoding": b"json/plain"},
                 data=b'{"deadlines": [' + b",".join(
                     b'{"kind": "admission_decision", "status": "met", "rule_source": '
                     b'"Act 746/2011 ch. 6 a"}' for _ in range(40)) + b"]}")]


async def test_a_large_payload_is_compressed_before_it_is_sealed(database_url: str) -> None:
    keys = master("k1")
    codec = codec_for(database_url, keys)
    (sealed,) = await codec.encode(LARGE)
    assert sealed.metadata[COMPRESSION] == NEWEST
    assert len(sealed.data) < len(LARGE[0].SerializeToString()) / 4
    assert await codec_for(database_url, keys, None).decode([sealed]) == LARGE
    (small,) = await codec.encode(PLAIN)
    assert COMPRESSION not in small.metadata  # too small to gain anything


async def test_the_compression_flag_is_bound_to_the_ciphertext(database_url: str) -> None:
    keys = master("k1")
    codec = codec_for(database_url, keys)
    (sealed,) = await codec.encode(LARGE)
    stripped = Payload(metadata={k: v for k, v in sealed.metadata.items() if k != COMPRESSION},
                       data=sealed.data)
    (small,) = await codec.encode(PLAIN)
    claimed = Payload(metadata={**small.metadata, COMPRESSION: b"zlib"}, data=small.data)
    other = Payload(metadata={**sealed.metadata, COMPRESSION: b"zlib"}, data=sealed.data)
    for altered in (stripped, claimed, other):
        with pytest.raises(InvalidTag):
            await codec_for(database_url, keys, None).decode([altered])
        assert await codec.decode([altered]) == [REFUSED]


async def test_a_payload_sealed_before_compression_still_opens(database_url: str) -> None:
    keys = master("k1")
    codec = codec_for(database_url, keys)
    ref = "case:case-aaaaaaaaaaaaaaaaaaaa"
    key = await codec._case_key("case-aaaaaaaaaaaaaaaaaaaa", create=True)  # noqa: SLF001
    # As the codec sealed every payload before: uncompressed, the key reference as the AAD.
    old = Payload(metadata={"encoding": ENCODING, KEY_REF: ref.encode()},
                  data=seal(key, LARGE[0].SerializeToString(), ref.encode()))
    assert await codec.decode([old]) == LARGE


# A payload the release before sealed (plain zlib; AAD `<ref>;zlib`) under a known master key.
PREVIOUS_KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
PREVIOUS = Payload(metadata={"encoding": ENCODING, KEY_REF: b"master:k1", COMPRESSION: b"zlib"},
                   data=base64.b64decode(
    "mDSvpVe8IBO8prLdT0wy6qt7K0kZ5ORL+gD9y1l7xxKlvmGyyJum3OZo4NHQl5uf7beNcDWSQxLTEK059mbjHDlqJ"
    "ochM2ZmQGILwXmkpFcSCrKal/ayO77DYsI30EeOKHRVT8uQtpw24WHH0IVGwqiVrmhOfnxwBEg7zfV+xgL0Alclo"
    "CUGWJIM1AjkkCkZXdV89MnemlzagJuSuNLjEyL4JijotYsosl8KZP7VzwZIZvg="))


async def test_a_payload_of_the_release_before_still_opens(database_url: str) -> None:
    assert await codec_for(database_url, PREVIOUS_KEY, None).decode([PREVIOUS]) == LARGE


async def test_every_method_seals_what_it_opens(database_url: str) -> None:
    keys = master("k1")
    codec = codec_for(database_url, keys)
    key = await codec._case_key("case-aaaaaaaaaaaaaaaaaaaa", create=True)  # noqa: SLF001
    for method in METHODS:
        sealed = sealed_payload(key, "case:case-aaaaaaaaaaaaaaaaaaaa",
                                LARGE[0].SerializeToString(), method)
        assert sealed.metadata[COMPRESSION] == method
        assert await codec.decode([sealed]) == LARGE


async def test_a_method_this_release_does_not_know_is_refused(database_url: str) -> None:
    codec = codec_for(database_url, master("k1"))
    key = await codec._case_key("case-aaaaaaaaaaaaaaaaaaaa", create=True)  # noqa: SLF001
    ref = "case:case-aaaaaaaaaaaaaaaaaaaa"
    # As a later release would seal it: an authentic payload under a method not known here.
    newer = Payload(metadata={"encoding": ENCODING, KEY_REF: ref.encode(),
                              COMPRESSION: b"zstd-d9"},
                    data=seal(key, b"\x28\xb5\x2f\xfd", f"{ref};zstd-d9".encode()))
    with pytest.raises(UnknownCompression, match="'zstd-d9', which this release does not read"):
        await codec.decode([newer])


async def test_a_payload_that_would_expand_beyond_its_bound_is_refused(
        database_url: str) -> None:
    codec = codec_for(database_url, master("k1"))
    zeros = [Payload(metadata={"encoding": b"json/plain"}, data=bytes(EXPANDS_TO))]
    (bomb,) = await codec.encode(zeros)
    assert len(bomb.data) < 10_000  # a few KB sealed: what a caller could send by thousands
    with pytest.raises(ValueError, match="expands beyond"):
        await codec.decode([bomb])
    (fits,) = await codec.encode([Payload(data=bytes(EXPANDS_TO // 2))])
    assert len(await codec.decode([fits] * 4)) == 4
    with pytest.raises(ValueError, match="expands beyond"):  # all of one call together
        await codec.decode([fits] * (EXPAND_ALL_TO // (EXPANDS_TO // 2) + 1))
    # The call's budget used up exactly: the next payload gets no room (zlib's 0 is no limit).
    size = EXPANDS_TO - 5  # a payload's own framing: tag and length of its data
    (whole,) = await codec.encode([Payload(data=bytes(size))])
    assert len(Payload(data=bytes(size)).SerializeToString()) == EXPANDS_TO
    assert len(await codec.decode([whole] * (EXPAND_ALL_TO // EXPANDS_TO))) == 4
    with pytest.raises(ValueError, match="expands beyond"):
        await codec.decode([whole] * (EXPAND_ALL_TO // EXPANDS_TO) + [fits])


async def test_compression_can_be_turned_off_for_an_upgrade(database_url: str) -> None:
    keys = master("k1")
    plain = EnvelopeCodec(CaseKeys(engine_for(database_url), MasterKeys.parse(keys)),
                          compress=None).with_context(WorkflowSerializationContext(
                              namespace="default", workflow_id="case-aaaaaaaaaaaaaaaaaaaa"))
    (sealed,) = await plain.encode(LARGE)
    assert COMPRESSION not in sealed.metadata
    assert await codec_for(database_url, keys).decode([sealed]) == LARGE


async def test_the_converter_kept_for_a_case_seals_under_that_case_alone(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(temporal, "CONVERTERS_KEPT", 2)
    case_keys = CaseKeys(engine_for(database_url), MasterKeys.parse(master("k1")))
    converter = temporal.data_converter(case_keys)
    workflow = WorkflowSerializationContext(namespace="default", workflow_id=CASE_A)
    activity = ActivitySerializationContext(
        namespace="default", workflow_id=CASE_A, workflow_type="CaseWorkflow",
        activity_type="project_case", activity_task_queue="casework", is_local=False,
        activity_id="1")
    kept = converter.with_context(workflow)
    # The same case in another context: the converter made for it, not a new one.
    assert converter.with_context(activity) is kept
    (sealed,) = await kept.encode([{"surname": "Vasquez-Testperson"}])
    assert sealed.metadata[KEY_REF] == f"case:{CASE_A}".encode()
    other = converter.with_context(WorkflowSerializationContext(
        namespace="default", workflow_id="case-bbbbbbbbbbbbbbbbbbbb"))
    assert other is not kept
    (theirs,) = await other.encode([{"surname": "Vasquez-Testperson"}])
    assert theirs.metadata[KEY_REF] == b"case:case-bbbbbbbbbbbbbbbbbbbb"
    outside = converter.with_context(WorkflowSerializationContext(
        namespace="default", workflow_id="casework-archive"))
    (sealed_outside,) = await outside.encode([{"n": 1}])
    assert sealed_outside.metadata[KEY_REF] == b"master:k1"
    # At most CONVERTERS_KEPT are kept: the first case's was let go, and is made again.
    assert converter.with_context(workflow) is not kept
    # A kept converter holds no key of its own: once the case is shredded it reads nothing.
    kept = converter.with_context(activity)
    assert case_keys.shred(CASE_A)
    with pytest.raises(KeyShredded):
        await kept.decode([sealed])


class Contextual(DefaultPayloadConverter, WithSerializationContext):
    """A payload converter that would write differently for each workflow."""

    def __init__(self, workflow_id: str | None = None) -> None:
        super().__init__()
        self.workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> Contextual:
        return Contextual(getattr(context, "workflow_id", None))


def test_a_converter_taking_the_context_cannot_be_kept_per_case() -> None:
    with pytest.raises(TypeError, match="Contextual takes the context"):
        temporal.CaseDataConverter(payload_converter_class=Contextual)


async def test_a_failure_is_sealed_and_names_no_value_it_refused(database_url: str) -> None:
    """A validation error repeats the value it refused: in a failure (history, a pending
    activity's details, archived histories) only where and what is said, and that sealed."""
    from pydantic import BaseModel, ValidationError
    from temporalio.api.failure.v1 import Failure

    class Phone(BaseModel):
        number: int

    keys = CaseKeys(engine_for(database_url), MasterKeys.parse(master("k1")))
    converter = temporal.data_converter(keys).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id=CASE_A))
    try:
        Phone.model_validate({"number": "+358 40 1234567"})
    except ValidationError as err:
        try:
            raise RuntimeError("Failed decoding arguments") from err
        except RuntimeError as wrapped:
            failure = Failure()
            await converter.encode_failure(wrapped, failure)
    assert b"1234567" not in failure.SerializeToString()
    assert failure.message == "Encoded failure" and failure.cause.message == "Encoded failure"
    assert failure.cause.encoded_attributes.metadata["encoding"] == ENCODING
    opened = await temporal.failure_message(converter, failure)
    assert opened == "Failed decoding arguments"
    said = await temporal.failure_message(converter, failure.cause)
    assert said == "1 validation error(s) for Phone: number: Input should be a valid integer, " \
        "unable to parse string as an integer"
    assert "1234567" not in said
    # Once the case is shredded, nobody reads it again.
    keys.shred(CASE_A)
    with pytest.raises(KeyShredded):
        await temporal.failure_message(temporal.data_converter(
            CaseKeys(engine_for(database_url), keys.masters)), failure)
