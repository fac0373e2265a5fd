"""Every step of a case, declared once: what it is called, what it carries, which rule takes it,
when and by whom, where it is asked for, and whom it tells.

Everything else is made from these declarations: the workflow's updates and their validators
(`engine.updates`), the API's step routes (`api/routes/steps.py`) and its role table
(`api/access.py`), the contract's examples, the console's forms and item actions, and the tables
the tests walk. Adding a step is its declaration here, its rule (in `rules/`), its translations
and its tests; a patch with a recorded history only where the workflow's commands change
(docs/architecture.md). `tests/workflows/test_steps.py` fails when a step's name is written
anywhere else.

A step's `name` is its update's name in every recorded history and its API operation's: it
never changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Generic

from workflows.model.documents import NewDocument
from workflows.model.requests import (
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ConsentChange,
    ContactRecord,
    CriminalEvent,
    DeadlineChange,
    DeadlineExtension,
    Duplicate,
    ExitDecision,
    Extension,
    InformationRequest,
    ManualNotification,
    MeasureAnswer,
    MeasureEnd,
    MeasureEnding,
    MeasureProviderChange,
    MeasureResponse,
    MeasureUpdate,
    MunicipalityTransition,
    NetworkJoin,
    NetworkLeave,
    NewMeasure,
    NotificationRef,
    OfficeTransfer,
    PlanApproval,
    PlanRevision,
    ProviderChange,
    Reassignment,
    ReflectionPeriodGrant,
    Step,
    StepMeta,
    TakeOver,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import Action, ConsentScope, Phase, Purpose, Refusal, Role
from workflows.rules import client_work as work
from workflows.rules import deadlines, documents, guards, intake, measures, size
from workflows.rules import lifecycle as rules
from workflows.rules import notifications as notices
from workflows.rules.step import Rule, S, StepContext, StepRejected

# The phases in which the client is being assisted: admitted, until the exit.
OPEN_PHASES = (Phase.ADMITTED, Phase.ASSISTANCE, Phase.MUNICIPALITY)
REFERRED_OR_OPEN = (Phase.REFERRED, *OPEN_PHASES)
PLANNED = (Phase.ASSISTANCE, Phase.MUNICIPALITY)  # a plan rests on an assessment

Who = Callable[[CaseState, Any, StepMeta], None]
Dates = Callable[[CaseState, Any, date], None]


class Offered(StrEnum):
    """Where the console offers a step."""

    FORM = "form"  # a form of its own on the case page
    ITEM = "item"  # an action on one item of the case (a measure, a deadline, a notification…)
    DESK = "desk"  # on an agency's desk (or the operations list), by its own page
    UPLOAD = "upload"  # a file sent with it: a route and a form of its own (attachments)


@dataclass(frozen=True)
class Declared(Generic[S]):
    name: str  # the update's, the API operation's, the console form's: never changes
    body: type[S]  # what the workflow's update receives
    rule: Rule[S]
    title: str  # English; the console's catalogue translates it
    path: str  # the API's, under /v1/cases (and the console's item action, under /cases)
    summary: str  # the API operation's
    offered: Offered
    example: dict[str, Any]  # a request, shown in the contract and checked by its tests
    # The HTTP body where the path names the step's item (its values fill `body`'s fields).
    request: type[Step] | None = None
    # The phases it may be taken in; None: its item's state decides (the rule checks it).
    phases: tuple[Phase, ...] | None = REFERRED_OR_OPEN
    roles: frozenset[Role] = guards.STAFF
    who: Who | None = None  # which of `roles` may take it on this case
    dates: Dates | None = None  # whether its dates make sense for the case
    closes: bool = False  # a decision that closes a case: never refused for its size
    # Whether the case still calls for it, besides its phase (a step taken once is not offered
    # again); its rule refuses it all the same.
    called_for: Callable[[CaseState], bool] | None = None
    notifies: Mapping[Action, notices.Planner] = field(default_factory=dict)
    tag: str = "cases"  # the API's section
    skip: frozenset[str] = frozenset()  # fields its form does not ask for
    # The number of another case the step names (a duplicate's): its reader must reach both.
    other_case: Callable[[Any], str] | None = None

    @property
    def http_body(self) -> type[Step]:
        return self.request or self.body

    @property
    def path_fields(self) -> list[str]:
        """The fields of `body` that the path carries."""
        return [p for p in re.findall(r"{(\w+)}", self.path) if p != "case_id"]

    def authorize(self, state: CaseState, meta: StepMeta, step: S) -> None:
        """Before anything else (the version included): whoever may not take the step learns
        nothing of the case from the refusal."""
        guards.access(state, meta)
        if self.who is not None:
            self.who(state, step, meta)

    def check_dates(self, state: CaseState, step: S, today: date) -> None:
        if self.dates is not None:
            self.dates(state, step, today)

    def take(self, state: CaseState, step: S, ctx: StepContext, *, notify: bool) -> Action:
        """The step on the state: its phase, its rule, its record, and the notifications it
        calls for. The workflow's validator takes it on a copy, its handler on the state."""
        if self.phases is not None:
            self._require_phase(state)
        action = self.rule(state, step, ctx)
        rules.record(state, action, ctx, step.reason)
        if notify and (planner := self.notifies.get(action)) is not None:
            rules.plan(state, planner, step, ctx.now)
        return action

    def fits(self, after: CaseState) -> None:
        """The state a step leaves must fit the budget (see `rules.size`)."""
        if self.closes:
            return
        if (held := size.size(after)) > size.BUDGET:
            raise StepRejected(Refusal.CASE_LIMIT, "the case would hold {held} KiB of open work, "
                               "more than its {budget} KiB: settle open measures, deadlines or "
                               "notifications first", held=held // 1024,
                               budget=size.BUDGET // 1024)

    def consent_wanted(self, state: CaseState) -> list[tuple[ConsentScope, Purpose]]:
        """The consents its notifications would need that the client has not given: without
        them, they are withheld (the console says so before the step is sent)."""
        return list(dict.fromkeys(need for planner in self.notifies.values()
                                  if (need := notices.consent_wanted(state, planner))))

    def allowed_in(self, phase: Phase) -> bool:
        return self.phases is None or phase in self.phases

    def offered_on(self, state: CaseState) -> bool:
        """Whether to offer it on this case now: its phase allows it and the case calls for it."""
        return self.allowed_in(state.phase) and (self.called_for is None
                                                 or self.called_for(state))

    def _require_phase(self, state: CaseState) -> None:
        assert self.phases is not None
        if state.phase.closed and state.phase not in self.phases:
            raise StepRejected(Refusal.CASE_CLOSED, "the case is closed ({phase}); no '{step}'",
                               phase=str(state.phase), step=self.title)
        if state.phase not in self.phases:
            raise StepRejected(Refusal.INVALID_TRANSITION,
                               "'{step}' is not allowed in phase '{phase}'", step=self.title,
                               phase=str(state.phase),
                               allowed_phases=[str(p) for p in self.phases])


FORM, ITEM, DESK, UPLOAD = Offered
REASON = {"reason": "The client moved into the flat."}
PROVIDER = {"agency_type": "reception_centre", "organisation": "Joutseno reception centre"}

# In the order of the work: the case page offers its forms in this order.
STEPS: tuple[Declared[Any], ...] = (
    # --- intake: a referral from an agency or the person themself -----------------------
    Declared(
        "take_over", TakeOver, intake.take_over, "Take over", "/{case_id}/take-over",
        "A caseworker of the office takes over a referral waiting in intake", FORM,
        phases=(Phase.REFERRED,), called_for=intake.waiting, tag="intake",
        example={"reason": "I speak Romanian and have time this week."}),
    Declared(
        "ask_referrer", InformationRequest, intake.ask_referrer, "Ask the referrer for more",
        "/{case_id}/referrer-questions", "Ask the referring agency for more about its referral",
        FORM, phases=(Phase.REFERRED,), tag="intake",
        called_for=lambda state: state.referrer.agency_id is not None,
        notifies={Action.MORE_ASKED: notices.more_information},
        example={"reason": "The referral does not say how to reach the person.",
                 "question": "How can we reach the person safely: by phone, or through you?"}),
    Declared(
        "mark_duplicate", Duplicate, intake.mark_duplicate, "Duplicate referral",
        "/{case_id}/duplicate", "A second referral of a person whose case goes on in another: "
        "closed here, named there", FORM, phases=(Phase.REFERRED,), closes=True, tag="intake",
        other_case=lambda step: step.duplicate_of,
        example={"reason": "The police referred the same person last week.",
                 "duplicate_of": "HEL-2026-0041"}),
    # --- the case ------------------------------------------------------------------------
    Declared(
        "decide_admission", AdmissionDecision, rules.decide_admission, "Admission decision",
        "/{case_id}/admission", "Admission decision (identification)", FORM,
        phases=(Phase.REFERRED,), dates=guards.admission, closes=True,
        notifies=dict.fromkeys((Action.ADMITTED, Action.NOT_ADMITTED), notices.referral_outcome),
        example={"reason": "Indications of forced labour; needs help because of it.",
                 "admitted": True, "decision_maker_id": "lead-jussi",
                 "decided_on": "2026-12-01"}),
    Declared(
        "begin_assessment", AssessmentStart, rules.begin_assessment, "Start of the assessment",
        "/{case_id}/assessment/start", "The assessment of needs has started", FORM,
        phases=(Phase.ADMITTED,), dates=guards.assessment_start,
        called_for=lambda state: state.assessment_started_on is None,
        example={"reason": "First meeting with an interpreter.", "started_on": "2026-12-01"}),
    Declared(
        # The needs can be assessed again while the client is assisted.
        "assess_needs", Assessment, rules.assess_needs, "Assessment of assistance needs",
        "/{case_id}/assessment", "Assessment of assistance needs", FORM, phases=OPEN_PHASES,
        dates=guards.assessment,
        notifies=dict.fromkeys((Action.NEEDS_ASSESSED, Action.NEEDS_REASSESSED), notices.assessed),
        example={"reason": "Joint meeting with the reception centre.", "safety_threat": "high",
                 "criminal_matter": True, "needs_support_person": True,
                 "client_view": "Wants safe housing and work.",
                 "agencies": ["reception_centre"], "assessed_on": "2026-12-01"}),
    Declared(
        "add_measure", NewMeasure, measures.add_measure, "New assistance measure",
        "/{case_id}/measures", "Add an assistance measure", FORM, phases=OPEN_PHASES,
        dates=guards.measure, notifies={Action.MEASURE_ADDED: notices.measure_referral},
        example={"reason": "Safe housing is needed at once.", "type": "housing",
                 "provider": PROVIDER, "planned_start": "2026-12-14"}),
    Declared(
        "revise_plan", PlanRevision, work.revise_plan, "Client plan", "/{case_id}/plans",
        "A revision of the client plan (in force at once, or awaiting approval)", FORM,
        phases=PLANNED, dates=guards.plan, tag="client work",
        example={"reason": "Agreed with the client at the plan meeting.",
                 "goals": [{"goal": "A safe place to live.", "measure_ids": ["M1"],
                            "responsible": "cw-anna"},
                           {"goal": "Finnish lessons twice a week.",
                            "responsible": "Helsinki adult education centre"}],
                 "client_view": "Wants to start work as soon as possible.",
                 "client_agrees": True, "review_on": ["2027-03-01"]}),
    Declared(
        # A contact, or an appointment ahead (whose outcome is recorded from the appointment).
        "record_contact", ContactRecord, work.record_contact, "Contact or appointment",
        "/{case_id}/contacts", "Record a contact (held or missed), plan an appointment, or "
        "record how a planned one went", FORM, dates=guards.contact, tag="client work",
        skip=frozenset({"appointment_id"}),
        notifies={Action.CONTACT_RECORDED: notices.acute_danger},
        example={"reason": "Weekly meeting.", "kind": "meeting", "status": "held",
                 "at": "2026-12-01T10:00:00+02:00", "place": "Helsinki office",
                 "interpreter_language": "tl", "participants": ["interpreter"],
                 "note": "Talked about the housing application.", "safety_threat": "low"}),
    Declared(
        "join_network", NetworkJoin, work.join_network, "Someone joins the support network",
        "/{case_id}/network", "Someone joins the client's support network", FORM,
        dates=guards.network, tag="client work",
        example={"reason": "Her support person from now on.", "role": "crime_support_person",
                 "organisation": "Victim Support Finland",
                 "contact_person": "Support person on duty",
                 "contact_channel": "+358 40 000 0000", "agency_id": "victim-support-finland"}),
    Declared(
        "record_criminal_stage", CriminalEvent, rules.record_criminal_stage, "Criminal process",
        "/{case_id}/criminal-process", "Record a stage of the criminal process", FORM,
        dates=guards.criminal,
        called_for=lambda state: bool(rules.CRIMINAL_NEXT.get(state.criminal_process.stage)),
        example={"reason": "Police informed the caseworker.",
                 "stage": "pre_trial_investigation", "on": "2026-12-01",
                 "authority": "National Bureau of Investigation"}),
    Declared(
        "record_consent", ConsentChange, rules.record_consent, "Consent", "/{case_id}/consents",
        "Record a consent given or withdrawn", FORM,
        notifies={Action.CONSENT_GIVEN: notices.police_contact},
        example={"reason": "The client decided after advice.", "scope": "share_with_agencies",
                 "given_by": "client", "given": True, "agency_id": "victim-support-finland",
                 "purpose": "plan"}),
    Declared(
        "grant_reflection_period", ReflectionPeriodGrant, rules.grant_reflection_period,
        "Reflection period", "/{case_id}/reflection-period", "Reflection period granted", FORM,
        dates=guards.reflection,
        example={"reason": "Granted by the police.", "granted_on": "2026-12-01",
                 "length": {"days": 30}, "granted_by": "police"}),
    Declared(
        "transition_to_municipality", MunicipalityTransition, rules.transition_to_municipality,
        "Transition to the home municipality", "/{case_id}/transition",
        "Transition to the home municipality", FORM, phases=(Phase.ASSISTANCE,),
        dates=guards.transition,
        notifies={Action.TRANSFERRED_TO_MUNICIPALITY: notices.handover},
        example={"reason": "The client got a home municipality.", "municipality": "Tampere",
                 "home_municipality_since": "2027-01-01", "handover_on": "2027-01-15",
                 "integration_plan_start": "2027-02-01"}),
    Declared(
        "notify_by_hand", ManualNotification, rules.notify_by_hand, "Notify an agency",
        "/{case_id}/notifications",
        "Notify an agency: with consent, or on a legal basis recorded here", FORM,
        notifies={Action.NOTIFIED_BY_HAND: notices.by_hand},
        example={"reason": "Acute danger: the police must know now.",
                 "agency_id": "police-nbi-trafficking", "legal_basis": "acute_danger"}),
    Declared(
        "reassign", Reassignment, rules.reassign, "Reassign", "/{case_id}/assignment",
        "Reassign to another caseworker", FORM,
        example={"reason": "The caseworker is on leave.", "caseworker_id": "cw-pekka",
                 "handover_note": "Prefers calls in the afternoon; interpreter: Tagalog."}),
    Declared(
        "transfer_office", OfficeTransfer, rules.transfer_office, "Transfer to another office",
        "/{case_id}/transfer", "Transfer to another office", FORM,
        example={"reason": "The client moved.", "office": "tampere", "caseworker_id": "cw-tiina",
                 "handover_note": "Housing application pending in Tampere."}),
    Declared(
        "exit_case", ExitDecision, rules.exit_case, "Exit decision", "/{case_id}/exit",
        "Exit decision", FORM, phases=OPEN_PHASES, dates=guards.exit_decision, closes=True,
        notifies={Action.EXITED: notices.exit_notices},
        example={"reason": "The client no longer needs the assistance system's help.",
                 "ground": "no_longer_needs_help", "decision_maker_id": "lead-jussi",
                 "decided_on": "2026-12-01"}),
    Declared(
        # The file goes with the request (multipart): api/routes/attachments.py stores it.
        "add_document", NewDocument, documents.add_document, "Document", "/{case_id}/attachments",
        "Attach a document (a scanned form, a statement, a decision): the file and what it is",
        UPLOAD, phases=REFERRED_OR_OPEN,
        example={"reason": "The employment contract she brought.",
                 "caption": "Employment contract", "media_type": "application/pdf",
                 "size": 48213, "sha256": "0" * 64, "blob": "b-0f3c2a", "shared_for": None}),
    # --- on one item of the case --------------------------------------------------------
    Declared(
        "respond_to_measure", MeasureAnswer, measures.respond_to_measure,
        "Answer to a measure referral", "/{case_id}/measures/{measure_id}/response",
        "The providing agency accepts or declines the measure", DESK, request=MeasureResponse,
        phases=OPEN_PHASES, roles=guards.STAFF | guards.AGENCIES, who=guards.provider_answers,
        example={"reason": "A room is free from Monday.", "accepted": True}),
    Declared(
        "change_provider", MeasureProviderChange, measures.change_provider, "Another provider",
        "/{case_id}/measures/{measure_id}/provider",
        "Refer a planned measure to another provider (e.g. after a decline)", ITEM,
        request=ProviderChange, phases=OPEN_PHASES,
        notifies={Action.PROVIDER_CHANGED: notices.measure_referral},
        example={"reason": "The first provider had no room.", "provider": PROVIDER}),
    Declared(
        "end_measure", MeasureEnding, measures.end_measure, "Outcome",
        "/{case_id}/measures/{measure_id}/outcome",
        "A started measure ends: implemented, or not successful (and why)", ITEM,
        request=MeasureEnd, phases=OPEN_PHASES,
        example={"reason": "She has her own flat and a lease.", "outcome": "implemented"}),
    Declared(
        "change_measure", MeasureUpdate, measures.change_measure, "Measure",
        "/{case_id}/measures/{measure_id}/{action}", "Start, complete or cancel a measure", ITEM,
        request=Step, phases=OPEN_PHASES, example=REASON),
    Declared(
        "extend_deadline", DeadlineExtension, deadlines.extend_deadline, "Extend",
        "/{case_id}/deadlines/{deadline_id}/extension",
        "Extend a deadline, as far as its rule allows", ITEM, request=Extension, phases=None,
        dates=guards.extension,
        example={"reason": "The interpreter is available only next week.",
                 "extension": {"days": 7}}),
    Declared(
        "change_deadline", DeadlineChange, deadlines.change_deadline, "Deadline",
        "/{case_id}/deadlines/{deadline_id}/{action}", "Meet or cancel a deadline", ITEM,
        request=Step, phases=None, example=REASON),
    Declared(
        "acknowledge_notification", NotificationRef, rules.acknowledge_notification,
        "Acknowledgement", "/{case_id}/notifications/{notification_id}/ack",
        "The agency acknowledges receipt", DESK, request=Step, phases=None,
        roles=guards.STAFF | guards.AGENCIES, who=guards.acknowledger, example=REASON),
    Declared(
        "resend_notification", NotificationRef, rules.resend_notification, "Send again",
        "/{case_id}/notifications/{notification_id}/resend",
        "Send a failed (or withheld, now consented) notification again", ITEM, request=Step,
        phases=None, roles=guards.STAFF | {Role.OPERATOR}, example=REASON),
    Declared(
        "approve_plan", PlanApproval, work.approve_plan, "Approve",
        "/{case_id}/plans/{plan}/approval",
        "The lead of the case's office approves a plan revision", ITEM, request=Step,
        phases=PLANNED, roles=frozenset({Role.OFFICE_LEAD}), who=guards.office_lead_approves,
        tag="client work", example=REASON),
    Declared(
        "leave_network", NetworkLeave, work.leave_network, "Leaves the network",
        "/{case_id}/network/{member_id}/leave",
        "Someone leaves the client's support network (stays on record)", ITEM, request=Step,
        tag="client work", example=REASON),
)
BY_NAME: dict[str, Declared[Any]] = {s.name: s for s in STEPS}
BY_RULE: dict[Callable[..., Action], Declared[Any]] = {s.rule: s for s in STEPS}
# The notification matrix (the table in `rules.notifications`): the opening's, and each step's.
MATRIX: dict[Action, notices.Planner] = {
    Action.REFERRED: notices.minor_referred,
    **{action: planner for s in STEPS for action, planner in s.notifies.items()}}


def of(rule: Callable[..., Action]) -> Declared[Any]:
    """The step a rule takes."""
    return BY_RULE[rule]
