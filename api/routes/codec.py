"""The remote codec of the Temporal Web UI: `/codec/decode` (and `/codec/encode`) turn payloads
to and from their encrypted form for an authenticated user, so the UI shows a case's history to
those allowed to read it, and ciphertext to everyone else. Every decode is audited against each
case whose payloads it opened, so the case's access log shows it."""

from __future__ import annotations

from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Body, Depends, Request
from google.protobuf import json_format
from google.protobuf.json_format import ParseError
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payloads

from api.audit_trail import AuditedRoute
from api.deps import Gateway, ReaderDep, permitted
from api.gateway import CASE_ID, CaseGateway
from api.need_to_know import Reader
from api.problems import Code, Problem
from infra.codec import KEY_REF, KeyShredded, KeyUnavailable
from infra.compression import UnknownCompression
from workflows.rules.guards import STAFF

router = APIRouter(prefix="/codec", tags=["codec"], route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])
PayloadsBody = Annotated[dict[str, Any], Body(
    description='Temporal\'s remote codec format: {"payloads": [{"metadata": {…}, "data": "…"}]}',
    examples=[{"payloads": []}])]


@router.post("/decode", summary="Decrypt payloads for the Web UI (a case's only for those who "
             "may read it)")
async def decode(body: PayloadsBody, reader: ReaderDep, gateway: Gateway,
                 request: Request) -> dict[str, Any]:
    codec = request.app.state.codec
    payloads = _payloads(body).payloads
    cases = _cases(payloads)
    reader.audit.about(*cases)  # an entry in each case's access log
    await _may_open(reader, gateway, cases)
    try:
        decoded = await codec.decode(payloads)
    except UnknownCompression as err:  # authentic, from a newer release: say which method
        raise Problem(Code.INVALID_REQUEST, str(err)) from None
    except (KeyShredded, KeyUnavailable, InvalidTag, KeyError, ValueError, DecodeError):
        # The key reference is the caller's: never repeated back.
        raise Problem(Code.INVALID_REQUEST, "a payload cannot be decrypted: its key is unknown or "
                      "was shredded, or the payload is malformed or was altered") from None
    return json_format.MessageToDict(Payloads(payloads=decoded))


@router.post("/encode", summary="Encrypt payloads for the Web UI (e.g. a signal it sends)")
async def encode(body: PayloadsBody, reader: ReaderDep, gateway: Gateway,
                 request: Request) -> dict[str, Any]:
    payloads = _payloads(body).payloads
    await _may_open(reader, gateway, _cases(payloads))
    encoded = await request.app.state.codec.encode(payloads)
    return json_format.MessageToDict(Payloads(payloads=encoded))


async def _may_open(reader: Reader, gateway: CaseGateway, case_ids: list[str]) -> None:
    """Staff open a case's payloads as they may read the case: its office's, or with a reason
    (the case as it is now decides; an auditor reads every case)."""
    if reader.actor.role in STAFF:
        for case_id in case_ids:
            await reader.whole(await gateway.get(case_id))


def _cases(payloads: Any) -> list[str]:
    """The cases whose keys the payloads name, each once, in order."""
    refs = (p.metadata.get(KEY_REF, b"").decode(errors="replace") for p in payloads)
    ids = (ref.removeprefix("case:") for ref in refs if ref.startswith("case:"))
    return list(dict.fromkeys(i for i in ids if CASE_ID.match(i)))


def _payloads(body: dict[str, Any]) -> Payloads:
    try:
        return json_format.ParseDict(body, Payloads())
    except ParseError:
        raise Problem(Code.INVALID_REQUEST, "the body is not a list of payloads",
                      errors=[{"field": "body.payloads", "message": "not payloads"}]) from None
