"""The case page, and taking a step from it: the whole case as its reader may see it with a form
for every step it allows now, the work between the steps (the plan, the contacts and
appointments ahead, the support network and what each member may know, acute danger still to
act on), and a step run as the API runs it, showing what changed on a conflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from activities.directory import load
from api.problems import Problem, known
from api.routes.attachments import DOCUMENT
from console.forms import Field, fields_of, parse, reason_in, values_of, version_in
from console.labels import WITHHELD_UNLESS
from console.refusals import worded
from console.steps import (
    CONSENT,
    CONTACT,
    FORMS,
    MEASURE_CHANGE,
    StepForm,
    allowed_now,
    measure_actions,
)
from console.web import Console
from workflows.model.calendar import HELSINKI
from workflows.model.requests import Length, MeasureEnding, Provider
from workflows.model.state import CaseState, Contact, Selector
from workflows.model.vocabulary import (
    AgencyType,
    ConsentScope,
    ContactStatus,
    NotificationStatus,
    Purpose,
    Refusal,
)
from workflows.rules.guards import reaches
from workflows.rules.lifecycle import CRIMINAL_NEXT
from workflows.rules.notifications import consent_in_force, still_allowed

# The forms of the case page's item actions: another provider, a deadline's extension, the
# outcome a measure ended with.
PROVIDER_FIELDS = fields_of(Provider, "provider.")
LENGTH_FIELDS = fields_of(Length, "extension.")
OUTCOME_FIELDS = fields_of(MeasureEnding, skip=frozenset({"reason", "measure_id"}))


@dataclass(frozen=True)
class Member:
    """A member of the support network, with the purposes the client's consent covers for them
    now (none for one outside the agency directory: the caseworker tells them, within the same
    consents)."""

    id: str
    role: Any
    organisation: str
    contact_person: str | None
    contact_channel: str | None
    agency_id: str | None
    left_at: datetime | None
    may_know: list[Purpose]


def network(state: CaseState) -> list[Member]:
    return [Member(m.id, m.role, m.organisation, m.contact_person, m.contact_channel,
                   m.agency_id, m.left_at,
                   [p for p in Purpose if m.agency_id and consent_in_force(
                       state, ConsentScope.SHARE_WITH_AGENCIES, m.agency_id, p)])
            for m in state.network]


def appointments(state: CaseState) -> list[tuple[Contact, dict[str, Any]]]:
    """The appointments ahead, soonest first, each with its outcome form filled in from it
    (held, unless the caseworker says otherwise)."""
    planned = sorted((c for c in state.contacts if c.status is ContactStatus.PLANNED),
                     key=lambda c: c.at)
    return [(c, {"kind": c.kind, "status": ContactStatus.HELD,
                 "at": c.at.astimezone(HELSINKI).isoformat(), "place": c.place,
                 "remote": c.remote, "interpreter_language": c.interpreter_language,
                 "participants": c.participants}) for c in planned]


def police_of(settings: Any, state: CaseState) -> list[str]:
    """The police the directory names for the case's office: whom acute danger is told to."""
    selector = Selector(agency_type=AgencyType.POLICE, office=str(state.assignment.office))
    return [a.id for a in load(settings.agency_directory, settings.environment).resolve(selector)]


def case_view(console: Console, state: CaseState, status: int = 200, **extra: Any,
              ) -> HTMLResponse:
    steps = [s for s in allowed_now(state) if console.may(s.name)]
    # A form whose step the case no longer allows (it moved on meanwhile) is still shown with
    # what was typed in it, to copy from, and without a button.
    gone = extra.get("open_form") if extra.get("open_form") in FORMS and extra.get(
        "open_form") not in {s.name for s in steps} else None
    if gone:
        steps.append(FORMS[gone])
    return console.page(
        "case.html", status, case=state, steps=steps,
        measure_actions={m.id: measure_actions(state, m) for m in state.measures}
        if console.may(MEASURE_CHANGE.name) else {},
        options={"stage": sorted(CRIMINAL_NEXT.get(state.criminal_process.stage, ()),
                                 key=list(type(state.criminal_process.stage)).index)},
        provider_fields=PROVIDER_FIELDS, length_fields=LENGTH_FIELDS,
        outcome_fields=OUTCOME_FIELDS, appointment_form=CONTACT,
        network=network(state), appointments=appointments(state),
        held=[c for c in reversed(state.contacts) if c.status.settled],
        police=police_of(console.request.app.state.settings, state)
        if state.acute_danger_at else [],
        # A failed notification may go again; a withheld one once consent covers it, while the
        # case is open.
        resendable={n.id for n in state.notifications
                    if n.status is NotificationStatus.FAILED
                    or (n.status is NotificationStatus.WITHHELD and not state.phase.closed
                        and still_allowed(state, n))},
        # The consents each offered step's notifications would need and do not have.
        wanted={s.name: s.declared.consent_wanted(state) for s in steps if s.declared},
        consent_form=CONSENT.name, withheld_unless=WITHHELD_UNLESS,
        # Inside another office's case by a stated reason: said on every view of it.
        reached=None if reaches(console.actor, str(state.assignment.office),
                                state.assignment.caseworker_id) else console.reader.reason,
        values=extra.pop("values", {}), errors=extra.pop("errors", {}),
        open_form=extra.pop("open_form", None), gone=gone, similar=extra.pop("similar", []),
        into=extra.pop("into", []), merged=extra.pop("merged", []),
        document_allowed=console.may(DOCUMENT.name) and DOCUMENT.allowed_in(state.phase),
        purposes=list(Purpose),
        kilobytes=lambda size: console.language.number(max(1, round(size / 1024))) + " kB",
        # What the case already knows, offered in a form: the client's interpreter language.
        prefilled={CONTACT.name: {"interpreter_language": state.person.interpreter_language}}
        if state.person.interpreter_language else {},
        **extra)


async def run(console: Console, case_id: str, step: StepForm, body: Any, form: FormData,
              values: dict[str, Any]) -> Response:
    """Take the step as the API does; on a conflict show what changed and keep the form."""
    assert step.declared is not None
    version = version_in(form)
    try:
        await console.step(step.declared, case_id, body, form)
    except Exception as err:
        problem = known(err)
        if not console.may("get_case"):  # operations see no case page: back to their list
            if problem is None or problem.code is not Refusal.STALE_VERSION:
                raise
            return RedirectResponse("/operations?done=stale", status_code=303)
        if problem is None or problem.code not in _SHOWN_ON_THE_CASE:
            raise
        state = await console.reader.whole(await console.gateway.get(case_id))
        changed = [s for s in state.steps if s.version > version] \
            if problem.code is Refusal.STALE_VERSION else []
        return case_view(console, state, 409 if problem.code is Refusal.STALE_VERSION else 422,
                         values=values, errors={"__all__": worded(problem, console.language)},
                         open_form=step.name,
                         conflict=problem.code is Refusal.STALE_VERSION, changed=changed,
                         refused=problem)
    if not console.may("get_case"):
        return RedirectResponse(f"/operations?done={step.name}", status_code=303)
    return RedirectResponse(f"/cases/{case_id}?done={step.name}", status_code=303)


_SHOWN_ON_THE_CASE = {Refusal.STALE_VERSION, Refusal.INVALID_STEP, Refusal.CONSENT_MISSING,
                      Refusal.INVALID_TRANSITION, Refusal.RULE_REFUSED, Refusal.CASE_LIMIT,
                      Refusal.UNKNOWN_ITEM, Refusal.UNKNOWN_MEASURE}


async def take_on(console: Console, case_id: str, step: StepForm, fields: list[Field],
                  **fixed: object) -> Response:
    """A step on the item the path names, with the form's reason and fields."""
    console.require(step.name)
    form = await console.form()
    body, errors = parse(step.model, fields, values_of(fields, form), reason=reason_in(form),
                         **fixed)
    if body is None:
        state = await console.reader.whole(await console.gateway.get(case_id))
        detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
        return case_view(console, state, 422, refused=Problem(Refusal.INVALID_STEP, detail))
    return await run(console, case_id, step, body, form, {})
