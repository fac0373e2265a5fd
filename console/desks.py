"""The other desks: an agency's (its cases as consent allows, acknowledging and answering),
operations' (overdue deadlines and failed deliveries across offices, with re-send; no personal
data), and the auditors' (a case's timeline, its access log, the chain check)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.deps import AuditEngineDep, EngineDep, KeysDep, TemporalDep
from api.problems import Problem
from api.reads import read
from api.routes.auditors import timeline_of, verify_audit_log
from api.routes.operations import with_retrying
from api.timeline_picture import Words
from api.timeline_picture import render as picture
from console.forms import YES_NO, reason_in
from console.i18n import Language
from console.labels import AUDIT_WORDS
from console.notices import readable
from console.web import ConsoleDep, ConsoleRoute
from store import queries
from store.views import FailedNotice
from workflows.model.requests import MeasureAnswer, NotificationRef
from workflows.model.vocabulary import Action, Ident, Office, Refusal, Role
from workflows.steps import BY_NAME, STEPS

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# An agency's own steps, taken from its desk.
ACKNOWLEDGE, ANSWER = BY_NAME["acknowledge_notification"], BY_NAME["respond_to_measure"]


@router.get("/agency", name="console_agency")
async def agency_cases(console: ConsoleDep, engine: EngineDep,
                       page_token: Annotated[str | None, Query(max_length=200)] = None,
                       ) -> HTMLResponse:
    console.require("list_agency_cases")
    page = await read(queries.list_agency_cases, engine, agency_id=console.actor.agency,
                      page_size=25, page_token=page_token)
    return console.page("agency.html", page=page)


@router.get("/agency/cases/{case_id}", name="console_agency_case")
async def agency_case(case_id: str, console: ConsoleDep,
                      done: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    console.require("get_agency_case")
    try:
        view = await console.reader.agency(console.gateway.get(case_id))
    except Problem as problem:  # no access: said so in the reader's language, and no more
        if problem.code is not Refusal.FORBIDDEN:
            raise
        return console.page("agency_case.html", 403, view=None, done=None)
    return console.page("agency_case.html", view=view, done=done,
                        readable=lambda message: readable(message, console.language))


@router.post("/agency/cases/{case_id}/notifications/{notification_id}/ack",
             name="console_acknowledge")
async def acknowledge(case_id: str, notification_id: Ident, console: ConsoleDep) -> Response:
    console.require(ACKNOWLEDGE.name)
    form = await console.form()
    body = NotificationRef(notification_id=notification_id, reason=reason_in(form))
    await console.step(ACKNOWLEDGE, case_id, body, form)
    return RedirectResponse(f"/agency/cases/{case_id}?done=acknowledged", status_code=303)


@router.post("/agency/cases/{case_id}/measures/{measure_id}/answer", name="console_answer")
async def answer_measure(case_id: str, measure_id: Ident, console: ConsoleDep) -> Response:
    console.require(ANSWER.name)
    form = await console.form()
    accepted = YES_NO.get(str(form.get("accepted")))
    if accepted is None:  # an answer is given, never assumed
        raise Problem(Refusal.INVALID_STEP, "say whether you accept or decline the measure")
    body = MeasureAnswer(measure_id=measure_id, accepted=accepted, reason=reason_in(form))
    await console.step(ANSWER, case_id, body, form)
    return RedirectResponse(f"/agency/cases/{case_id}?done=answered", status_code=303)


@router.get("/operations", name="console_operations")
async def operations(console: ConsoleDep, engine: EngineDep, office: Office | None = None,
                     done: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    """No case state here: the read model's rows hold all operations may see."""
    console.require("list_deliveries")
    due = await read(queries.list_due, engine, office=office, overdue=True, due_before=None,
                     page_size=100, page_token=None)
    deliveries = await read(queries.list_deliveries, engine, office=office, failed_only=False,
                            page_size=100, page_token=None)
    retrying = await with_retrying(console.gateway, deliveries.items)
    failed: dict[str, list[FailedNotice]] = {}
    if console.may("resend_notification"):  # the failed ones themselves, never their content
        for notice in await read(queries.failed_notices, engine, office=office):
            failed.setdefault(notice.case_id, []).append(notice)
    return console.page("operations.html", due=due.items, deliveries=retrying,
                        failed=failed, offices=list(Office), office=office, done=done)


def picture_words(language: Language) -> Words:
    """The timeline picture in the reader's language."""
    return Words(say=language.gettext, name=language.label, day=language.day,
                 purpose=language.purpose)


@router.get("/audit/cases/{case_id}", name="console_audit_case")
async def audit_case(case_id: str, console: ConsoleDep, engine: EngineDep,
                     audit_engine: AuditEngineDep, client: TemporalDep,
                     keys: KeysDep) -> HTMLResponse:
    console.require("get_timeline")
    console.gateway.check_id(case_id)
    state = await console.reader.whole(await console.gateway.get(case_id))  # for the picture
    whole = await read(queries.whole_case, engine, keys, state)
    entries = await timeline_of(case_id, console.reader, client, engine, audit_engine, keys)
    reads = [e for e in entries if e.kind in ("read", "access")] \
        if console.may("get_access_log") else []
    return console.page("audit_case.html", case=state, entries=entries, reads=reads,
                        audit_words=AUDIT_WORDS, step_titles={s.name: s.title for s in STEPS},
                        roles={str(r): r for r in Role}, actions={str(a): a for a in Action},
                        picture=Markup(picture(whole, datetime.now(UTC), picture_words(
                            console.language))))


@router.get("/audit/verify", name="console_verify")
async def verify(console: ConsoleDep, audit_engine: AuditEngineDep,
                 engine: EngineDep) -> HTMLResponse:
    console.require("verify_audit_log")
    return console.page("verify.html",
                        verdict=await verify_audit_log(audit_engine, engine, full=True))
