"""Who may call what: the role × route table, in one place. Every router checks it for every
route (`api.deps.permitted`); a route missing from the table refuses everyone (a test checks
that every route is listed). What a role sees through a route (staff their office's cases, an
agency the cases it is involved in, as far as consent allows) is `api.need_to_know`'s, on top
of this."""

from __future__ import annotations

from workflows.model.vocabulary import Role
from workflows.rules.guards import AGENCIES, STAFF
from workflows.steps import STEPS

AUDITOR = frozenset({Role.AUDITOR})
OPERATOR = frozenset({Role.OPERATOR})

ALLOWED: dict[str, frozenset[Role]] = {
    # Opening a case: the assistance system's staff. Each step: the roles it declares
    # (`workflows.steps`; staff unless it says otherwise).
    "open_case": STAFF,
    # An agency's referral, with its own token; the intake desk: the office's staff.
    "refer_from_agency": AGENCIES,
    "list_intake": STAFF,
    **{step.name: step.roles for step in STEPS},
    # Reading a case's personal data: staff, and auditors.
    "get_case": STAFF | AUDITOR,
    "get_steps": STAFF | AUDITOR,
    "get_deadlines": STAFF | AUDITOR,
    "get_notifications": STAFF | AUDITOR,
    "get_contacts": STAFF | AUDITOR,
    "get_plans": STAFF | AUDITOR,
    "get_assessments": STAFF | AUDITOR,
    # A document's file: staff and auditors, and an agency the client shares it with.
    "get_document": STAFF | AUDITOR | AGENCIES,
    # Anonymous consultations (no personal data): staff record them; auditors read them.
    "record_consultation": STAFF,
    "list_consultations": STAFF | AUDITOR,
    # Other cases possibly about the same person: staff, who take referrals and link cases.
    "get_likeness": STAFF,
    # Lists without personal data: operations too.
    "list_cases": STAFF | OPERATOR | AUDITOR,
    "list_due": STAFF | OPERATOR | AUDITOR,
    "list_deliveries": STAFF | OPERATOR | AUDITOR,
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
