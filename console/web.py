"""What every console page shares: the signed-in person (from the session), their language,
the role table's word on the API operation a page stands for, the need-to-know reader, the
templates, and the route class that audits each page like an API call and shows a problem
as a page of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData

from activities.directory import load
from api.access import ALLOWED
from api.audit_trail import AuditDep, AuditedRoute
from api.deps import EngineDep, Gateway, KeysDep
from api.gateway import CaseGateway
from api.need_to_know import Reader
from api.problems import CODES, Code, Problem, known
from api.reads import read
from api.stepper import Stepper
from console import session as sessions
from console import staff
from console.forms import Field, key_in, version_in
from console.i18n import LANGUAGE_COOKIE, LANGUAGES, Language
from console.labels import EXPLAINED
from console.refusals import worded
from infra.settings import Settings
from store.tables import ConsoleSession
from workflows.model.requests import Actor, Step
from workflows.model.vocabulary import AgencyType, Refusal
from workflows.steps import Declared

TEMPLATES = Environment(loader=PackageLoader("console"), autoescape=select_autoescape(),
                        trim_blocks=True, lstrip_blocks=True)
# The most a form may hold (the API's own body limit is 64 KiB).
FORM_BYTES = 64 * 1024


def allowed(actor: Actor | None, operation: str) -> bool:
    """The API's role table, for the operation a page or form stands for."""
    return actor is not None and actor.role in ALLOWED[operation]


class Console:
    """One request of a signed-in person: who they are, in which language, and what the
    role table lets them do."""

    def __init__(self, request: Request, session: ConsoleSession, reader: Reader,
                 gateway: CaseGateway) -> None:
        self.request, self.session, self.reader, self.gateway = request, session, reader, gateway
        self.actor: Actor = reader.actor
        self.language = Language(session.language)

    def may(self, operation: str) -> bool:
        return allowed(self.actor, operation)

    def require(self, operation: str) -> None:
        if not self.may(operation):
            raise Problem(Refusal.FORBIDDEN, f"role '{self.actor.role}' may not do this")

    async def form(self, *, file_bytes: int = 0) -> FormData:
        """The submitted form, bounded (with one file of at most `file_bytes`, if it takes
        one), with its form token checked (else 403)."""
        if int(self.request.headers.get("content-length") or 0) > FORM_BYTES + file_bytes:
            raise Problem(Code.PAYLOAD_TOO_LARGE, "the form is too large")
        form = await self.request.form(max_files=1 if file_bytes else 0, max_fields=200)
        token = form.get("csrf")
        if not sessions.same_form_token(self.session, token if isinstance(token, str) else None):
            raise Problem(Refusal.FORBIDDEN, "the form is stale or not from this console: "
                          "reload the page and try again")
        return form

    async def step(self, declared: Declared[Any], case_id: str, body: Step,
                   form: FormData) -> None:
        """The API's step, with the form's version and idempotency key; the audit log names
        the step, not the page."""
        self.reader.audit.action = declared.name
        await self.stepper(form)(case_id, declared, body)

    def stepper(self, form: FormData) -> Stepper:
        """The API's steps, with the form's version and idempotency key."""
        return Stepper(self.gateway, self.reader, Response(), version_in(form), key_in(form))

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, self.language, self.session, status, **context)


def agencies(settings: Settings) -> list[tuple[str, str, AgencyType]]:
    """The directory's agencies a caseworker may name (its id, name and type), by type and
    name: the assistance system's own inboxes left out."""
    own = {AgencyType.ASSISTANCE_OFFICE, AgencyType.OFFICE_LEAD}
    return sorted(((a.id, a.name, a.type) for a in load(
        settings.agency_directory, settings.environment).agencies if a.type not in own),
        key=lambda agency: (str(agency[2]), agency[1].casefold()))


Choices = list[tuple[str | None, list[tuple[str, str]]]]  # (group or none, [(value, text)])


def choices(field: Field, options: dict[str, Any], language: Language, settings: Settings,
            people: staff.Staff, actor: Actor | None) -> Choices:
    """What a single-choice field offers, by name in the reader's language (none: the field is
    typed, as an office lead is where no staff directory names any)."""
    if field.kind == "select":
        found = options.get(field.name.rsplit(".", 1)[-1], field.options)
        return [(None, [(o.value, language.label(o)) for o in found])]
    if field.kind in ("country", "language"):
        return [(None, language.countries() if field.kind == "country" else language.languages())]
    if field.kind == "agency":
        return [(None, [(id_, f"{name} ({language.label(type_)})")
                        for id_, name, type_ in agencies(settings)])]
    if field.kind in ("lead", "caseworker"):
        duty = "office_lead" if field.kind == "lead" else None
        return [(language.label(office), [(m.id, m.name) for m in members])
                for office, members in people.offered(duty, actor.office if actor else None)]
    return []


def agency_name(settings: Settings, agency_id: str | None) -> str:
    """An agency by its name in the directory; its id if the directory has no such entry."""
    if not agency_id:
        return "–"
    found = load(settings.agency_directory, settings.environment).get(agency_id)
    return found.name if found else agency_id


def render(request: Request, template: str, language: Language,
           session: ConsoleSession | None, status: int = 200, **context: Any) -> HTMLResponse:
    actor = sessions.actor_of(session) if session else None

    def people() -> staff.Staff:
        return staff.load(request.app.state.settings.staff_directory)

    given = dict(
        _=language.gettext, label=language.label, day=language.day, when=language.when,
        ends=language.ends, purpose=language.purpose, language_name=language.language_name,
        country_name=language.country_name, language_choices=language.languages,
        choices=lambda field, options: choices(field, options, language,
                                               request.app.state.settings, people(), actor),
        agency_name=lambda agency_id: agency_name(request.app.state.settings, agency_id),
        # A member of staff by their name (the staff directory's), else by their id.
        who=lambda user_id: (people().name_of(user_id) or user_id) if user_id else "–",
        refusal=lambda problem: worded(problem, language),
        number=language.number, lang=language.code, languages=LANGUAGES, actor=actor,
        csrf=session.csrf if session else "", path=request.url.path,
        may=lambda operation: allowed(actor, operation),
        # Each form its own idempotency key: a double submit of it has one effect.
        new_key=lambda: str(uuid.uuid4()))
    # A page may give its own (the public form offers the languages it speaks).
    html = TEMPLATES.get_template(template).render(**(given | context))
    return HTMLResponse(html, status_code=status, headers={
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
                                   "form-action 'self'",
        "Cache-Control": "no-store", "Referrer-Policy": "same-origin"})


async def current_session(request: Request, engine: EngineDep) -> ConsoleSession:
    token = sessions.token(request)
    found = await read(sessions.find, engine, token) if token else None
    if found is None:
        raise Problem(Code.UNAUTHENTICATED, "sign in to use the console")
    return found


SessionDep = Annotated[ConsoleSession, Depends(current_session)]


async def get_console(request: Request, session: SessionDep, audit: AuditDep,
                      engine: EngineDep, gateway: Gateway, keys: KeysDep) -> Console:
    actor = audit.actor = sessions.actor_of(session)
    await request.app.state.floods.person(actor.user_id)
    case_id = request.path_params.get("case_id", "")
    reason = None  # a break-glass reason this session gave for the case, kept sealed
    if case_id in session.reasons:
        reason = await read(sessions.reason_for, keys, session, case_id)
    return Console(request, session, Reader(audit, actor, reason, engine), gateway)


ConsoleDep = Annotated[Console, Depends(get_console)]


class ConsoleRoute(AuditedRoute):
    """Audited like an API route; a problem becomes a page (sign-in for a missing session)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as err:
                problem = known(err)
                if problem is None:
                    raise
                if problem.code is Code.UNAUTHENTICATED and not request.url.path.startswith(
                        "/auth/"):  # a sign-in that failed says why; a page asks for one
                    return RedirectResponse("/sign-in", status_code=303)
                return problem_page(request, problem)

        return page


def problem_page(request: Request, problem: Problem) -> HTMLResponse:
    """A problem as a page of its own, in the reader's language (with the problem's headers,
    such as Retry-After)."""
    status, title = CODES[problem.code]
    code = request.cookies.get(LANGUAGE_COOKIE, "")
    page = render(request, "problem.html", Language(code), None, status, title=title,
                  problem=problem, explained=EXPLAINED.get(str(problem.code)))
    page.headers.update(problem.headers or {})
    return page
