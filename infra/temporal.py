"""The Temporal client as the API, the worker and the tools all build it: same converter (with
the payload codec that encrypts every payload), same interceptors, same TLS."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.failure.v1 import Failure
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, TLSConfig
from temporalio.common import SearchAttributeKey
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadConverter,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError

from infra.codec import DataKeys, EnvelopeCodec, case_of
from infra.compression import NEWEST
from infra.settings import Settings


class TolerantJSONConverter(PydanticJSONPlainPayloadConverter):
    """Reads what another release of this code wrote. The models refuse a field they do not
    know (in a request, a misspelt field is an error, never silently dropped); in a payload,
    such a field was written by a newer release (a rolling deploy, a rollback), and is left out.
    Only a payload that names one pays for it: the rest decode as before."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as err:
            unknown = [e["loc"] for e in err.errors() if e["type"] == "extra_forbidden"]
            if not unknown or len(unknown) != err.error_count():
                raise
            data = json.loads(payload.data)
            for loc in unknown:
                *path, name = loc
                _at(data, path).pop(name, None)
            return super().from_payload(Payload(metadata=payload.metadata,
                                                 data=json.dumps(data).encode()), type_hint)


def _at(data: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        data = data[step]
    return data


class TolerantPayloadConverter(CompositePayloadConverter):
    """Temporal's default converters, JSON through `TolerantJSONConverter`."""

    def __init__(self) -> None:
        json_converter = TolerantJSONConverter()
        super().__init__(*(json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                           for c in DefaultPayloadConverter.default_encoding_payload_converters))


# Without encryption: for the workflow tests and the replay of recorded histories.
DATA_CONVERTER = DataConverter(payload_converter_class=TolerantPayloadConverter)
CONVERTERS_KEPT = 2048  # cases whose converter is kept; the worker holds 1,000 by default


@dataclasses.dataclass(frozen=True)
class CaseDataConverter(DataConverter):
    """Keeps the converter it made for each case. The SDK asks for one bound to the context of
    every payload that is not the workflow's own (an activity's input, its result) and twice
    for every activation, and each new one built a payload converter of its own as it was made
    (a twentieth of the worker's CPU). What the converter does depends on the case alone
    (`case_of`): only the codec takes the context, which `__post_init__` checks. Called on the
    event loop only, as the SDK does."""

    _per_case: dict[str | None, DataConverter] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        probe = WorkflowSerializationContext(namespace="", workflow_id="case-probe")
        for part, made_by in ((self.payload_converter, self.payload_converter_class),
                              (self.failure_converter, self.failure_converter_class)):
            if isinstance(part, WithSerializationContext) and part.with_context(probe) is not part:
                raise TypeError(f"{made_by.__name__} takes the context: a converter kept per "
                                "case would not do")

    def with_context(self, context: SerializationContext) -> DataConverter:
        case_id = case_of(context)
        made = self._per_case.get(case_id)
        if made is None:
            made = super().with_context(context)
            if len(self._per_case) >= CONVERTERS_KEPT:
                del self._per_case[next(iter(self._per_case))]
            self._per_case[case_id] = made
        return made


class SealedFailures(DefaultFailureConverterWithEncodedAttributes):
    """Failures whose message and stack trace the codec seals, and whose validation errors name
    where and what, never the value refused: pydantic repeats an input (a phone number, a
    name) in its message, and a failure reaches the history, a pending activity's details and
    the caller."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter,
                   failure: Failure) -> None:
        if isinstance(exception, ValidationError):
            scrubbed = ApplicationError(without_inputs(exception), type="ValidationError")
            scrubbed.__traceback__, scrubbed.__cause__ = exception.__traceback__, None
            exception = scrubbed
        super().to_failure(exception, payload_converter, failure)


def without_inputs(error: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                         for e in error.errors(include_url=False, include_input=False,
                                               include_context=False))
    return f"{error.error_count()} validation error(s) for {error.title}: {problems}"


def data_converter(keys: DataKeys, *, compress: bytes | None = NEWEST,
                   legacy: bool = False) -> DataConverter:
    """The converter of every client and worker: pydantic JSON, compressed, then AES-GCM per
    case. Failures too: their messages and stack traces go into an encoded attribute that the
    codec seals (a validation error repeats the values it refused), so the history, a pending
    activity's last failure and the archived histories hold ciphertext, which shredding
    reaches."""
    return CaseDataConverter(payload_converter_class=DATA_CONVERTER.payload_converter_class,
                             failure_converter_class=SealedFailures,
                             payload_codec=EnvelopeCodec(keys, compress=compress, legacy=legacy))


async def failure_message(converter: DataConverter, failure: Failure) -> str:
    """A failure's message as it was raised: sealed with the failure's encoded attributes (or,
    in a failure recorded before they were, in the clear)."""
    copy = Failure()
    copy.CopyFrom(failure)  # decoding works in place
    error = await converter.decode_failure(copy)
    return error.message if isinstance(error, FailureError) else str(error)


def _tls(settings: Settings) -> TLSConfig | bool:
    if not settings.temporal_tls:
        return False
    read = lambda p: p.read_bytes() if p else None  # noqa: E731
    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca_path),
        client_cert=read(settings.temporal_tls_cert_path),
        client_private_key=read(settings.temporal_tls_key_path),
        domain=settings.temporal_tls_server_name,
    )


async def connect(settings: Settings, keys: DataKeys, *, lazy: bool = False) -> Client:
    """A client for the configured cluster, encrypting with the process's case keys (one set
    per process: `store.keys.case_keys`). `lazy` connects on first use, so the API starts (and
    answers 503) while Temporal is down rather than refusing to start."""
    return await Client.connect(
        settings.temporal_target,
        lazy=lazy,
        namespace=settings.temporal_namespace,
        tls=_tls(settings),
        api_key=settings.temporal_api_key,
        data_converter=data_converter(keys, compress=settings.compression,
                                      legacy=settings.legacy_payloads),
        interceptors=[TracingInterceptor()],
    )


async def register_search_attributes(client: Client, namespace: str,
                                     attributes: Sequence[SearchAttributeKey[Any]]) -> list[str]:
    """Register the case search attributes the namespace lacks; return the names added.

    Idempotent. One call per attribute, because the test server cannot list them and a batch
    fails whole when one exists. Where the client may not administer the namespace, an operator
    runs `temporal operator search-attribute create` with the same names and types instead.
    """
    added = []
    for key in attributes:
        try:
            await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type)}))
            added.append(key.name)
        except RPCError as err:
            if "already exists" not in err.message:
                raise
    return added



# The server settings the workers rely on (a deploy sets them in the server's dynamic config):
# a run pinned to an older build is told at its next task that the current build changed, so it
# continues as new onto it (worker/versioning.py). Without it the runs still move, by override.
SERVER_DYNAMIC_CONFIG = {"system.enableSendTargetVersionChanged": "true"}


def dev_server_args() -> list[str]:
    """The dev server's command-line arguments for `SERVER_DYNAMIC_CONFIG`."""
    return [arg for key, value in SERVER_DYNAMIC_CONFIG.items()
            for arg in ("--dynamic-config-value", f"{key}={value}")]
