"""A refusal of the rules in the reader's language: its words (the rule's `says`, translated by
the catalogues) with each detail worded too: a field by its label, a date as the reader writes
it, a phase or a status by its name. A problem without those words keeps its own detail."""

from __future__ import annotations

from typing import Any

from api.problems import Problem
from console import notices
from console.forms import humanize
from console.i18n import PERIOD, Language

# What a date guard compares with (`rules/guards.py`): words of their own.
WORDS = ("the referral", "the admission", "the previous assessment", "today", "a year ago",
         "a year before the referral", "five years before the referral")


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
    if key == "field" and isinstance(value, str):
        return language.gettext(humanize(value))
    if (isinstance(value, str) and key not in notices.CODES and not notices.ISO_DAY.match(value)
            and not PERIOD.match(value)):
        return language.gettext(value)  # words of the rules' own (`WORDS`), or an id
    return notices.worded(key, value, language)
