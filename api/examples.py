"""An example of every request body, shown in the contract (and in /docs, ready to try): the
referral's here, each step's in its declaration. The person is invented;
tests/api/test_contract.py checks that each example is valid."""

from __future__ import annotations

from typing import Any

from workflows.steps import STEPS, Offered

REFERRER = {"agency_type": "police", "organisation": "Helsinki police",
            "reference": "KRP 5500/R/1234/26"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "Referral": {
        "reason": "Referred by the police after a labour inspection at a berry farm.",
        "referrer": REFERRER, "office": "helsinki", "exploitation": ["forced_labour"],
        "minor": False, "client_consent": True, "received_on": "2026-11-30",
        "person": {"given_names": "Aino Example", "surname": "Testinen",
                   "date_of_birth": "1994-03-17", "nationality": "PHL",
                   "languages": ["tl", "en"]},
    },
    "AgencyReferral": {
        "reason": "Met at a labour inspection; she asked for help.",
        "own_reference": "8200/R/123/26", "office": "helsinki", "exploitation": ["forced_labour"],
        "minor": False, "client_consent": True, "received_on": "2026-11-30",
        "person": {"given_names": "Aino Example", "surname": "Testinen",
                   "date_of_birth": "1994-03-17", "nationality": "PHL", "languages": ["tl"]},
    },
    "Consultation": {
        "office": "helsinki", "asked_by": "health_care", "situation": "possible_victim",
        "exploitation_forms": ["sexual"], "advice": ["police", "information"],
        "referral_recommended": True, "minutes": 25,
    },
}
# Each step's request, as its declaration shows it (the first of those sharing a model); a
# step that sends a file is a form, described by its route (`api/routes/attachments.py`).
for _step in STEPS:
    if _step.offered is not Offered.UPLOAD:
        EXAMPLES.setdefault(_step.http_body.__name__, _step.example)
