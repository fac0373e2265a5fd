"""A case's documents in the console: a file added from the case page (what it is, and for
which purpose agencies may see it), and each one read back by staff and auditors from the case
page and by an agency from its own view of the case. The API's functions, in the reader's
words; every file read is in the case's access log."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.deps import KeysDep
from api.problems import Code, Problem
from api.routes.attachments import DOCUMENT, attach, document_file
from console.forms import reason_in
from console.web import ConsoleDep, ConsoleRoute
from workflows.model.documents import DOCUMENT_BYTES
from workflows.model.vocabulary import Ident, Purpose

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# What the form says when it is not filled in (the catalogue translates it).
CHOOSE = "Choose a file, say what it is, and choose from the list whom it is shared with."


@router.post("/cases/{case_id}/attachments", name="console_add_document")
async def upload(case_id: str, console: ConsoleDep, keys: KeysDep) -> Response:
    console.require(DOCUMENT.name)
    form = await console.form(file_bytes=DOCUMENT_BYTES)
    file, caption, purpose = form.get("file"), form.get("caption"), form.get("shared_for") or None
    if not (isinstance(file, UploadFile) and isinstance(caption, str) and caption.strip()
            and purpose in (None, *Purpose)):
        raise Problem(Code.INVALID_REQUEST, CHOOSE, says=CHOOSE)
    console.reader.audit.action = DOCUMENT.name
    await attach(console.stepper(form), console.reader, keys,
                 console.request.app.state.settings, case_id, file, caption.strip()[:200],
                 reason_in(form), Purpose(purpose) if purpose else None)
    return RedirectResponse(f"/cases/{case_id}?done={DOCUMENT.name}#documents", status_code=303)


@router.get("/cases/{case_id}/attachments/{document_id}", name="console_document")
async def staff_document(case_id: str, document_id: Ident, console: ConsoleDep,
                         keys: KeysDep) -> Response:
    console.require("get_document")
    console.reader.audit.action = "get_document"  # the access log names the read, not the page
    return await document_file(console.reader, await console.gateway.get(case_id), keys,
                               console.request.app.state.settings, document_id)


@router.get("/agency/cases/{case_id}/attachments/{document_id}", name="console_agency_document")
async def agency_document(case_id: str, document_id: Ident, console: ConsoleDep,
                          keys: KeysDep) -> Response:
    console.require("get_document")
    console.reader.audit.action = "get_document"
    async with console.reader.opaque():
        state = await console.gateway.get(case_id)
    return await document_file(console.reader, state, keys, console.request.app.state.settings,
                               document_id)
