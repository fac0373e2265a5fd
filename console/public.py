"""The public referral form (`/refer`): for the person themself and for anyone without an
account, in the languages the deployment sets (`public_referral_languages`), with no sign-in,
no script and nothing from outside. It answers with the referral's number and what happens
next, never with anything it stored; what it receives waits in the office's intake like any
referral.

A flood harms no one else: the page and its submissions count against a limit of their own per
address (`rate_limit_public_referral`, `api.floods`), the body is bounded, and a submission must
carry the token its page set in a same-site cookie, so another site cannot make its visitors'
browsers send referrals (their addresses would each have a limit of their own)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.audit_trail import AuditDep
from api.deps import Gateway, SettingsDep
from api.problems import Code, Problem
from api.routes.cases import refer
from console.forms import key_in, parse, values_of
from console.i18n import LANGUAGE_COOKIE, LANGUAGES, Language
from console.intake import refused_at
from console.steps import StepForm
from console.web import FORM_BYTES, ConsoleRoute, render
from infra.settings import Settings
from workflows.model.requests import Actor, PublicReferral, Referral, Referrer
from workflows.model.vocabulary import AgencyType, Refusal, Role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# Who a referral through the form is from, as the audit log and the case name it.
PUBLIC = Actor(user_id="public-form", role=Role.PUBLIC)
# Who may refer: the person themself, a private person, or a professional by the agency's type.
REFERRERS = [AgencyType.SELF, AgencyType.OTHER, AgencyType.POLICE, AgencyType.BORDER_GUARD,
             AgencyType.RECEPTION_CENTRE, AgencyType.SOCIAL_SERVICES,
             AgencyType.CHILD_PROTECTION, AgencyType.HEALTH_CARE, AgencyType.NGO]
TOKEN_COOKIE = "casework_refer"
TOKEN_SECONDS = 4 * 3600  # a form filled in slowly still goes


FORM = StepForm("refer_publicly", "Refer someone to the assistance system", PublicReferral,
                skip=frozenset({"received_on", "consultation"}),
                first=("who_refers", "organisation", "office", "reason"),
                labels=(("reason", "What has happened, and how to reach the person safely"),
                        ("who_refers", "Who is referring"),
                        ("office", "The nearest office of the assistance system")))


def language_of(request: Request, settings: Settings) -> Language:
    """The reader's choice (the console's language cookie) among the form's languages; else
    the form's first."""
    spoken = settings.public_referral_languages
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return Language(chosen if chosen in spoken else spoken[0])


def _page(request: Request, settings: Settings, template: str, status: int = 200,
          **context: object) -> HTMLResponse:
    return render(request, template, language_of(request, settings), None, status,
                  languages={c: LANGUAGES[c] for c in settings.public_referral_languages},
                  options={"who_refers": REFERRERS}, step=FORM, **context)


@router.get("/refer", name="console_public_referral")
async def form(request: Request, settings: SettingsDep) -> HTMLResponse:
    token = request.cookies.get(TOKEN_COOKIE) or secrets.token_urlsafe(24)
    page = _page(request, settings, "public_referral.html", values={}, errors={}, token=token)
    page.set_cookie(TOKEN_COOKIE, token, max_age=TOKEN_SECONDS, path="/refer", httponly=True,
                    samesite="strict", secure=request.url.scheme == "https")
    return page


@router.post("/refer", name="console_public_refer")
async def submit(request: Request, settings: SettingsDep, gateway: Gateway,
                 audit: AuditDep) -> Response:
    if int(request.headers.get("content-length") or 0) > FORM_BYTES:
        raise Problem(Code.PAYLOAD_TOO_LARGE, "the form is too large")
    sent = await request.form(max_files=0, max_fields=100)
    token, kept = sent.get("token"), request.cookies.get(TOKEN_COOKIE, "")
    if not (isinstance(token, str) and kept and hmac.compare_digest(token, kept)):
        raise Problem(Refusal.FORBIDDEN, "the form is stale or not from this site: reload the "
                      "page and try again")
    values = values_of(FORM.fields, sent)
    referral, errors = parse(PublicReferral, FORM.fields, values)
    if not isinstance(referral, PublicReferral):
        return _page(request, settings, "public_referral.html", 422, values=values,
                     errors=errors, token=token)
    case = Referral(**referral.model_dump(exclude={"who_refers", "organisation"}),
                    referrer=Referrer(agency_type=referral.who_refers,
                                      organisation=referral.organisation))
    audit.actor = PUBLIC  # what has an effect is audited; a form refused before has none
    try:
        state, _ = await refer(gateway, audit, case, PUBLIC, key_in(sent))
    except Exception as err:
        errors = refused_at(err)
        if errors is None:
            raise
        return _page(request, settings, "public_referral.html", 422, values=values,
                     errors=errors, token=token)
    return _page(request, settings, "public_referral_received.html",
                 number=state.reference_number)
