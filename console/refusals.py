"""A refusal of the rules in the reader's language: its words (the rule's `says`, translated by
the catalogues) with each detail worded too: a field by its label, a date as the reader writes
it, a phase or a status by its name. A problem without those words keeps its own detail."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Any

from api.problems import Problem
from console.forms import humanize
from console.i18n import Language
from workflows.model import vocabulary as v

# The details that are codes of a vocabulary.
CODES: dict[str, type[Enum]] = {
    "phase": v.Phase, "allowed_phases": v.Phase, "measure_status": v.MeasureStatus,
    "notification_status": v.NotificationStatus, "deadline_status": v.DeadlineStatus,
    "plan_status": v.PlanStatus, "contact_status": v.ContactStatus, "stage": v.CriminalStage,
    "to": v.CriminalStage, "action": v.MeasureAction}
# What a date guard compares with (`rules/guards.py`): words of their own.
WORDS = ("the referral", "the admission", "the previous assessment", "today", "a year ago",
         "a year before the referral", "five years before the referral")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def worded(problem: Problem, language: Language) -> str:
    says = problem.extensions.get("says")
    if not isinstance(says, str):
        return problem.detail
    details = {k: _detail(k, value, language) for k, value in problem.extensions.items()}
    try:
        return language.gettext(says).format(**details)
    except (KeyError, IndexError, ValueError):  # a translation that names what is not there
        return problem.detail


def _detail(key: str, value: Any, language: Language) -> str:
    if isinstance(value, list):
        return ", ".join(_detail(key, item, language) for item in value)
    if key == "field" and isinstance(value, str):
        return language.gettext(humanize(value))
    if key in CODES and isinstance(value, str) and value in {str(c) for c in CODES[key]}:
        return language.label(CODES[key](value))
    if isinstance(value, str) and ISO_DAY.match(value):
        return language.day(date.fromisoformat(value))
    return language.gettext(value) if isinstance(value, str) else str(value)
