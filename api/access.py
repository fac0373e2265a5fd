"""Who may call what: the role × route table, in one place. Every router checks it for every
route (`api.deps.permitted`); a route missing from the table refuses everyone (a test checks
that every route is listed). What a role sees through a route (staff their office's cases, an
agency the cases it is involved in, as far as consent allows) is `api.need_to_know`'s, on top
of this."""

from __future__ import annotations

from workflows.model.vocabulary import Role
from workflows.rules.guards import AGENCIES, STAFF

AUDITOR = frozenset({Role.AUDITOR})
OPERATOR = frozenset({Role.OPERATOR})

CASE_STEPS = ("open_case", "decide_admission", "begin_assessment", "assess_needs",
              "add_measure", "change_provider", "change_measure", "record_criminal_stage",
              "record_consent", "transition_to_municipality", "exit_case", "reassign",
              "transfer_office", "grant_reflection_period", "extend_deadline", "change_deadline",
              "notify_by_hand", "end_measure", "revise_plan", "record_contact", "join_network",
              "leave_network")

ALLOWED: dict[str, frozenset[Role]] = {
    # The assistance system's staff take every step of a case.
    **dict.fromkeys(CASE_STEPS, STAFF),
    # Reading a case's personal data: staff, and auditors.
    "get_case": STAFF | AUDITOR,
    "get_steps": STAFF | AUDITOR,
    "get_deadlines": STAFF | AUDITOR,
    "get_notifications": STAFF | AUDITOR,
    "get_contacts": STAFF | AUDITOR,
    "get_plans": STAFF | AUDITOR,
    "get_assessments": STAFF | AUDITOR,
    # A plan comes into force with the approval of the lead of the case's office.
    "approve_plan": frozenset({Role.OFFICE_LEAD}),
    # Lists without personal data: operations too.
    "list_cases": STAFF | OPERATOR | AUDITOR,
    "list_due": STAFF | OPERATOR | AUDITOR,
    "list_deliveries": STAFF | OPERATOR | AUDITOR,
    # An agency answers for itself; staff may record its answer.
    "acknowledge_notification": STAFF | AGENCIES,
    "respond_to_measure": STAFF | AGENCIES,
    # Re-sending after fixing the directory is operations' work as much as staff's.
    "resend_notification": STAFF | OPERATOR,
    # An agency's own view: the cases it is involved in, as consent allows.
    "list_agency_cases": AGENCIES,
    "get_agency_case": AGENCIES,
    # Auditors trace; an office lead answers for the office's cases.
    "get_timeline": AUDITOR | {Role.OFFICE_LEAD},
    "get_timeline_picture": AUDITOR | {Role.OFFICE_LEAD},
    "get_access_log": AUDITOR,
    "list_break_glass": AUDITOR | {Role.OFFICE_LEAD},
    "verify_audit_log": AUDITOR,
    # The Web UI's codec: whoever may read a case's history.
    "decode": STAFF | AUDITOR,
    "encode": STAFF | AUDITOR,
}
