"""What a notification says, as its agency reads it in the console: each part named and each
value worded in the reader's language (a person, a date, a form of exploitation), not keys and
codes. `worded` serves the details of a refusal too (`console.refusals`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Any

from console.i18n import PERIOD, Language
from workflows.model import vocabulary as v

# What each part of a notification's message is called.
PARTS = {
    "case_id": "Case", "reference_number": "Reference number", "office": "Office",
    "child": "Child", "person": "Person",
    "given_names": "Given names", "surname": "Surname", "date_of_birth": "Date of birth",
    "nationality": "Nationality", "languages": "Languages", "exploitation": "Exploitation",
    "reference": "Your reference", "admitted": "Admitted", "measure_id": "Measure",
    "measure": "Type of measure", "type": "Type of measure", "status": "Status",
    "municipality": "Home municipality", "home_municipality_since": "Home municipality since",
    "handover_on": "Handover on", "integration_plan_start": "Integration plan from",
    "measures": "Measures", "needs": "Assessed needs", "safety_threat": "Safety threat",
    "criminal_matter": "Criminal matter", "needs_support_person": "Needs support person",
    "agencies": "Agencies", "assessed_on": "Assessed on", "number": "Assessment",
    "exited_on": "Exited on", "caseworker_id": "Caseworker", "question": "Our question",
}
# The parts (of a notice, or of a refusal of the rules) whose values are codes of a vocabulary.
CODES: dict[str, type[Enum]] = {
    "office": v.Office, "exploitation": v.Exploitation, "measure": v.MeasureType,
    "type": v.MeasureType, "status": v.MeasureStatus, "safety_threat": v.ThreatLevel,
    "agencies": v.AgencyType, "phase": v.Phase, "allowed_phases": v.Phase,
    "measure_status": v.MeasureStatus, "notification_status": v.NotificationStatus,
    "deadline_status": v.DeadlineStatus, "plan_status": v.PlanStatus,
    "contact_status": v.ContactStatus, "stage": v.CriminalStage, "to": v.CriminalStage,
    "action": v.MeasureAction, "kind": v.DeadlineKind}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def readable(message: dict[str, Any], language: Language) -> list[tuple[str, str]]:
    """The message's parts, each with its name and its value in the reader's words."""
    return [(language.gettext(PARTS.get(key, key.replace("_", " ").capitalize())),
             worded(key, value, language)) for key, value in message.items()
            if value not in (None, "", [], {})]


def worded(key: str, value: Any, language: Language) -> str:
    """One value in the reader's words: a code by its name, a date as they write it."""
    if isinstance(value, bool):
        return language.gettext("Yes" if value else "No")
    if isinstance(value, list):
        return ", ".join(worded(key, item, language) for item in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{name}: {text}" for name, text in readable(value, language))
    if key == "languages" and isinstance(value, str):  # ISO 639 codes, named by Babel's data
        return language.language_name(value)
    if key in CODES and isinstance(value, str) and value in {str(c) for c in CODES[key]}:
        return language.label(CODES[key](value))
    if isinstance(value, str) and ISO_DAY.match(value):
        return language.day(date.fromisoformat(value))
    if isinstance(value, str) and PERIOD.match(value):
        return language.period(value)
    if isinstance(value, str) and key.endswith("_at"):
        try:
            return language.when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
