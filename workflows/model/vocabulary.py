"""The case's vocabulary: the words every other part of the system speaks. Enumerations of
offices, roles, phases, kinds and statuses; the actions a step records and the refusals a rule
raises; the bounded text types. No rules here, and nothing of ours is imported: every other
module builds on this one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Staff and agency identifiers are pseudonymous keys, never names.
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


def choices(most: int) -> Any:
    """A list of choices, each at most once, at most `most` of them. Stated in the schema and
    enforced by the guards of a new step (`rules.guards`), not here: these models also decode
    the payloads of cases recorded before the bound, which must replay as they were."""
    return Field(json_schema_extra={"maxItems": most, "uniqueItems": True})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Office(StrEnum):
    JOUTSENO = "joutseno"
    HELSINKI = "helsinki"
    TAMPERE = "tampere"
    OULU = "oulu"


class AgencyType(StrEnum):
    POLICE = "police"
    BORDER_GUARD = "border_guard"
    RECEPTION_CENTRE = "reception_centre"
    SOCIAL_SERVICES = "social_services"
    CHILD_PROTECTION = "child_protection"
    HEALTH_CARE = "health_care"
    NGO = "ngo"
    ASSISTANCE_OFFICE = "assistance_office"  # an office of the assistance system (its inbox)
    OFFICE_LEAD = "office_lead"  # the lead of an assistance-system office
    SELF = "self"
    OTHER = "other"


class Exploitation(StrEnum):
    """Forms of exploitation named in Criminal Code 25:3 (trafficking in human beings)."""

    SEXUAL = "sexual"
    FORCED_LABOUR = "forced_labour"
    FORCED_CRIMINALITY = "forced_criminality"
    BEGGING = "begging"
    FORCED_MARRIAGE = "forced_marriage"
    ORGAN_REMOVAL = "organ_removal"
    OTHER = "other"


class Role(StrEnum):
    CASEWORKER = "caseworker"
    OFFICE_LEAD = "office_lead"
    POLICE = "police"
    BORDER_GUARD = "border_guard"
    RECEPTION_CENTRE = "reception_centre"
    SOCIAL_SERVICES = "social_services"
    NGO = "ngo"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    PUBLIC = "public"  # the public referral form: anyone, without an account (no token has it)


class Phase(StrEnum):
    REFERRED = "referred"  # awaiting the admission decision
    ADMITTED = "admitted"  # identified as a victim; needs not yet assessed
    ASSISTANCE = "assistance"  # needs assessed; measures under way
    MUNICIPALITY = "municipality"  # home municipality responsible; the system cooperates
    NOT_ADMITTED = "not_admitted"  # closed by a negative admission decision
    EXITED = "exited"  # closed by an exit decision
    MERGED = "merged"  # closed: a second referral of a person whose case goes on in another

    @property
    def closed(self) -> bool:
        return self in (Phase.NOT_ADMITTED, Phase.EXITED, Phase.MERGED)


class MeasureType(StrEnum):
    HOUSING = "housing"
    HEALTH_CARE = "health_care"
    SOCIAL_SERVICES = "social_services"
    LEGAL_AID = "legal_aid"
    SUPPORT_PERSON = "support_person"
    INTERPRETING = "interpreting"
    INCOME_SUPPORT = "income_support"
    RETURN_ASSISTANCE = "return_assistance"
    RESIDENCE_PERMIT_HELP = "residence_permit_help"
    REFLECTION_PERIOD = "reflection_period"
    OTHER = "other"


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MeasureAction(StrEnum):
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


class CriminalStage(StrEnum):
    NONE = "none"
    REPORTED = "reported"
    PRE_TRIAL_INVESTIGATION = "pre_trial_investigation"
    CONSIDERATION_OF_CHARGES = "consideration_of_charges"
    TRIAL = "trial"
    JUDGMENT = "judgment"
    APPEAL = "appeal"
    DISCONTINUED = "discontinued"


class ThreatLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    HIGH = "high"
    ACUTE = "acute"


class MeasureOutcome(StrEnum):
    """How an accepted measure ended (Primero's referral outcome)."""

    IMPLEMENTED = "implemented"
    NOT_SUCCESSFUL = "not_successful"


class PlanStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"  # a later revision came into force


class ContactKind(StrEnum):
    MEETING = "meeting"
    PHONE_CALL = "phone_call"
    VIDEO_CALL = "video_call"
    HOME_VISIT = "home_visit"
    ACCOMPANIED_VISIT = "accompanied_visit"  # with the client to another service
    MESSAGE = "message"


class ContactStatus(StrEnum):
    PLANNED = "planned"  # an appointment ahead
    HELD = "held"
    MISSED = "missed"  # the client did not come
    CANCELLED = "cancelled"

    @property
    def settled(self) -> bool:
        return self is not ContactStatus.PLANNED


class NetworkRole(StrEnum):
    """The professionals and others around a client (the individual support network)."""

    SOCIAL_WORKER = "social_worker"
    PSYCHOLOGIST = "psychologist"
    PHYSIOTHERAPIST = "physiotherapist"
    PSYCHIATRIC_NURSE = "psychiatric_nurse"
    DOCTOR = "doctor"
    CRIME_SUPPORT_PERSON = "crime_support_person"
    RECEPTION_CENTRE_STAFF = "reception_centre_staff"
    NGO_WORKER = "ngo_worker"
    LAWYER = "lawyer"
    INTERPRETER = "interpreter"
    POLICE_CONTACT = "police_contact"
    GUARDIAN = "guardian"
    OTHER = "other"


class ExitGround(StrEnum):
    NO_LONGER_NEEDS_HELP = "no_longer_needs_help"
    CLIENT_REQUEST = "client_request"
    OTHER_STATUTORY_GROUND = "other_statutory_ground"


class DeadlineStatus(StrEnum):
    OPEN = "open"
    EXTENDED = "extended"  # open, with a due date moved by an extension
    MET = "met"
    CANCELLED = "cancelled"
    OVERDUE = "overdue"  # past due and not met: escalated; stays so until met

    @property
    def pending(self) -> bool:
        return self in (DeadlineStatus.OPEN, DeadlineStatus.EXTENDED)

    @property
    def unsettled(self) -> bool:
        """Neither met nor cancelled: pending, or overdue and still to be met."""
        return self.pending or self is DeadlineStatus.OVERDUE


class DeadlineAction(StrEnum):
    MEET = "meet"
    CANCEL = "cancel"


class AlertKind(StrEnum):
    REMINDER = "reminder"  # to the responsible caseworker's office, before due
    REVIEW = "review"  # a recurring review falls due (integration plan)
    ESCALATION = "escalation"  # to the office's lead, when a deadline passes unmet


class ConsentScope(StrEnum):
    REFERRAL = "referral"  # to be referred to and helped by the assistance system
    CONTACT_POLICE = "contact_police"
    SHARE_WITH_AGENCIES = "share_with_agencies"


class DocumentType(StrEnum):
    """The kinds of document a case may hold, by their media type: told by the content."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"  # scanners' own


class Purpose(StrEnum):
    """What the client agrees an agency may learn, one purpose at a time."""

    ASSESSMENT = "assessment"  # the needs assessment (a joint assessment)
    MEASURES = "measures"  # the measures it is asked to provide, and how they go
    PLAN = "plan"  # the client plan's goals and who answers for them
    HANDOVER = "handover"  # the handover to the home municipality
    COORDINATION = "coordination"  # being contacted about the case


class ConsentGiver(StrEnum):
    CLIENT = "client"
    GUARDIAN = "guardian"  # guardian or appointed representative of a minor


class NotificationStatus(StrEnum):
    WITHHELD = "withheld"  # no consent and no legal basis: not sent
    PENDING = "pending"  # being delivered (retrying until it is)
    DELIVERED = "delivered"
    FAILED = "failed"  # permanently refused, or undeliverable: an operator can re-send
    ACKNOWLEDGED = "acknowledged"


class LegalBasis(StrEnum):
    """Grounds to notify without the client's consent, recorded with the notification."""

    CHILD_WELFARE = "child_welfare"  # Child Welfare Act 417/2007 § 25: report a child at once
    ACUTE_DANGER = "acute_danger"
    REFERRAL = "referral"  # the referrer learns the outcome of its own referral
    INTERNAL = "internal"  # within the assistance system (deadline alerts to offices)
    OTHER_STATUTORY = "other_statutory"


class DeadlineKind(StrEnum):
    ADMISSION_DECISION = "admission_decision"
    ASSESSMENT_START = "assessment_start"
    ASSESSMENT_COMPLETION = "assessment_completion"
    REFLECTION_PERIOD = "reflection_period"
    RECOVERY_PERIOD = "recovery_period"
    INTEGRATION_PLAN = "integration_plan"
    INTEGRATION_PLAN_REVIEW = "integration_plan_review"
    APPEAL_PERIOD = "appeal_period"
    NOTIFICATION_ACK = "notification_ack"
    PLAN_REVIEW = "plan_review"  # a review date of the client plan
    APPOINTMENT = "appointment"  # a planned meeting with the client
    FIRST_CONTACT = "first_contact"  # the new worker's first contact after a handover


class Action(StrEnum):
    """What a step did, as the case's list of steps records it (and the timeline shows it)."""

    REFERRED = "referred"
    ADMITTED = "admitted"
    NOT_ADMITTED = "not_admitted"
    ASSESSMENT_STARTED = "assessment_started"
    NEEDS_ASSESSED = "needs_assessed"
    MEASURE_ADDED = "measure_added"
    MEASURE_STARTED = "measure_started"
    MEASURE_COMPLETED = "measure_completed"
    MEASURE_CANCELLED = "measure_cancelled"
    MEASURE_ACCEPTED = "measure_accepted"
    MEASURE_DECLINED = "measure_declined"
    PROVIDER_CHANGED = "provider_changed"
    CRIMINAL_REPORTED = "criminal_reported"
    CRIMINAL_PRE_TRIAL_INVESTIGATION = "criminal_pre_trial_investigation"
    CRIMINAL_CONSIDERATION_OF_CHARGES = "criminal_consideration_of_charges"
    CRIMINAL_TRIAL = "criminal_trial"
    CRIMINAL_JUDGMENT = "criminal_judgment"
    CRIMINAL_APPEAL = "criminal_appeal"
    CRIMINAL_DISCONTINUED = "criminal_discontinued"
    CONSENT_GIVEN = "consent_given"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    TRANSFERRED_TO_MUNICIPALITY = "transferred_to_municipality"
    EXITED = "exited"
    REASSIGNED = "reassigned"
    TRANSFERRED_OFFICE = "transferred_office"
    REFLECTION_PERIOD_GRANTED = "reflection_period_granted"
    DEADLINE_MET = "deadline_met"
    DEADLINE_CANCELLED = "deadline_cancelled"
    DEADLINE_EXTENDED = "deadline_extended"
    NOTIFIED_BY_HAND = "notified_by_hand"
    NOTIFICATION_ACKNOWLEDGED = "notification_acknowledged"
    NOTIFICATION_RESENT = "notification_resent"
    NEEDS_REASSESSED = "needs_reassessed"
    PLAN_PROPOSED = "plan_proposed"  # awaiting an office lead's approval
    PLAN_ADOPTED = "plan_adopted"
    CONTACT_PLANNED = "contact_planned"
    CONTACT_RECORDED = "contact_recorded"
    NETWORK_JOINED = "network_joined"
    NETWORK_LEFT = "network_left"
    MEASURE_ENDED = "measure_ended"
    TAKEN_OVER = "taken_over"  # from intake, by a caseworker of the office
    DOCUMENT_ADDED = "document_added"
    MORE_ASKED = "more_asked"  # of the referrer
    MERGED = "merged"  # a duplicate referral, carried on in another case


class Refusal(StrEnum):
    """Why a rule refuses a step: the type of the error the workflow raises, which the API
    answers as a problem with this code (see `api.problems`)."""

    INVALID_TRANSITION = "InvalidTransition"
    STALE_VERSION = "StaleVersion"
    CONSENT_MISSING = "ConsentMissing"
    KEY_REUSED = "IdempotencyKeyReused"
    UNKNOWN_MEASURE = "UnknownMeasure"
    UNKNOWN_DEADLINE = "UnknownDeadline"
    UNKNOWN_NOTIFICATION = "UnknownNotification"
    UNKNOWN_ITEM = "UnknownItem"  # a plan revision, contact or network member
    INVALID_STEP = "InvalidStep"
    RULE_REFUSED = "RuleRefused"
    CASE_CLOSED = "CaseClosed"
    FORBIDDEN = "Forbidden"
    OUTSIDE_OFFICE = "OutsideOffice"
    CASE_LIMIT = "CaseLimitReached"


class Situation(StrEnum):
    """What an anonymous consultation was about."""

    POSSIBLE_VICTIM = "possible_victim"  # someone the caller met may be a victim
    WORRIED = "worried"  # a private person worried about someone
    HOW_TO_HELP = "how_to_help"  # how the assistance system works, how to refer
    OTHER = "other"


class Advice(StrEnum):
    """What the assistance system advised in a consultation."""

    POLICE = "police"  # contact the police
    OTHER_SERVICES = "other_services"  # social, health or other services
    SAFETY = "safety"  # immediate safety
    INFORMATION = "information"  # information on rights and the assistance system
    NOTHING_FURTHER = "nothing_further"
