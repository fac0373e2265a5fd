"""The English label of every value of every enum a person meets in the console; the
catalogues under `locales/` translate each (a test checks that none is missing)."""

from __future__ import annotations

from enum import Enum

from workflows.model import vocabulary as v

LABELS: dict[type[Enum], dict[str, str]] = {
    v.Phase: {"referred": "Referred", "admitted": "Admitted", "assistance": "Assistance",
              "municipality": "Home municipality", "not_admitted": "Not admitted",
              "exited": "Exited", "merged": "Duplicate referral"},
    v.Office: {"joutseno": "Joutseno", "helsinki": "Helsinki", "tampere": "Tampere",
               "oulu": "Oulu"},
    v.Role: {"caseworker": "Caseworker", "office_lead": "Office lead", "police": "Police",
             "border_guard": "Border guard", "reception_centre": "Reception centre",
             "social_services": "Social services", "ngo": "NGO", "auditor": "Auditor",
             "operator": "Operations", "public": "Public referral form"},
    v.AgencyType: {"police": "Police", "border_guard": "Border guard",
                   "reception_centre": "Reception centre", "social_services": "Social services",
                   "child_protection": "Child protection", "health_care": "Health care",
                   "ngo": "NGO", "assistance_office": "Assistance system office",
                   "office_lead": "Office lead", "self": "The person themself",
                   "other": "Other"},
    v.Exploitation: {"sexual": "Sexual exploitation", "forced_labour": "Forced labour",
                     "forced_criminality": "Forced criminality", "begging": "Forced begging",
                     "forced_marriage": "Forced marriage", "organ_removal": "Organ removal",
                     "other": "Other"},
    v.ThreatLevel: {"none": "None", "low": "Low", "high": "High", "acute": "Acute"},
    v.Situation: {"possible_victim": "Someone the caller met may be a victim",
                  "worried": "A person worried about someone",
                  "how_to_help": "How the assistance system works, how to refer",
                  "other": "Other"},
    v.Advice: {"police": "Contact the police", "other_services": "Other services",
               "safety": "Immediate safety", "information": "Information on rights and help",
               "nothing_further": "Nothing further"},
    v.ConsentScope: {"referral": "Referral to the assistance system",
                     "contact_police": "Contact with the police",
                     "share_with_agencies": "Sharing with agencies"},
    v.ConsentGiver: {"client": "Client", "guardian": "Guardian or representative"},
    v.CriminalStage: {"none": "None", "reported": "Reported",
                      "pre_trial_investigation": "Pre-trial investigation",
                      "consideration_of_charges": "Consideration of charges", "trial": "Trial",
                      "judgment": "Judgment", "appeal": "Appeal",
                      "discontinued": "Discontinued"},
    v.ExitGround: {"no_longer_needs_help": "No longer needs help",
                   "client_request": "At the client's request",
                   "other_statutory_ground": "Other statutory ground"},
    v.MeasureType: {"housing": "Housing", "health_care": "Health care",
                    "social_services": "Social services", "legal_aid": "Legal aid",
                    "support_person": "Support person", "interpreting": "Interpreting",
                    "income_support": "Income support",
                    "return_assistance": "Assisted voluntary return",
                    "residence_permit_help": "Help with a residence permit",
                    "reflection_period": "Reflection period", "other": "Other"},
    v.MeasureStatus: {"planned": "Planned", "started": "Started", "completed": "Completed",
                      "cancelled": "Cancelled"},
    v.MeasureAction: {"start": "Start", "complete": "Complete", "cancel": "Cancel"},
    v.DeadlineKind: {"admission_decision": "Admission decision",
                     "assessment_start": "Start of the assessment",
                     "assessment_completion": "Completion of the assessment",
                     "reflection_period": "Reflection period",
                     "recovery_period": "Recovery period", "integration_plan": "Integration plan",
                     "integration_plan_review": "Review of the integration plan",
                     "appeal_period": "Appeal period",
                     "notification_ack": "Acknowledgement of a notification",
                     "plan_review": "Review of the client plan", "appointment": "Appointment",
                     "first_contact": "First contact by the new worker"},
    v.DeadlineStatus: {"open": "Open", "extended": "Extended", "met": "Met",
                       "cancelled": "Cancelled", "overdue": "Overdue"},
    v.DeadlineAction: {"meet": "Met", "cancel": "Cancel"},
    v.NotificationStatus: {"withheld": "Withheld", "pending": "Being delivered",
                           "delivered": "Delivered", "failed": "Failed",
                           "acknowledged": "Acknowledged"},
    v.LegalBasis: {"child_welfare": "Child Welfare Act § 25", "acute_danger": "Acute danger",
                   "referral": "Answer to a referral", "internal": "Internal",
                   "other_statutory": "Other statutory basis"},
    v.AlertKind: {"reminder": "Reminder", "review": "Review", "escalation": "Escalation"},
    v.Action: {
        "referred": "Referred", "admitted": "Admitted", "not_admitted": "Not admitted",
        "assessment_started": "Assessment started", "needs_assessed": "Needs assessed",
        "measure_added": "Measure added", "measure_started": "Measure started",
        "measure_completed": "Measure completed", "measure_cancelled": "Measure cancelled",
        "measure_accepted": "Measure accepted by its provider",
        "measure_declined": "Measure declined by its provider",
        "provider_changed": "Provider changed",
        "criminal_reported": "Crime reported",
        "criminal_pre_trial_investigation": "Pre-trial investigation",
        "criminal_consideration_of_charges": "Consideration of charges",
        "criminal_trial": "Trial", "criminal_judgment": "Judgment",
        "criminal_appeal": "Appeal", "criminal_discontinued": "Criminal process discontinued",
        "consent_given": "Consent given", "consent_withdrawn": "Consent withdrawn",
        "transferred_to_municipality": "Transferred to the home municipality",
        "exited": "Exited", "reassigned": "Reassigned",
        "transferred_office": "Transferred to another office",
        "reflection_period_granted": "Reflection period granted",
        "deadline_met": "Deadline met", "deadline_cancelled": "Deadline cancelled",
        "deadline_extended": "Deadline extended", "notified_by_hand": "Agency notified",
        "notification_acknowledged": "Notification acknowledged",
        "notification_resent": "Notification sent again",
        "needs_reassessed": "Needs reassessed", "plan_proposed": "Client plan proposed",
        "plan_adopted": "Client plan in force", "contact_planned": "Appointment planned",
        "contact_recorded": "Contact recorded", "network_joined": "Joined the support network",
        "network_left": "Left the support network", "measure_ended": "Measure ended",
        "taken_over": "Taken over from intake", "more_asked": "Referrer asked for more",
        "merged": "Closed as a duplicate referral", "document_added": "Document added"},
    v.DocumentType: {"application/pdf": "PDF document", "image/png": "PNG image",
                     "image/jpeg": "JPEG image", "image/tiff": "TIFF image (a scan)"},
    v.Purpose: {"assessment": "The needs assessment", "measures": "Measures it provides",
                "plan": "The client plan", "handover": "The handover to the municipality",
                "coordination": "Being contacted about the case"},
    v.MeasureOutcome: {"implemented": "Implemented", "not_successful": "Not successful"},
    v.PlanStatus: {"awaiting_approval": "Awaiting approval", "in_force": "In force",
                   "superseded": "Superseded"},
    v.ContactKind: {"meeting": "Meeting", "phone_call": "Phone call", "video_call": "Video call",
                    "home_visit": "Home visit", "accompanied_visit": "Accompanied visit",
                    "message": "Message"},
    v.ContactStatus: {"planned": "Planned", "held": "Held", "missed": "Client did not come",
                      "cancelled": "Cancelled"},
    v.NetworkRole: {"social_worker": "Social worker", "psychologist": "Psychologist",
                    "physiotherapist": "Physiotherapist",
                    "psychiatric_nurse": "Psychiatric nurse", "doctor": "Doctor",
                    "crime_support_person": "Crime support person",
                    "reception_centre_staff": "Reception centre staff",
                    "ngo_worker": "NGO worker", "lawyer": "Lawyer", "interpreter": "Interpreter",
                    "police_contact": "Police contact person",
                    "guardian": "Guardian or representative", "other": "Other"},
}


def english(value: Enum) -> str:
    return LABELS[type(value)][value.value]


# What a console page says of a problem in the reader's language where the problem's own detail
# is the API's (English) words; keyed by the problem's code.
EXPLAINED = {"TooManyRequests": "Too many requests in a short time. Wait a moment and try again.",
             "PayloadTooLarge": "What was sent is too long to be saved. Go back with the "
                                "browser's back button: what you typed is still in the form; "
                                "shorten the longest text and send it again.",
             "UnsupportedMediaType": "Only PDF, PNG, JPEG and TIFF files are kept, each at most "
                                     "10 MB. Go back with the browser's back button, choose "
                                     "another file and send it again."}


# What a step's form says before it is sent, when the notification it calls for needs a consent
# to share that the client has not given (by the purpose it would be shared for).
WITHHELD_UNLESS = {
    "assessment": "A reception centre taking part in the assessment is told only with the "
                  "client's consent to share for the assessment, which is not given.",
    "measures": "The provider is told of the measure only with the client's consent to share "
                "for measures, which is not given.",
    "handover": "Social services of the home municipality are told only with the client's "
                "consent to share for the handover, which is not given.",
}


# The words of a case's timeline for an auditor (`store.timeline`): where an entry comes from,
# what kind it is, the engine's events and activities, and their outcomes. A step is named by
# its title; any other action (an API operation, a console page) is shown as the code it is.
AUDIT_WORDS = {
    "engine": "Workflow engine", "audit": "Audit log",
    "run": "Run", "activity": "Activity", "timer": "Timer", "signal": "Signal", "step": "Step",
    "command": "Command", "read": "Read", "access": "Access",
    "run continued": "The run continued", "timer fired": "A timer fired",
    "case workflow closed": "The case's workflow closed",
    "continued as new": "Continued in a new run",
    "case workflow failed": "The case's workflow failed",
    "case workflow timed out": "The case's workflow timed out",
    "case workflow cancelled": "The case's workflow was cancelled",
    "terminated": "Terminated by an operator",
    "archive_histories": "Copying histories to the archive",
    "resolve_agencies": "Finding the agencies in the directory",
    "deliver": "Delivering a notification", "project_case": "Updating the read model",
    "scheduled": "scheduled", "completed": "completed", "failed": "failed",
    "timed out": "timed out", "break the glass": "opened from outside the office",
    "intent": "intended (recorded before the step)",
    "open_case": "New referral",
    # The console's pages, as reads of the case.
    "console_work": "the desk (My work)", "console_cases": "the list of cases",
    "console_find_cases": "a search for a person", "console_case": "the case page",
    "console_steps": "every step of the case", "console_agency": "the agency's desk",
    "console_agency_case": "the case as the agency sees it", "console_audit_case": "the audit page",
    "console_operations": "the operations desk",
}


# Nationalities a person may have beyond the countries' (ICAO Doc 9303's codes).
NO_COUNTRY = {"XXA": "Stateless", "XXX": "Unknown nationality"}


# Why staff open another office's case: the kind of reason they choose, before their own words.
REACH_REASONS = {"contacted": "The client contacted our office",
                 "covering": "Covering for a colleague or the other office",
                 "safety": "Urgent: the client's safety",
                 "transfer": "The case is being transferred to our office",
                 "other": "Another reason"}

# A referral's refusals by the rules, in the person's words at the field they concern (by the
# refusal's code and field; any other keeps the rule's own words).
REFERRAL_REFUSALS = {
    ("ConsentMissing", "client_consent"):
        "The client's consent is needed: without it, only an anonymous consultation.",
    ("ConsentMissing", "guardian_consent"):
        "A minor's referral needs the guardian's or representative's consent.",
    ("InvalidStep", "person.date_of_birth"): "Not a plausible date of birth.",
    ("InvalidStep", "minor"): "Does not agree with the date of birth: under 18 is a minor.",
    ("InvalidStep", "received_on"): "At most a year ago, and not in the future.",
}
