"""The step declarations (`workflows.steps`) are the one place a step is written: everything
else is made from them, and a step's name written anywhere else fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from temporalio import workflow

from api.access import ALLOWED
from api.routes import ROUTERS
from console.steps import FORMS
from workflows.engine.case_workflow import CaseWorkflow
from workflows.steps import BY_RULE, STEPS, Declared, Offered

ROOT = Path(__file__).resolve().parents[2]
# Where the system's code is: a step's name may be written here only in its declaration and
# in its rule's module (the rule is the function of the step's name).
CODE = ("api", "console", "workflows", "activities", "store", "worker", "infra", "cli")
# The console's hand-made presentation of a step: an item's button in its template, and an
# agency's desk. A new step offered as a form of its own needs none of these.
PRESENTED = {"console/desks.py", "console/templates/case.html", "console/templates/_plan.html",
             "console/templates/_contacts.html", "console/templates/operations.html"}
# Steps offered as forms that a page also names: why.
FORMS_NAMED = {
    ("console/templates/case.html", "assess_needs"): "a second assessment is a reassessment",
    ("console/templates/case.html", "notify_by_hand"): "acute danger offers to tell the police",
    ("console/templates/_contacts.html", "record_contact"): "an appointment's outcome",
    ("console/intake.py", "take_over"): "the intake desk takes a referral over from its list",
}


def written(name: str) -> set[str]:
    pattern = re.compile(rf"\b{name}\b")
    return {str(path.relative_to(ROOT)) for folder in CODE
            for path in (ROOT / folder).rglob("*") if path.suffix in (".py", ".html")
            and pattern.search(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_a_step_is_written_only_in_its_declaration_and_its_rule(step: Declared[object]) -> None:
    rule = f"{step.rule.__module__.replace('.', '/')}.py"
    elsewhere = written(step.name) - {"workflows/steps.py", rule}
    if step.offered is Offered.FORM:
        elsewhere -= {path for path, name in FORMS_NAMED if name == step.name}
    else:
        elsewhere -= PRESENTED
    assert not elsewhere, f"{step.name} is written in {sorted(elsewhere)}: make it from " \
                          "the declaration (docs/architecture.md, Adding a step)"


def test_each_step_declared_once_with_its_own_rule() -> None:
    assert len({s.name for s in STEPS}) == len(STEPS) == len(BY_RULE)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_what_is_made_from_a_declaration(step: Declared[object]) -> None:
    # The workflow's update of the step's name, with its validator, typed by its body.
    update = workflow._Definition.from_class(CaseWorkflow).updates[step.name]  # type: ignore[union-attr]
    assert update.validator is not None and update.arg_types[1] is step.body  # type: ignore[index]
    # Its API route, its row of the role table, and an example its request accepts.
    (route,) = [r for router in ROUTERS for r in router.routes
                if isinstance(r, APIRoute) and r.name == step.name]
    assert (route.path, route.methods) == (f"/v1/cases{step.path}", {"POST"})
    assert ALLOWED[step.name] == step.roles
    step.http_body.model_validate(step.example)
    # Its console form, if it has one; an item's fields are all in its body's.
    assert (step.name in FORMS) is (step.offered is Offered.FORM)
    assert set(step.path_fields) <= set(step.body.model_fields)
