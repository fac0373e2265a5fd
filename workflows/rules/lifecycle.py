"""The lifecycle rules of a case as pure functions over `CaseState` (see `rules.step`): opening,
admission, assessment, transition, exit, and what runs alongside from the referral on (consent,
the criminal process, a reflection period, assignment, notifications). Measures have their rules
in `measures`, deadlines in `deadlines`.

Each rule checks that the step is allowed, then changes the state in place, and returns the
action recorded in the case's step list. `workflows.steps` declares each step (its phases, who
may take it, whom it tells), and the workflow takes it twice through its declaration: in the
update validator on a copy (so an invalid step is refused before it reaches history) and in the
update handler on the real state. No I/O, clock or randomness here: the time comes from the
workflow in a `StepContext`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflows.model import calendar
from workflows.model.requests import (
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ConsentChange,
    CriminalEvent,
    ExitDecision,
    Length,
    ManualNotification,
    MunicipalityTransition,
    NotificationRef,
    OfficeTransfer,
    OnExit,
    Reassignment,
    Referral,
    ReflectionPeriodGrant,
)
from workflows.model.state import (
    Admission,
    Assignment,
    CaseState,
    Consent,
    Contact,
    CriminalRecord,
    Exit,
    Handover,
    Measure,
    Municipality,
    Needs,
    Notification,
    StepRecord,
)
from workflows.model.vocabulary import (
    Action,
    ConsentGiver,
    ConsentScope,
    ContactStatus,
    CriminalStage,
    DeadlineStatus,
    LegalBasis,
    MeasureOutcome,
    MeasureStatus,
    NotificationStatus,
    Phase,
    Purpose,
    Refusal,
    Role,
    ThreatLevel,
)
from workflows.rules import deadlines, notifications, size
from workflows.rules.step import (
    StepContext,
    StepRejected,
    find,
)

K = calendar.DeadlineKind


STAFF = frozenset({Role.CASEWORKER, Role.OFFICE_LEAD, Role.OPERATOR})
REFERRING_STAFF = frozenset({Role.CASEWORKER, Role.OFFICE_LEAD})

# The criminal process moves forward one stage at a time; it may be discontinued before judgment,
# and an appeal leads to a new judgment. It never gates assistance.
CRIMINAL_NEXT: dict[CriminalStage, frozenset[CriminalStage]] = {
    CriminalStage.NONE: frozenset({CriminalStage.REPORTED, CriminalStage.PRE_TRIAL_INVESTIGATION}),
    CriminalStage.REPORTED: frozenset(
        {CriminalStage.PRE_TRIAL_INVESTIGATION, CriminalStage.DISCONTINUED}
    ),
    CriminalStage.PRE_TRIAL_INVESTIGATION: frozenset(
        {CriminalStage.CONSIDERATION_OF_CHARGES, CriminalStage.DISCONTINUED}
    ),
    CriminalStage.CONSIDERATION_OF_CHARGES: frozenset(
        {CriminalStage.TRIAL, CriminalStage.DISCONTINUED}
    ),
    CriminalStage.TRIAL: frozenset({CriminalStage.JUDGMENT, CriminalStage.DISCONTINUED}),
    CriminalStage.JUDGMENT: frozenset({CriminalStage.APPEAL}),
    CriminalStage.APPEAL: frozenset({CriminalStage.JUDGMENT}),
    CriminalStage.DISCONTINUED: frozenset(),
}

# The phase a case is in after the steps that move it.
PHASE_AFTER = {Action.REFERRED: Phase.REFERRED, Action.ADMITTED: Phase.ADMITTED,
               Action.NOT_ADMITTED: Phase.NOT_ADMITTED, Action.NEEDS_ASSESSED: Phase.ASSISTANCE,
               Action.TRANSFERRED_TO_MUNICIPALITY: Phase.MUNICIPALITY,
               Action.EXITED: Phase.EXITED}
CRIMINAL_STAGE_REACHED = {stage: Action(f"criminal_{stage}") for stage in CriminalStage
                          if stage is not CriminalStage.NONE}


def record(state: CaseState, action: Action, ctx: StepContext, reason: str) -> None:
    """The step in the case's ordered list, with who, when, why and the version it made."""
    state.version += 1
    state.steps.append(StepRecord(seq=state.version, action=action, actor=ctx.actor, at=ctx.now,
                                  reason=reason, version=state.version))


def plan(state: CaseState, planner: notifications.Planner, step: Any, now: datetime) -> None:
    """Record the notifications a step calls for (pending, or withheld without consent)."""
    for planned in notifications.plan_step(planner, state, step):
        state.notifications.append(notifications.notification(state, planned, now))


def _open_deadline(state: CaseState, kind: calendar.DeadlineKind, begins_on: date, ctx: StepContext,
                   length: Length | None = None) -> None:
    try:
        deadlines.open_deadline(state, kind, begins_on, ctx.now, ctx.actor, length=length)
    except calendar.RuleRefusal as err:
        raise StepRejected(Refusal.RULE_REFUSED, err.says, **err.details) from None
    except LookupError:
        raise StepRejected(Refusal.RULE_REFUSED, "no {kind} rule applies to a period beginning "
                           "on {begins_on}", kind=str(kind),
                           begins_on=begins_on.isoformat()) from None


def _close_with_appeal(state: CaseState, decided_on: date, by_post: bool, ctx: StepContext,
                       reason: str) -> None:
    """A closing decision cancels what was pending and opens its appeal period."""
    deadlines.settle(state, list(calendar.DeadlineKind), DeadlineStatus.CANCELLED, ctx.now,
                     ctx.actor, reason)
    _open_deadline(state, K.APPEAL_PERIOD,
                   calendar.appeal_period_begins(decided_on, by_post=by_post), ctx)


def check_referral(referral: Referral) -> None:
    """Consent is the basis of a personal record; without it only an anonymous consultation."""
    if not referral.client_consent:
        raise StepRejected(
            Refusal.CONSENT_MISSING,
            "the client's consent to the referral is required",
            field="client_consent",
        )
    if referral.minor and not referral.guardian_consent:
        raise StepRejected(
            Refusal.CONSENT_MISSING,
            "a minor's referral requires the guardian's or representative's consent",
            field="guardian_consent",
        )


def open_case(case_id: str, referral: Referral, ctx: StepContext) -> CaseState:
    """The state of a new case, version 0; the referral step itself is recorded by the caller."""
    check_referral(referral)
    givers = [ConsentGiver.CLIENT] + ([ConsentGiver.GUARDIAN] if referral.minor else [])
    consents = [Consent(scope=ConsentScope.REFERRAL, given_by=giver, given=True, at=ctx.now,
                        recorded_by=ctx.actor.user_id) for giver in givers]
    state = CaseState(
        case_id=case_id,
        version=0,
        phase=Phase.REFERRED,
        referred_at=ctx.now,
        referrer=referral.referrer,
        exploitation=referral.exploitation,
        minor=referral.minor,
        person=referral.person,
        # Staff who refer take the case; anyone else's referral waits in the office's intake.
        assignment=Assignment(office=referral.office, caseworker_id=referral.caseworker_id or (
            ctx.actor.user_id if ctx.actor.role in REFERRING_STAFF else None)),
        consents=consents,
        received_on=referral.received_on,
        consultation=referral.consultation,
    )
    # The decision is due counting from the day the referral was received.
    _open_deadline(state, K.ADMISSION_DECISION, state.began_on, ctx)
    return state


def decide_admission(state: CaseState, step: AdmissionDecision, ctx: StepContext) -> Action:
    state.admission = Admission(
        admitted=step.admitted,
        decision_maker_id=step.decision_maker_id,
        decided_on=step.decided_on,
        reasons=step.reason,
    )
    state.phase = Phase.ADMITTED if step.admitted else Phase.NOT_ADMITTED
    deadlines.settle(state, [K.ADMISSION_DECISION], DeadlineStatus.MET, ctx.now, ctx.actor)
    if not step.admitted:
        _close_with_appeal(state, step.decided_on, step.by_post, ctx, "not admitted")
        return Action.NOT_ADMITTED
    for kind in (K.ASSESSMENT_START, K.ASSESSMENT_COMPLETION, K.RECOVERY_PERIOD):
        _open_deadline(state, kind, step.decided_on, ctx)
    _open_deadline(state, K.APPEAL_PERIOD,
                   calendar.appeal_period_begins(step.decided_on, by_post=step.by_post), ctx)
    return Action.ADMITTED


def begin_assessment(state: CaseState, step: AssessmentStart, ctx: StepContext) -> Action:
    if state.assessment_started_on is not None:
        raise StepRejected(Refusal.INVALID_TRANSITION, "the assessment has already started")
    state.assessment_started_on = step.started_on
    deadlines.settle(state, [K.ASSESSMENT_START], DeadlineStatus.MET, ctx.now, ctx.actor)
    return Action.ASSESSMENT_STARTED


def assess_needs(state: CaseState, step: Assessment, ctx: StepContext) -> Action:
    """The assessment of needs; repeated while the client is assisted when their safety, health
    or status changes (the earlier ones stay, numbered)."""
    earlier = state.needs
    if earlier is None and state.phase is not Phase.ADMITTED:
        raise StepRejected(Refusal.INVALID_TRANSITION, "the first assessment follows admission")
    if ctx.work:  # the threat as assessed now: acute raises the alert, lower ends it
        state.acute_danger_at = ctx.now if step.safety_threat is ThreatLevel.ACUTE else None
    if earlier is not None:
        state.past_needs.append(earlier)
        state.needs = Needs(**step.model_dump(exclude={"reason"}), number=earlier.number + 1)
        return Action.NEEDS_REASSESSED
    state.needs = Needs(**step.model_dump(exclude={"reason"}))
    state.phase = Phase.ASSISTANCE
    deadlines.settle(state, [K.ASSESSMENT_START, K.ASSESSMENT_COMPLETION], DeadlineStatus.MET,
                     ctx.now, ctx.actor)
    return Action.NEEDS_ASSESSED


def record_criminal_stage(state: CaseState, step: CriminalEvent, _ctx: StepContext) -> Action:
    # Alongside assistance from referral on, whatever the assistance phase.
    current = state.criminal_process.stage
    if step.stage not in CRIMINAL_NEXT[current]:
        raise StepRejected(
            Refusal.INVALID_TRANSITION,
            "criminal process cannot move from '{stage}' to '{to}'",
            stage=str(current), to=str(step.stage),
            allowed_stages=sorted(str(s) for s in CRIMINAL_NEXT[current]),
        )
    state.criminal_process.stage = step.stage
    state.criminal_process.history.append(
        CriminalRecord(stage=step.stage, on=step.on, authority=step.authority)
    )
    return CRIMINAL_STAGE_REACHED[step.stage]


def record_consent(state: CaseState, step: ConsentChange, ctx: StepContext) -> Action:
    if step.given_by is ConsentGiver.GUARDIAN and not state.minor:
        raise StepRejected(Refusal.INVALID_STEP, "a guardian's consent applies to a minor only",
                           field="given_by")
    if step.scope is not ConsentScope.SHARE_WITH_AGENCIES and (step.agency_id or step.purpose):
        raise StepRejected(Refusal.INVALID_STEP, "only consent to share with agencies is given "
                           "per agency or purpose", field="scope")
    state.consents.append(Consent(scope=step.scope, given_by=step.given_by, given=step.given,
                                  at=ctx.now, recorded_by=ctx.actor.user_id,
                                  seq=size.next_consent_seq(state),
                                  agency_id=step.agency_id, purpose=step.purpose))
    return Action.CONSENT_GIVEN if step.given else Action.CONSENT_WITHDRAWN


def transition_to_municipality(state: CaseState, step: MunicipalityTransition,
                               ctx: StepContext) -> Action:
    if step.handover_on < step.home_municipality_since:
        raise StepRejected(Refusal.INVALID_STEP, "handover cannot precede the home "
                           "municipality date", field="handover_on")
    state.municipality = Municipality(**step.model_dump(exclude={"reason"}))
    state.phase = Phase.MUNICIPALITY
    if step.integration_plan_start is not None:
        _open_deadline(state, K.INTEGRATION_PLAN, step.integration_plan_start, ctx)
    return Action.TRANSFERRED_TO_MUNICIPALITY


def exit_case(state: CaseState, step: ExitDecision, ctx: StepContext) -> Action:
    state.exit = Exit(ground=step.ground, decision_maker_id=step.decision_maker_id,
                      decided_on=step.decided_on, reasons=step.reason)
    state.phase = Phase.EXITED
    if step.open_items is not None:  # absent from exits recorded before it was asked for
        _settle_on_exit(state, step.open_items, ctx)
    _close_with_appeal(state, step.decided_on, step.by_post, ctx, "case exited")
    return Action.EXITED


def open_on_exit(state: CaseState) -> tuple[list[Measure], list[Contact]]:
    """What an exit must say the fate of: the open measures, and the appointments ahead."""
    return ([m for m in state.measures
             if m.status in (MeasureStatus.PLANNED, MeasureStatus.STARTED)],
            [c for c in state.contacts if c.status is ContactStatus.PLANNED])


def _settle_on_exit(state: CaseState, told: OnExit, ctx: StepContext) -> None:
    measures, appointments = open_on_exit(state)
    for m in measures:
        done = m.status is MeasureStatus.STARTED and m.id in told.implemented
        m.status, m.changed_at = (MeasureStatus.COMPLETED if done
                                  else MeasureStatus.CANCELLED), ctx.now
        m.outcome = MeasureOutcome.IMPLEMENTED if done else m.outcome
    for c in appointments:
        c.status = ContactStatus.CANCELLED


def grant_reflection_period(state: CaseState, step: ReflectionPeriodGrant,
                            ctx: StepContext) -> Action:
    _open_deadline(state, K.REFLECTION_PERIOD, step.granted_on, ctx, length=step.length)
    return Action.REFLECTION_PERIOD_GRANTED


def reassign(state: CaseState, step: Reassignment, ctx: StepContext) -> Action:
    if step.caseworker_id == state.assignment.caseworker_id:
        raise StepRejected(Refusal.INVALID_STEP, "the case is already assigned to that caseworker",
                           field="caseworker_id")
    hand_over(state, Assignment(office=state.assignment.office,
                                 caseworker_id=step.caseworker_id), step.handover_note, ctx)
    return Action.REASSIGNED


def transfer_office(state: CaseState, step: OfficeTransfer, ctx: StepContext) -> Action:
    if step.office == state.assignment.office:
        raise StepRejected(Refusal.INVALID_STEP, "the case is already at that office",
                           field="office")
    hand_over(state, Assignment(office=step.office, caseworker_id=step.caseworker_id),
               step.handover_note, ctx)
    return Action.TRANSFERRED_OFFICE


HANDOVERS_KEPT = 5


def hand_over(state: CaseState, to: Assignment, note: str | None, ctx: StepContext) -> None:
    """A change of worker: counted, its note kept for the new worker, whose first contact with
    the client (a contact recorded as held) becomes a deadline."""
    before, state.assignment = state.assignment, to
    if before.caseworker_id is not None:  # taken over from intake: the first worker, no change
        state.worker_changes += 1
    state.handovers = [*state.handovers, Handover(
        at=ctx.now, from_caseworker=before.caseworker_id, to_caseworker=to.caseworker_id,
        office=to.office, note=note)][-HANDOVERS_KEPT:]
    if ctx.work and not state.phase.closed:  # a timer: runs before the patch open none
        deadlines.settle(state, [K.FIRST_CONTACT], DeadlineStatus.CANCELLED, ctx.now, ctx.actor,
                         "another change of worker")
        _open_deadline(state, K.FIRST_CONTACT, calendar.helsinki_date(ctx.now), ctx)


def _notification(state: CaseState, notification_id: str) -> Notification:
    return find(state.notifications, notification_id, Refusal.UNKNOWN_NOTIFICATION, "notification")


def acknowledge_notification(state: CaseState, step: NotificationRef, ctx: StepContext) -> Action:
    n = _notification(state, step.notification_id)
    if n.status not in (NotificationStatus.PENDING, NotificationStatus.DELIVERED):
        raise StepRejected(Refusal.INVALID_TRANSITION,
                           "notification '{notification_id}' is {notification_status}",
                           notification_id=n.id, notification_status=str(n.status))
    if ctx.actor.agency not in (None, n.agency_id) and ctx.actor.role not in STAFF:
        raise StepRejected(Refusal.INVALID_STEP, "only the notified agency acknowledges",
                           notification_id=n.id)
    n.status, n.changed_at, n.acknowledged_by = NotificationStatus.ACKNOWLEDGED, ctx.now, ctx.actor
    deadlines.settle(state, [K.NOTIFICATION_ACK], DeadlineStatus.MET, ctx.now, ctx.actor,
                     subject=n.id)
    return Action.NOTIFICATION_ACKNOWLEDGED


def resend_notification(state: CaseState, step: NotificationRef, ctx: StepContext) -> Action:
    """Send a failed notification again (after the directory was fixed), or a withheld one
    whose consent has since been given."""
    n = _notification(state, step.notification_id)
    if n.status not in (NotificationStatus.FAILED, NotificationStatus.WITHHELD):
        raise StepRejected(Refusal.INVALID_TRANSITION,
                           "notification '{notification_id}' is {notification_status}",
                           notification_id=n.id, notification_status=str(n.status))
    if n.legal_basis is None and not (n.consent and notifications.still_allowed(state, n)):
        raise StepRejected(Refusal.CONSENT_MISSING,
                           "no consent in force for notification '{notification_id}'",
                           notification_id=n.id)
    n.status, n.changed_at, n.last_error = NotificationStatus.PENDING, ctx.now, None
    return Action.NOTIFICATION_RESENT


def notify_by_hand(state: CaseState, step: ManualNotification, _ctx: StepContext) -> Action:
    if step.legal_basis is None and not notifications.consent_in_force(
            state, ConsentScope.SHARE_WITH_AGENCIES, step.agency_id,
            Purpose.COORDINATION):
        raise StepRejected(Refusal.CONSENT_MISSING, "no consent to share with this agency: give "
                           "the legal basis for notifying without it", field="legal_basis")
    if step.legal_basis is LegalBasis.ACUTE_DANGER:
        state.acute_danger_at = None  # acted on: the police are told
    return Action.NOTIFIED_BY_HAND


