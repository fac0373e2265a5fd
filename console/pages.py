"""The caseworker's pages: sign-in, my work, the cases, a case with a form for every step it
allows now, and the referral that opens one. Each page reads and acts through the same
gateway, role table and need-to-know reader as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.audit_trail import AuditDep
from api.deps import AuditEngineDep, EngineDep, KeysDep, SettingsDep
from api.gateway import CASE_ID
from api.need_to_know import ACCESS_REASON_CHARS, ACCESS_REASON_MIN
from api.problems import Code, Problem
from api.reads import read
from api.routes.attachments import DOCUMENT
from console import oidc
from console import session as sessions
from console.case_page import case_view, run
from console.forms import parse, values_of
from console.i18n import DEFAULT, LANGUAGE_COOKIE, LANGUAGES, Language
from console.labels import REACH_REASONS
from console.steps import CONSENT, FORMS
from console.web import Console, ConsoleDep, ConsoleRoute, render
from store import audit, blind, intake, likeness, queries, references
from store.views import CasePage, Label
from workflows.model.requests import Actor
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    ConsentScope,
    Ident,
    Office,
    Phase,
    Purpose,
    Refusal,
    Role,
)
from workflows.rules.guards import AGENCIES, STAFF, reaches

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
ROLES = {str(r) for r in Role}
SEARCH_CHARS = 100
STEPS_PAGE = 50
# What else says "saved" on the case page: the referral that opened it, a document added.
SAVED_ELSEWHERE = ("open_case", DOCUMENT.name)


def home_of(actor: Actor) -> str:
    if actor.role in AGENCIES:
        return "/agency"
    if actor.role is Role.OPERATOR:
        return "/operations"
    if actor.role is Role.AUDITOR:
        return "/cases"
    return "/work"


@router.get("/", name="console_home")
async def home(console: ConsoleDep) -> Response:
    return RedirectResponse(home_of(console.actor), status_code=303)


@router.get("/sign-in", name="console_sign_in_page")
async def sign_in_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    language = Language(request.cookies.get(LANGUAGE_COOKIE, DEFAULT))
    return render(request, "sign_in.html", language, None, dev=settings.dev_sign_in,
                  roles=[r for r in Role if r is not Role.PUBLIC], offices=list(Office))


@router.post("/sign-in", name="console_sign_in")
async def sign_in(request: Request, settings: SettingsDep, engine: EngineDep, audit: AuditDep,
                  user_id: Annotated[str, Form(max_length=64)],
                  role: Annotated[Role, Form()],
                  office: Annotated[str, Form(max_length=30)] = "",
                  agency: Annotated[str, Form(max_length=64)] = "") -> Response:
    if not settings.dev_sign_in:
        raise Problem(Refusal.FORBIDDEN, "sign in with the identity provider")
    try:
        actor = Actor(user_id=user_id.strip(), role=role,
                      office=office or None if role in STAFF else None,
                      agency=agency.strip() or None if role in AGENCIES else None)
    except ValidationError:
        raise Problem(Code.INVALID_REQUEST, "a person needs an id of letters, digits and "
                      "dashes") from None
    if (role in STAFF and actor.office is None) or (role in AGENCIES and actor.agency is None) \
            or role is Role.PUBLIC:
        raise Problem(Code.INVALID_REQUEST, "staff sign in to an office, an agency's people to "
                      "their agency")
    audit.actor = actor  # the sign-in's entry names who signed in
    language = request.cookies.get(LANGUAGE_COOKIE, DEFAULT)
    token = await read(sessions.create, engine, actor, language)
    response = RedirectResponse(home_of(actor), status_code=303)
    sessions.set_cookie(response, request, token)
    return response


@router.get("/auth/start", name="console_oidc_start")
async def oidc_start(request: Request, settings: SettingsDep, engine: EngineDep) -> Response:
    """Off to the identity provider, with a state, a nonce and a PKCE challenge."""
    if settings.dev_sign_in:
        return RedirectResponse("/sign-in", status_code=303)
    url, pending = await request.app.state.oidc.start(str(request.url_for("console_oidc_back")))
    token = await read(sessions.create_pending, engine, pending,
                       request.cookies.get(LANGUAGE_COOKIE, DEFAULT))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(sessions.PENDING_COOKIE, token, max_age=600, httponly=True,
                        samesite="lax", secure=sessions.secure(request), path="/auth")
    return response


@router.get("/auth/callback", name="console_oidc_back")
async def oidc_back(request: Request, engine: EngineDep, audit: AuditDep,
                    code: Annotated[str, Query(max_length=2048)],
                    state: Annotated[str, Query(max_length=200)]) -> Response:
    """Back from the identity provider: the code for an ID token, verified as a bearer token
    is, its nonce checked; then a session."""
    token = sessions.token(request, sessions.PENDING_COOKIE)
    taken = await read(sessions.take_pending, engine, token) if token else None
    if taken is None:
        raise Problem(Code.UNAUTHENTICATED, "no sign-in is under way here: start again")
    pending, language = taken
    id_token = await request.app.state.oidc.finish(
        str(request.url_for("console_oidc_back")), pending, code, state)
    actor = await request.app.state.verifier.actor(id_token)
    if oidc.nonce_of(id_token) != pending["nonce"]:
        raise Problem(Code.UNAUTHENTICATED, "the ID token is not the answer to this sign-in")
    audit.actor = actor
    session_token = await read(sessions.create, engine, actor, language)
    response = RedirectResponse(home_of(actor), status_code=303)
    response.delete_cookie(sessions.PENDING_COOKIE, path="/auth")
    sessions.set_cookie(response, request, session_token)
    return response


@router.post("/sign-out", name="console_sign_out")
async def sign_out(request: Request, console: ConsoleDep, engine: EngineDep) -> Response:
    await console.form()
    await read(sessions.end, engine, request.cookies[sessions.COOKIE])
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@router.post("/language", name="console_language")
async def choose_language(request: Request, language: Annotated[str, Form(max_length=8)],
                          engine: EngineDep, back: Annotated[str, Form(max_length=200)] = "/",
                          ) -> Response:
    """The language, for this browser (and this session, when signed in)."""
    code = language if language in LANGUAGES else DEFAULT
    token = sessions.token(request)
    if token:
        await read(sessions.set_language, engine, token, code)
    response = RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                                else "/", status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="lax",
                        httponly=True, secure=sessions.secure(request))
    return response


@router.get("/work", name="console_work")
async def my_work(console: ConsoleDep, engine: EngineDep, audit_engine: AuditEngineDep,
                  keys: KeysDep) -> HTMLResponse:
    console.require("list_cases")
    actor = console.actor
    lead = actor.role is Role.OFFICE_LEAD
    rows = await read(queries.work_list, engine, office=actor.office if lead else None,
                      caseworker_id=None if lead else actor.user_id)
    due = await read(queries.list_due, engine, office=actor.office, overdue=True,
                     due_before=None, page_size=50, page_token=None)
    deliveries = await read(queries.list_deliveries, engine, office=actor.office,
                            failed_only=False, page_size=50, page_token=None)
    # The lead answers for who opened the office's cases from outside it, and why.
    reached = (await read(audit.break_glass, audit_engine, office=str(actor.office),
                          page_size=20, page_token=None))[0] if lead else []
    names = await console.reader.names(keys, [*rows, *due.items, *deliveries.items, *reached])
    return console.page("work.html", rows=rows, due=due.items, deliveries=deliveries.items,
                        lead=lead, names=names,
                        reached=[(e, Role(e.role) if e.role in ROLES else e.role,
                                  audit.reason_of(keys, e)) for e in reached])


@router.get("/cases", name="console_cases")
async def cases(console: ConsoleDep, engine: EngineDep, keys: KeysDep,
                phase: Phase | None = None, office: Office | None = None,
                caseworker_id: Annotated[Ident | None, Query()] = None, overdue: bool = False,
                page_token: Annotated[str | None, Query(max_length=200)] = None,
                ) -> Response:
    console.require("list_cases")
    page = await read(queries.list_cases, engine, phase=phase, office=office,
                      caseworker_id=caseworker_id or None, page_size=25, page_token=page_token,
                      overdue=overdue)
    return _cases(console, page, await console.reader.names(keys, page.items),
                  chosen={"phase": phase, "office": office, "overdue": overdue,
                          "caseworker_id": caseworker_id or ""})


@router.post("/cases", name="console_find_cases")
async def find_cases(console: ConsoleDep, engine: EngineDep, keys: KeysDep) -> Response:
    """A case by its id; or, for staff, the cases of a person (by name in any order, birth
    date, or the referrer's reference) among those they may open. Posted, not a link: what was
    searched for stays out of addresses, browser history and access logs."""
    console.require("list_cases")
    form = await console.form()
    query = str(form.get("q") or "").strip()[:SEARCH_CHARS]
    token = str(form.get("page_token") or "")[:200] or None
    known = query.lower() if CASE_ID.match(query.lower()) else await read(
        references.case_with, engine, query) if references.REFERENCE.match(query) else None
    if known:  # straight to a case whose id or reference number is known
        where = "/audit/cases/" if console.actor.role is Role.AUDITOR else "/cases/"
        return RedirectResponse(where + known, status_code=303)
    found = None
    if query and console.actor.role in STAFF:
        found = await read(queries.list_cases, engine, phase=None, office=None,
                           caseworker_id=None, page_size=25, page_token=token,
                           matching=blind.wanted(keys.masters.index_keys, query),
                           within=console.reader.search_within())
    if found is None:
        return _cases(console, CasePage(items=[]), {}, 422, query=query, unknown=True)
    return _cases(console, found, await console.reader.names(keys, found.items), query=query)


def _cases(console: Console, page: CasePage, names: dict[str, Label], status: int = 200, *,
           chosen: dict[str, Any] | None = None, query: str = "",
           unknown: bool = False) -> HTMLResponse:
    """The list of cases: a page of them, filtered (`chosen`) or found (`query`)."""
    return console.page("cases.html", status, page=page, phases=list(Phase),
                        offices=list(Office), chosen=chosen or {}, names=names, query=query,
                        unknown=unknown)


@router.get("/cases/{case_id}", name="console_case")
async def case_page(case_id: str, console: ConsoleDep, engine: EngineDep, keys: KeysDep,
                    done: Annotated[str | None, Query(max_length=40)] = None,
                    form: Annotated[str | None, Query(max_length=40)] = None,
                    scope: ConsentScope | None = None, purpose: Purpose | None = None,
                    ) -> HTMLResponse:
    console.require("get_case")
    state = await _reached(console, case_id)
    if not isinstance(state, CaseState):
        return state
    similar = await read(likeness.of_case, engine, keys, state)
    into, merged = await read(intake.linked, engine, state)
    # The consent a step's form asked for (its notification would be withheld without it): the
    # consent form open, filled in with what is needed.
    asked = {"open_form": CONSENT.name, "errors": {}, "values": {
        "scope": scope and scope.value, "purpose": purpose and purpose.value}} \
        if form == CONSENT.name else {}
    return case_view(console, state, done=done if done in FORMS or done in SAVED_ELSEWHERE
                     else None, similar=similar, into=into, merged=merged, **asked)


async def _reached(console: Console, case_id: str) -> CaseState | HTMLResponse:
    """The whole case; for a case of another office not assigned to them, the page that asks
    why they reach it (break the glass)."""
    try:
        return await console.reader.whole(await console.gateway.get(case_id))
    except Problem as problem:
        if problem.code is not Refusal.OUTSIDE_OFFICE:
            raise
        return console.page("reach.html", 403, case_id=case_id, why="", said="",
                            reasons=REACH_REASONS, error=False)


@router.get("/cases/{case_id}/steps", name="console_steps")
async def all_steps(case_id: str, console: ConsoleDep, engine: EngineDep, keys: KeysDep,
                    page_token: Annotated[str | None, Query(max_length=200)] = None,
                    ) -> HTMLResponse:
    """Every step of the case, oldest first, a page at a time: the archived ones too."""
    console.require("get_steps")
    state = await _reached(console, case_id)
    if not isinstance(state, CaseState):
        return state
    page = await read(queries.case_steps, engine, keys, state, page_size=STEPS_PAGE,
                      page_token=page_token)
    return console.page("steps.html", case=state, page=page, first=page_token is None)


@router.post("/cases/{case_id}/reach", name="console_reach")
async def reach(request: Request, case_id: str, console: ConsoleDep,
                engine: EngineDep, keys: KeysDep) -> Response:
    """Staff reaching a case outside their office and assignment say why; the reader then
    lets them in, and the audit log flags it for auditors and the case's office lead."""
    console.require("get_case")
    console.gateway.check_id(case_id)
    form = await console.form()
    why, said = (str(form.get(name) or "").strip() for name in ("why", "reason"))
    # A kind of reason, and a sentence of some substance: recorded as the person put it.
    reason = f"{console.language.gettext(REACH_REASONS[why])}: {said}" \
        if why in REACH_REASONS else ""
    if why not in REACH_REASONS or not (ACCESS_REASON_MIN <= len(said)
                                         and len(reason) <= ACCESS_REASON_CHARS):
        return console.page("reach.html", 422, case_id=case_id, why=why, said=said,
                            reasons=REACH_REASONS, error=True)
    state = await console.gateway.get(case_id)
    if not reaches(console.actor, str(state.assignment.office), state.assignment.caseworker_id):
        # Kept only where it is needed, so no step is flagged for nothing; sealed.
        await read(sessions.give_reason, engine, keys, request.cookies[sessions.COOKIE],
                   case_id, reason)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/steps/{name}", name="console_step")
async def take_step(case_id: str, name: str, console: ConsoleDep) -> Response:
    form_step = FORMS.get(name)
    if form_step is None:
        raise Problem(Code.NOT_FOUND, "no such step")
    console.require(name)
    form = await console.form()
    values = values_of(form_step.fields, form)
    body, errors = parse(form_step.model, form_step.fields, values)
    if body is None:
        state = await console.reader.whole(await console.gateway.get(case_id))
        return case_view(console, state, 422, values=values, errors=errors, open_form=name)
    return await run(console, case_id, form_step, body, form, values)


