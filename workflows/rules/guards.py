"""What a new step must pass besides its lifecycle rule: who may take it, whether its dates make
sense for the case, and whether the case can hold what it adds.

The update validators run these, in that order, before the rule itself; the handlers do not.
Validators are not run when a history replays, so a guard added later never refuses a step that
a case recorded before it, and the handler applies exactly what the validator let through.
Messages name fields and dates of the case's own steps, never the person's data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from workflows.model.calendar import helsinki_date
from workflows.model.requests import (
    GOAL_MEASURES,
    OPEN_ON_EXIT,
    Actor,
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ContactRecord,
    CriminalEvent,
    DeadlineExtension,
    ExitDecision,
    Length,
    MeasureAnswer,
    MunicipalityTransition,
    NetworkJoin,
    NewMeasure,
    NotificationRef,
    PlanApproval,
    PlanRevision,
    Referral,
    ReflectionPeriodGrant,
    StepMeta,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    AgencyType,
    ContactStatus,
    Exploitation,
    MeasureStatus,
    NotificationStatus,
    Refusal,
    Role,
)
from workflows.rules import lifecycle as rules
from workflows.rules.step import StepRejected

STAFF = frozenset({Role.CASEWORKER, Role.OFFICE_LEAD})
AGENCIES = frozenset({Role.POLICE, Role.BORDER_GUARD, Role.RECEPTION_CENTRE,
                      Role.SOCIAL_SERVICES, Role.NGO})
# How far ahead a planned date (a handover, a home municipality from) may lie.
PLANNED_AHEAD = relativedelta(years=1)
# Events of other authorities (a police report, a reflection period granted by the police) may
# precede the referral by this much.
BEFORE_REFERRAL = relativedelta(years=1)
# A home municipality and its integration plan may be older than the referral: by at most the
# longest an integration plan runs (3 years, extended by 2, under Act 1386/2010).
PLAN_BEFORE_REFERRAL = relativedelta(years=5)
# A referral is entered at most this long after it was received.
LATE_ENTRY = timedelta(days=365)
OLDEST_BIRTH = date(1900, 1, 1)
LANGUAGES = 10  # a person's languages, at most
NETWORK = 30  # members of a support network at a time, at most
ADULT = relativedelta(years=18)


def reaches(actor: Actor, office: str | None, caseworker_id: str | None) -> bool:
    """The office rule: staff work on their office's cases and those assigned to them; any
    other case only with a stated reason ("break the glass"), which the audit log flags. The
    API applies it to reads, the workflow to steps."""
    return actor.role not in STAFF or actor.office == office or actor.user_id == caseworker_id


def may_reach(state: CaseState, meta: StepMeta) -> bool:
    return meta.access_reason is not None or reaches(
        meta.actor, state.assignment.office, state.assignment.caseworker_id)


def access(state: CaseState, meta: StepMeta) -> None:
    actor = meta.actor
    if actor.role in AGENCIES and actor.agency is None:
        raise StepRejected(Refusal.FORBIDDEN, "an agency's step needs the agency's identity")
    if not may_reach(state, meta):
        raise StepRejected(Refusal.OUTSIDE_OFFICE, "the case belongs to another office and is not "
                           "assigned to you: state a reason (X-Access-Reason) to reach it")


def _between(value: date, field: str, earliest: date, latest: date, what: str) -> None:
    if value < earliest:
        raise StepRejected(Refusal.INVALID_STEP, "{field} {value} is before {what} ({earliest})",
                           field=field, value=value.isoformat(), what=what,
                           earliest=earliest.isoformat())
    if value > latest:
        raise StepRejected(Refusal.INVALID_STEP, "{field} {value} is after {latest}", field=field,
                           value=value.isoformat(), latest=latest.isoformat())


def _decided(state: CaseState) -> date:
    return state.admission.decided_on if state.admission else state.began_on


def admission(state: CaseState, step: AdmissionDecision, today: date) -> None:
    _between(step.decided_on, "decided_on", state.began_on, today, "the referral")


def assessment_start(state: CaseState, step: AssessmentStart, today: date) -> None:
    _between(step.started_on, "started_on", _decided(state), today, "the admission")


def assessment(state: CaseState, step: Assessment, today: date) -> None:
    if state.needs is not None:  # a reassessment
        _between(step.assessed_on, "assessed_on", state.needs.assessed_on, today,
                 "the previous assessment")
    _between(step.assessed_on, "assessed_on", _decided(state), today, "the admission")
    _choices(step.agencies, "agencies", len(AgencyType))


def _before_referral(value: date, field: str, state: CaseState, today: date) -> None:
    """An event of another authority: up to a year before the referral, not in the future."""
    _between(value, field, state.began_on - BEFORE_REFERRAL, today, "a year before the referral")


def criminal(state: CaseState, step: CriminalEvent, today: date) -> None:
    _before_referral(step.on, "on", state, today)


def transition(state: CaseState, step: MunicipalityTransition, today: date) -> None:
    ahead, earliest = today + PLANNED_AHEAD, state.began_on - PLAN_BEFORE_REFERRAL
    _between(step.home_municipality_since, "home_municipality_since", earliest, ahead,
             "five years before the referral")
    _between(step.handover_on, "handover_on", state.began_on, ahead, "the referral")
    if step.integration_plan_start is not None:
        _between(step.integration_plan_start, "integration_plan_start", earliest, ahead,
                 "five years before the referral")


def exit_decision(state: CaseState, step: ExitDecision, today: date) -> None:
    """Its date, and no decision by omission: while measures are open or appointments ahead,
    the exit says what becomes of them (`open_items`)."""
    _between(step.decided_on, "decided_on", _decided(state), today, "the admission")
    measures, appointments = rules.open_on_exit(state)
    if step.open_items is None:
        if measures or appointments:
            raise StepRejected(Refusal.INVALID_STEP, "{measures} measures are open and "
                               "{appointments} appointments ahead: say what becomes of them",
                               field="open_items", measures=len(measures),
                               appointments=len(appointments))
        return
    started = {m.id for m in measures if m.status is MeasureStatus.STARTED}
    _choices(step.open_items.implemented, "open_items.implemented", OPEN_ON_EXIT)
    if not started.issuperset(step.open_items.implemented):
        raise StepRejected(Refusal.INVALID_STEP, "only a started measure ends implemented",
                           field="open_items.implemented")


def reflection(state: CaseState, step: ReflectionPeriodGrant, today: date) -> None:
    _before_referral(step.granted_on, "granted_on", state, today)


def plan(_state: CaseState, step: PlanRevision, today: date) -> None:
    if len(set(step.review_on)) != len(step.review_on):
        raise StepRejected(Refusal.INVALID_STEP, "each review date once", field="review_on")
    for day in step.review_on:
        _between(day, "review_on", today, today + PLANNED_AHEAD, "today")
    for goal in step.goals:
        _choices(goal.measure_ids, "goals", GOAL_MEASURES)


def contact(state: CaseState, step: ContactRecord, today: date) -> None:
    try:
        day = helsinki_date(step.at)
    except OverflowError:  # year 1 or 9999 at an offset that leaves the calendar
        raise StepRejected(Refusal.INVALID_STEP, "at is out of range", field="at") from None
    if step.status is ContactStatus.PLANNED:
        _between(day, "at", today, today + PLANNED_AHEAD, "today")
    else:
        _between(day, "at", state.began_on, today, "the referral")


def measure(state: CaseState, step: NewMeasure, today: date) -> None:
    if step.planned_start is not None:
        _between(step.planned_start, "planned_start", state.began_on, today + PLANNED_AHEAD,
                 "the referral")


def network(state: CaseState, _step: NetworkJoin, _today: date) -> None:
    if sum(m.left_at is None for m in state.network) >= NETWORK:
        raise StepRejected(Refusal.INVALID_STEP, "a support network has at most {most} members "
                           "at a time: record someone leaving first", most=NETWORK)


def extension(_state: CaseState, step: DeadlineExtension, _today: date) -> None:
    if step.extension == Length():
        raise StepRejected(Refusal.INVALID_STEP, "an extension must add some time",
                           field="extension")


def acknowledger(state: CaseState, step: NotificationRef, meta: StepMeta) -> None:
    if meta.actor.role in AGENCIES:
        n = next((n for n in state.notifications if n.id == step.notification_id), None)
        # A withheld one was never sent: the agency does not learn that it exists.
        if (n is None or n.agency_id != meta.actor.agency
                or n.status is NotificationStatus.WITHHELD):
            raise StepRejected(Refusal.FORBIDDEN, "only the notified agency acknowledges a "
                               "notification", notification_id=step.notification_id)


def office_lead_approves(state: CaseState, _step: PlanApproval, meta: StepMeta) -> None:
    if meta.actor.role is not Role.OFFICE_LEAD or meta.actor.office != state.assignment.office:
        raise StepRejected(Refusal.FORBIDDEN, "the lead of the case's office approves its plan")


def provider_answers(state: CaseState, step: MeasureAnswer, meta: StepMeta) -> None:
    if meta.actor.role in AGENCIES:
        m = next((m for m in state.measures if m.id == step.measure_id), None)
        if m is None or m.provider.agency_id != meta.actor.agency:
            raise StepRejected(Refusal.FORBIDDEN, "only the measure's provider answers its "
                               "referral", measure_id=step.measure_id)


def _choices(items: list[Any], field: str, most: int) -> None:
    """A list of choices: each at most once, at most `most` of them (see `vocabulary.choices`)."""
    if len(items) > most or len(set(items)) != len(items):
        raise StepRejected(Refusal.INVALID_STEP, "{field} lists each choice at most once, at "
                           "most {most} of them", field=field, most=most)


def check_referral(referral: Referral, today: date) -> None:
    """A referral before anything durable exists: consent (the rule), its lists, and dates that
    make sense. The birth date is personal: messages never repeat it."""
    rules.check_referral(referral)
    _choices(referral.exploitation, "exploitation", len(Exploitation))
    _choices(referral.person.languages, "person.languages", LANGUAGES)
    if referral.received_on is not None:
        _between(referral.received_on, "received_on", today - LATE_ENTRY, today,
                 "a year ago")
    born = referral.person.date_of_birth
    if born is None:
        return
    if not OLDEST_BIRTH <= born <= today:
        raise StepRejected(Refusal.INVALID_STEP, "date_of_birth is not a plausible birth date",
                           field="person.date_of_birth")
    if (born + ADULT > (referral.received_on or today)) is not referral.minor:
        raise StepRejected(Refusal.INVALID_STEP, "minor does not agree with date_of_birth",
                           field="minor")
