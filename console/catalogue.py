"""The messages the console shows, and the catalogues that translate them.

`python -m console.catalogue` adds every message not yet in `locales/{fi,sv}` (with an empty
translation for a translator to fill); tests/console/test_languages.py fails while any is
empty. The messages are the templates' `_()` calls, every enum label, every form field's label,
every step's title, every problem's title and every refusal of the rules."""

from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from api.problems import CODES
from api.timeline_picture import PHRASES
from console.consultations import FORM as CONSULTATION
from console.documents import CHOOSE
from console.forms import MESSAGES
from console.i18n import WORKING_DAYS
from console.intake import AGENCY_REFERRAL
from console.labels import (
    AUDIT_WORDS,
    EXPLAINED,
    LABELS,
    NO_COUNTRY,
    REACH_REASONS,
    REFERRAL_REFUSALS,
    WITHHELD_UNLESS,
)
from console.notices import PARTS
from console.public import FORM as PUBLIC_REFERRAL
from console.refusals import WORDS
from console.steps import FORMS, REFERRAL
from workflows.model.calendar import RULES
from workflows.rules.step import NO_SUCH
from workflows.steps import STEPS

TRANSLATED = ("fi", "sv")


def refusals() -> set[str]:
    """The words of every refusal of the rules (`StepRejected`'s and the calendar's
    `RuleRefusal`'s constant `says`)."""
    found = set(NO_SUCH.values())
    for path in Path(str(files("workflows"))).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            says = {"StepRejected": 1, "RuleRefusal": 0}.get(node.func.id)
            if (says is not None and len(node.args) > says
                    and isinstance(node.args[says], ast.Constant)):
                found.add(node.args[says].value)
    return found


def messages() -> set[str]:
    folder = str(files("console") / "templates")
    found = {message for _, _, message, *_ in extract_from_dir(folder, [("**.html", "jinja2")])
             if isinstance(message, str)}
    found |= {text for labels in LABELS.values() for text in labels.values()}
    for step in (*FORMS.values(), REFERRAL, AGENCY_REFERRAL, PUBLIC_REFERRAL, CONSULTATION):
        found.add(step.title)
        found |= {f.label for f in step.fields}
    found |= {title for _, title in CODES.values()}
    found |= set(MESSAGES.values()) | set(EXPLAINED.values()) | set(REACH_REASONS.values())
    found |= set(PARTS.values()) | set(REFERRAL_REFUSALS.values()) | refusals()
    found |= {step.title for step in STEPS} | set(WORDS) | set(NO_COUNTRY.values())
    found |= set(WITHHELD_UNLESS.values()) | {WORKING_DAYS} | {r.source for r in RULES}
    found |= set(PHRASES) | set(AUDIT_WORDS.values()) | {CHOOSE}
    for step in (*FORMS.values(), REFERRAL, AGENCY_REFERRAL, PUBLIC_REFERRAL, CONSULTATION):
        found |= {legend for legend, _ in step.groups if legend}
    return found


def po_path(language: str) -> Path:
    return Path(str(files("console"))) / "locales" / language / "LC_MESSAGES" / "messages.po"


def update() -> None:
    wanted = messages()
    for language in TRANSLATED:
        path = po_path(language)
        if path.exists():
            with path.open("rb") as source:
                catalog = read_po(source, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="casework")
        for message in sorted(wanted):
            if message not in catalog:
                catalog.add(message, "")
        for message in [m.id for m in catalog if m.id and m.id not in wanted]:
            del catalog[message]
        with path.open("wb") as target:
            write_po(target, catalog, width=100, sort_output=True, omit_header=False)


if __name__ == "__main__":
    update()
