"""A case's documents: `POST /v1/cases/{id}/attachments` sends a file with its caption (multipart)
and adds it to the case as a step (its declaration's, through `Stepper`: If-Match, the
idempotency key, the intent audited, the office rule); `GET …/attachments/{document id}` reads
one back, in the access log like every read, to staff who see the case, auditors, and an
agency the client consents to share it with. The file's kind is told by its content; it is
sealed under the case's key before it is stored (`store.attachments`), and removed again if the
step is refused."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response, UploadFile
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.audit_trail import AuditedRoute
from api.deps import Gateway, KeysDep, ReaderDep, SettingsDep, permitted
from api.need_to_know import CaseAnswer, Reader, not_involved
from api.problems import Code, Problem
from api.stepper import StepDep, Stepper
from infra.settings import Settings
from store import attachments
from store.keys import CaseKeys
from workflows.model.documents import DOCUMENT_BYTES, Document, NewDocument
from workflows.model.state import CaseState
from workflows.model.vocabulary import DocumentType, Ident, Purpose
from workflows.rules.guards import AGENCIES
from workflows.steps import STEPS, Offered

router = APIRouter(prefix="/v1/cases", route_class=AuditedRoute,
                   dependencies=[Depends(permitted)])
DOCUMENT = next(s for s in STEPS if s.offered is Offered.UPLOAD)
EXTENSIONS = {DocumentType.PDF: "pdf", DocumentType.PNG: "png", DocumentType.JPEG: "jpg",
              DocumentType.TIFF: "tif"}


async def attach(step: Stepper, reader: Reader, keys: CaseKeys, settings: Settings,
                 case_id: str, file: UploadFile, caption: str, reason: str,
                 shared_for: Purpose | None) -> CaseAnswer:
    """The file stored (sealed) and added to the case as its step; refused, removed again."""
    data = await file.read(DOCUMENT_BYTES + 1)
    if len(data) > DOCUMENT_BYTES:
        raise Problem(Code.PAYLOAD_TOO_LARGE, f"a document is at most {DOCUMENT_BYTES} bytes")
    try:
        found = attachments.checked(data)
    except attachments.NotADocument as err:
        raise Problem(Code.UNSUPPORTED_MEDIA_TYPE, str(err)) from None
    # A retry with the same key stores the same file under the same name: one document.
    seed = f"{reader.actor.user_id}:{case_id}:{step.key}" if step.key else str(uuid.uuid4())
    blob = "b-" + hashlib.sha256(seed.encode()).hexdigest()[:24]
    try:
        body = NewDocument(reason=reason, caption=caption, media_type=found.media_type,
                           size=found.size, sha256=found.sha256, blob=blob, shared_for=shared_for)
    except ValidationError:
        raise Problem(Code.INVALID_REQUEST, "a document needs a caption and a reason",
                      errors=[{"field": "body.caption", "message": "required"}]) from None
    files = attachments.blobs(settings)
    await run_in_threadpool(attachments.store, keys, files, case_id, blob, data)
    try:
        return await step(case_id, DOCUMENT, body)
    except BaseException:
        await run_in_threadpool(files.delete, case_id, blob)
        raise


async def document_file(reader: Reader, state: CaseState, keys: CaseKeys, settings: Settings,
                        document_id: str) -> Response:
    """One document's file, to a reader who may see it; 404 for one who may not know it."""
    found = next((d for d in state.documents if d.id == document_id), None)
    if reader.actor.role in AGENCIES:
        view = await reader.agency(_ready(state))
        if found is None or found.id not in {d.id for d in view.documents}:
            raise not_involved()
    else:
        await reader.whole(state)
    if found is None:
        raise Problem(Code.NOT_FOUND, "the case has no such document")
    data = await run_in_threadpool(attachments.fetch, keys, attachments.blobs(settings),
                                   state.case_id, found.blob)
    if hashlib.sha256(data).hexdigest() != found.sha256:  # never another file than the one added
        raise Problem(Code.INTERNAL_ERROR, "the document's file does not match what was added")
    return Response(data, media_type=str(found.media_type), headers={
        "Content-Disposition": f'attachment; filename="{filename(state, found)}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def filename(state: CaseState, document: Document) -> str:
    """The case's number and the document's: nothing of the person."""
    return f"{state.reference_number or state.case_id}-{document.id}." \
           f"{EXTENSIONS[document.media_type]}"


async def _ready(state: CaseState) -> CaseState:
    """A state already read, as `Reader.agency` takes a case (awaited inside its refusals)."""
    return state


@router.post("/{case_id}/attachments", name=DOCUMENT.name, response_model=CaseAnswer,
             summary=DOCUMENT.summary, tags=[DOCUMENT.tag])
async def post_document(
        case_id: str, step: StepDep, reader: ReaderDep, keys: KeysDep, settings: SettingsDep,
        file: UploadFile,
        caption: Annotated[str, Form(min_length=1, max_length=200)],
        reason: Annotated[str, Form(min_length=1, max_length=4000)],
        shared_for: Annotated[Purpose | None, Form()] = None) -> Any:
    return await attach(step, reader, keys, settings, case_id, file, caption, reason, shared_for)


@router.get("/{case_id}/attachments/{document_id}", summary="A document's file",
            response_class=Response, responses={200: {"content": {
                str(t): {"schema": {"type": "string", "format": "binary"}}
                for t in DocumentType}, "description": "The file as it was added."}})
async def get_document(case_id: str, document_id: Ident, reader: ReaderDep, gateway: Gateway,
                       keys: KeysDep, settings: SettingsDep) -> Response:
    async with reader.opaque():
        state = await gateway.get(case_id)
    return await document_file(reader, state, keys, settings, document_id)
