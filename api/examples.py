"""An example of every request body, shown in the contract (and in /docs, ready to try). The
person is invented; tests/api/test_contract.py checks that each example is valid."""

from __future__ import annotations

from typing import Any

REFERRER = {"agency_type": "police", "organisation": "Helsinki police",
            "reference": "KRP 5500/R/1234/26"}
PROVIDER = {"agency_type": "reception_centre", "organisation": "Joutseno reception centre"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "Referral": {
        "reason": "Referred by the police after a labour inspection at a berry farm.",
        "referrer": REFERRER, "office": "helsinki", "exploitation": ["forced_labour"],
        "minor": False, "client_consent": True, "received_on": "2026-11-30",
        "person": {"given_names": "Aino Example", "surname": "Testinen",
                   "date_of_birth": "1994-03-17", "nationality": "PHL",
                   "languages": ["tl", "en"]},
    },
    "AdmissionDecision": {
        "reason": "Indications of forced labour; needs help because of it.", "admitted": True,
        "decision_maker_id": "lead-jussi", "decided_on": "2026-12-01"},
    "AssessmentStart": {"reason": "First meeting with an interpreter.",
                        "started_on": "2026-12-01"},
    "Assessment": {
        "reason": "Joint meeting with the reception centre.", "safety_threat": "high",
        "criminal_matter": True, "needs_support_person": True,
        "client_view": "Wants safe housing and work.", "agencies": ["reception_centre"],
        "assessed_on": "2026-12-01"},
    "NewMeasure": {"reason": "Safe housing is needed at once.", "type": "housing",
                   "provider": PROVIDER, "planned_start": "2026-12-14"},
    "MeasureEnd": {"reason": "She has her own flat and a lease.", "outcome": "implemented"},
    "PlanRevision": {
        "reason": "Agreed with the client at the plan meeting.",
        "goals": [{"goal": "A safe place to live.", "measure_ids": ["M1"],
                   "responsible": "cw-anna"},
                  {"goal": "Finnish lessons twice a week.",
                   "responsible": "Helsinki adult education centre"}],
        "client_view": "Wants to start work as soon as possible.", "client_agrees": True,
        "review_on": ["2027-03-01"]},
    "ContactRecord": {
        "reason": "Weekly meeting.", "kind": "meeting", "status": "held",
        "at": "2026-12-01T10:00:00+02:00", "place": "Helsinki office",
        "interpreter_language": "tl", "participants": ["interpreter"],
        "note": "Talked about the housing application.", "safety_threat": "low"},
    "NetworkJoin": {"reason": "Her support person from now on.",
                    "role": "crime_support_person", "organisation": "Victim Support Finland",
                    "contact_person": "Support person on duty",
                    "contact_channel": "+358 40 000 0000",
                    "agency_id": "victim-support-finland"},
    "MeasureResponse": {"reason": "A room is free from Monday.", "accepted": True},
    "ProviderChange": {"reason": "The first provider had no room.", "provider": PROVIDER},
    "Step": {"reason": "The client moved into the flat."},
    "CriminalEvent": {"reason": "Police informed the caseworker.",
                      "stage": "pre_trial_investigation", "on": "2026-12-01",
                      "authority": "National Bureau of Investigation"},
    "ConsentChange": {"reason": "The client decided after advice.",
                      "scope": "share_with_agencies", "given_by": "client", "given": True,
                      "agency_id": "victim-support-finland", "purpose": "plan"},
    "MunicipalityTransition": {
        "reason": "The client got a home municipality.", "municipality": "Tampere",
        "home_municipality_since": "2027-01-01", "handover_on": "2027-01-15",
        "integration_plan_start": "2027-02-01"},
    "ExitDecision": {"reason": "The client no longer needs the assistance system's help.",
                     "ground": "no_longer_needs_help", "decision_maker_id": "lead-jussi",
                     "decided_on": "2026-12-01"},
    "Reassignment": {"reason": "The caseworker is on leave.", "caseworker_id": "cw-pekka",
                     "handover_note": "Prefers calls in the afternoon; interpreter: Tagalog."},
    "OfficeTransfer": {"reason": "The client moved.", "office": "tampere",
                       "caseworker_id": "cw-tiina",
                       "handover_note": "Housing application pending in Tampere."},
    "ReflectionPeriodGrant": {"reason": "Granted by the police.", "granted_on": "2026-12-01",
                              "length": {"days": 30}, "granted_by": "police"},
    "Extension": {"reason": "The interpreter is available only next week.",
                  "extension": {"days": 7}},
    "ManualNotification": {"reason": "Acute danger: the police must know now.",
                           "agency_id": "police-nbi-trafficking", "legal_basis": "acute_danger"},
}
