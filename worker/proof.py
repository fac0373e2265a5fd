"""The worker takes a case's steps only from the API: every update of a case must carry the
API's seal (`infra.proof`), checked before the step's own validator, and a case is opened only
by a sealed referral or continued by its own run. Someone who reaches Temporal's frontend
(`temporal workflow update execute …`) sends a step that is refused before it touches history.

A refusal is a validator's: the update is rejected and no event is written. A start that is
not sealed fails its run at once, before it does anything. Checked only when a task is new:
histories replay as they were recorded (seals are not in those from before they existed).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from infra.proof import OPENING, StepProofs
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.state import CaseInput
from workflows.model.vocabulary import Refusal
from workflows.rules.step import StepRejected

CASE_WORKFLOW = CaseWorkflow.__name__
NOT_SEALED = "this step was not sent by the API (its seal is missing or does not match)"


class StepProofInterceptor(Interceptor):
    def __init__(self, proofs: StepProofs) -> None:
        self._proofs = proofs

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput,  # noqa: A002, ARG002
                                   ) -> type[WorkflowInboundInterceptor]:
        proofs = self._proofs

        class SealedSteps(_SealedSteps):
            _proofs = proofs

        return SealedSteps


class _SealedSteps(WorkflowInboundInterceptor):
    _proofs: StepProofs

    def handle_update_validator(self, input: HandleUpdateInput) -> None:  # noqa: A002
        info = workflow.info()
        if info.workflow_type == CASE_WORKFLOW and not self._sealed(info.workflow_id,
                                                                    input.update, input.args):
            raise StepRejected(Refusal.FORBIDDEN, NOT_SEALED)
        super().handle_update_validator(input)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:  # noqa: A002
        info = workflow.info()
        if info.workflow_type == CASE_WORKFLOW and not workflow.unsafe.is_replaying():
            (inp,) = input.args
            if not self._opened_by_the_api(info, inp):
                raise ApplicationError(f"case not opened: {NOT_SEALED}", type="NotSealed",
                                       non_retryable=True)
        return await super().execute_workflow(input)

    def _opened_by_the_api(self, info: workflow.Info, inp: CaseInput) -> bool:
        if inp.carried is not None:  # only the case's own run continues as new
            return info.continued_run_id is not None
        return inp.opening is not None and self._sealed(
            info.workflow_id, OPENING, [inp.opening.meta, inp.opening.referral])

    def _sealed(self, case_id: str, step: str, args: Any) -> bool:
        if len(args) != 2:
            return False
        meta, body = args
        return self._proofs.holds(case_id, step, meta, body)
