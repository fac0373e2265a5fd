"""The steps the console offers, from their declarations (`workflows.steps`): a form of its own
on the case page, or an action on one of its items, each the API's step of the same name; and
the referral, which opens a case. Whether the case allows a step now is its declaration's
(its phases, and whether the case still calls for it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from console.forms import Field, fields_of, groups
from workflows.model.requests import ConsentChange, ContactRecord, MeasureUpdate, Referral
from workflows.model.state import CaseState, Measure
from workflows.model.vocabulary import MeasureAction
from workflows.rules.measures import MEASURE_NEXT
from workflows.steps import STEPS, Declared, Offered


@dataclass(frozen=True)
class StepForm:
    name: str  # the API operation (and the workflow update)
    title: str  # English; translated in the template
    model: type[BaseModel]
    skip: frozenset[str] = frozenset()  # fields the form does not ask for
    declared: Declared[Any] | None = None  # None: the referral, which opens the case
    first: tuple[str, ...] = ()  # fields asked first, in this order (the rest as the model has)
    # Labels of its own where the field's name would not say it to this form's reader.
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> list[Field]:
        found = fields_of(self.model, skip=self.skip)
        place, named = {name: i for i, name in enumerate(self.first)}, dict(self.labels)
        return sorted((replace(f, label=named.get(f.name, f.label)) for f in found),
                      key=lambda f: place.get(f.name.split(".")[0], len(place)))

    @property
    def groups(self) -> list[tuple[str | None, list[Field]]]:
        return groups(self.fields)


def form_of(declared: Declared[Any]) -> StepForm:
    return StepForm(declared.name, declared.title, declared.body, declared.skip, declared)


FORMS = {s.name: form_of(s) for s in STEPS if s.offered is Offered.FORM}
ITEM_ACTIONS = [s for s in STEPS if s.offered is Offered.ITEM]
# Who referred, first: the caseworker has it in front of her.
REFERRAL = StepForm("open_case", "New referral", Referral, first=("reason", "referrer"))
# An appointment's outcome is recorded from the appointment: the contact form, filled in.
CONTACT = next(f for f in FORMS.values() if f.model is ContactRecord)
MEASURE_CHANGE = next(s for s in STEPS if s.body is MeasureUpdate)
# A consent, asked for from another step's form whose notifications it would release.
CONSENT = next(f for f in FORMS.values() if f.model is ConsentChange)


def allowed_now(state: CaseState) -> list[StepForm]:
    """The steps the case allows and still calls for, in the order of the work."""
    return [f for f in FORMS.values() if f.declared and f.declared.offered_on(state)]


def measure_actions(state: CaseState, measure: Measure) -> list[MeasureAction]:
    """What may be done to a measure now (start, complete, cancel), by the rules' table."""
    if not MEASURE_CHANGE.allowed_in(state.phase):
        return []
    return [action for action, (before, _) in MEASURE_NEXT.items() if measure.status in before]
