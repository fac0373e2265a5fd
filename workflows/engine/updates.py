"""The case's update surface, made from the step declarations (`workflows.steps`): each step is
an update of `CaseWorkflow` of the step's name, whose validator checks it (`_check`) before its
handler applies it (`_apply`); both are the workflow's, in `case_workflow`. Recorded histories
and the API name the updates: names never change.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.model.requests import StepMeta
from workflows.model.state import CaseState
from workflows.steps import STEPS, Declared


class CaseUpdates:
    """The steps; `CaseWorkflow` supplies how each is checked and applied."""

    def _check(self, meta: StepMeta, step: Any, declared: Declared[Any]) -> None:
        raise NotImplementedError

    def _apply(self, meta: StepMeta, step: Any, declared: Declared[Any]) -> CaseState:
        raise NotImplementedError


def _update(declared: Declared[Any]) -> Any:
    """The update of one step, and its validator, typed by the step's body (the SDK reads the
    annotations to decode the update's arguments)."""

    def apply(self: CaseUpdates, meta: StepMeta, step: Any) -> CaseState:
        return self._apply(meta, step, declared)

    def check(self: CaseUpdates, meta: StepMeta, step: Any) -> None:
        self._check(meta, step, declared)

    apply.__annotations__ = {"meta": StepMeta, "step": declared.body, "return": CaseState}
    check.__annotations__ = {"meta": StepMeta, "step": declared.body, "return": None}
    apply.__name__ = apply.__qualname__ = declared.name
    check.__name__ = check.__qualname__ = f"_check_{declared.name}"
    update = workflow.update(name=declared.name)(apply)
    update.validator(check)
    return update


for _declared in STEPS:
    setattr(CaseUpdates, _declared.name, _update(_declared))
