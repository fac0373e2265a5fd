"""The case's update surface: every step a caseworker (or an agency) takes is an update of
`CaseWorkflow` whose validator checks it (`_check`) before its handler applies it (`_apply`);
both are the workflow's, in `case_workflow`. The update's name is the method's, and the API
operation's: recorded histories and the API depend on them, so names never change.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.model.requests import (
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ConsentChange,
    ContactRecord,
    CriminalEvent,
    DeadlineChange,
    DeadlineExtension,
    ExitDecision,
    ManualNotification,
    MeasureAnswer,
    MeasureEnding,
    MeasureProviderChange,
    MeasureUpdate,
    MunicipalityTransition,
    NetworkJoin,
    NetworkLeave,
    NewMeasure,
    NotificationRef,
    OfficeTransfer,
    PlanApproval,
    PlanRevision,
    Reassignment,
    ReflectionPeriodGrant,
    StepMeta,
)
from workflows.model.state import CaseState
from workflows.rules import client_work as work
from workflows.rules import deadlines, measures
from workflows.rules import lifecycle as rules
from workflows.rules.step import Rule


class CaseUpdates:
    """The steps; `CaseWorkflow` supplies how each is checked and applied."""

    def _check(self, meta: StepMeta, step: Any, rule: Rule[Any]) -> None:
        raise NotImplementedError

    def _apply(self, meta: StepMeta, step: Any, rule: Rule[Any]) -> CaseState:
        raise NotImplementedError

    @workflow.update
    def decide_admission(self, meta: StepMeta, step: AdmissionDecision) -> CaseState:
        return self._apply(meta, step, rules.decide_admission)

    @decide_admission.validator
    def _check_admission(self, meta: StepMeta, step: AdmissionDecision) -> None:
        self._check(meta, step, rules.decide_admission)

    @workflow.update
    def assess_needs(self, meta: StepMeta, step: Assessment) -> CaseState:
        return self._apply(meta, step, rules.assess_needs)

    @assess_needs.validator
    def _check_assessment(self, meta: StepMeta, step: Assessment) -> None:
        self._check(meta, step, rules.assess_needs)

    @workflow.update
    def add_measure(self, meta: StepMeta, step: NewMeasure) -> CaseState:
        return self._apply(meta, step, measures.add_measure)

    @add_measure.validator
    def _check_add_measure(self, meta: StepMeta, step: NewMeasure) -> None:
        self._check(meta, step, measures.add_measure)

    @workflow.update
    def change_measure(self, meta: StepMeta, step: MeasureUpdate) -> CaseState:
        return self._apply(meta, step, measures.change_measure)

    @change_measure.validator
    def _check_change_measure(self, meta: StepMeta, step: MeasureUpdate) -> None:
        self._check(meta, step, measures.change_measure)

    @workflow.update
    def record_criminal_stage(self, meta: StepMeta, step: CriminalEvent) -> CaseState:
        return self._apply(meta, step, rules.record_criminal_stage)

    @record_criminal_stage.validator
    def _check_criminal_stage(self, meta: StepMeta, step: CriminalEvent) -> None:
        self._check(meta, step, rules.record_criminal_stage)

    @workflow.update
    def record_consent(self, meta: StepMeta, step: ConsentChange) -> CaseState:
        return self._apply(meta, step, rules.record_consent)

    @record_consent.validator
    def _check_consent(self, meta: StepMeta, step: ConsentChange) -> None:
        self._check(meta, step, rules.record_consent)

    @workflow.update
    def transition_to_municipality(self, meta: StepMeta,
                                   step: MunicipalityTransition) -> CaseState:
        return self._apply(meta, step, rules.transition_to_municipality)

    @transition_to_municipality.validator
    def _check_transition(self, meta: StepMeta, step: MunicipalityTransition) -> None:
        self._check(meta, step, rules.transition_to_municipality)

    @workflow.update
    def exit_case(self, meta: StepMeta, step: ExitDecision) -> CaseState:
        return self._apply(meta, step, rules.exit_case)

    @exit_case.validator
    def _check_exit(self, meta: StepMeta, step: ExitDecision) -> None:
        self._check(meta, step, rules.exit_case)

    @workflow.update
    def reassign(self, meta: StepMeta, step: Reassignment) -> CaseState:
        return self._apply(meta, step, rules.reassign)

    @reassign.validator
    def _check_reassign(self, meta: StepMeta, step: Reassignment) -> None:
        self._check(meta, step, rules.reassign)

    @workflow.update
    def transfer_office(self, meta: StepMeta, step: OfficeTransfer) -> CaseState:
        return self._apply(meta, step, rules.transfer_office)

    @transfer_office.validator
    def _check_transfer(self, meta: StepMeta, step: OfficeTransfer) -> None:
        self._check(meta, step, rules.transfer_office)

    @workflow.update
    def begin_assessment(self, meta: StepMeta, step: AssessmentStart) -> CaseState:
        return self._apply(meta, step, rules.begin_assessment)

    @begin_assessment.validator
    def _check_begin_assessment(self, meta: StepMeta, step: AssessmentStart) -> None:
        self._check(meta, step, rules.begin_assessment)

    @workflow.update
    def grant_reflection_period(self, meta: StepMeta, step: ReflectionPeriodGrant) -> CaseState:
        return self._apply(meta, step, rules.grant_reflection_period)

    @grant_reflection_period.validator
    def _check_reflection_period(self, meta: StepMeta, step: ReflectionPeriodGrant) -> None:
        self._check(meta, step, rules.grant_reflection_period)

    @workflow.update
    def change_deadline(self, meta: StepMeta, step: DeadlineChange) -> CaseState:
        return self._apply(meta, step, deadlines.change_deadline)

    @change_deadline.validator
    def _check_change_deadline(self, meta: StepMeta, step: DeadlineChange) -> None:
        self._check(meta, step, deadlines.change_deadline)

    @workflow.update
    def extend_deadline(self, meta: StepMeta, step: DeadlineExtension) -> CaseState:
        return self._apply(meta, step, deadlines.extend_deadline)

    @extend_deadline.validator
    def _check_extend_deadline(self, meta: StepMeta, step: DeadlineExtension) -> None:
        self._check(meta, step, deadlines.extend_deadline)

    @workflow.update
    def acknowledge_notification(self, meta: StepMeta, step: NotificationRef) -> CaseState:
        return self._apply(meta, step, rules.acknowledge_notification)

    @acknowledge_notification.validator
    def _check_acknowledge(self, meta: StepMeta, step: NotificationRef) -> None:
        self._check(meta, step, rules.acknowledge_notification)

    @workflow.update
    def resend_notification(self, meta: StepMeta, step: NotificationRef) -> CaseState:
        return self._apply(meta, step, rules.resend_notification)

    @resend_notification.validator
    def _check_resend(self, meta: StepMeta, step: NotificationRef) -> None:
        self._check(meta, step, rules.resend_notification)

    @workflow.update
    def notify_by_hand(self, meta: StepMeta, step: ManualNotification) -> CaseState:
        return self._apply(meta, step, rules.notify_by_hand)

    @notify_by_hand.validator
    def _check_notify_by_hand(self, meta: StepMeta, step: ManualNotification) -> None:
        self._check(meta, step, rules.notify_by_hand)

    @workflow.update
    def respond_to_measure(self, meta: StepMeta, step: MeasureAnswer) -> CaseState:
        return self._apply(meta, step, measures.respond_to_measure)

    @respond_to_measure.validator
    def _check_respond(self, meta: StepMeta, step: MeasureAnswer) -> None:
        self._check(meta, step, measures.respond_to_measure)

    @workflow.update
    def change_provider(self, meta: StepMeta, step: MeasureProviderChange) -> CaseState:
        return self._apply(meta, step, measures.change_provider)

    @change_provider.validator
    def _check_change_provider(self, meta: StepMeta, step: MeasureProviderChange) -> None:
        self._check(meta, step, measures.change_provider)

    @workflow.update
    def revise_plan(self, meta: StepMeta, step: PlanRevision) -> CaseState:
        return self._apply(meta, step, work.revise_plan)

    @revise_plan.validator
    def _check_plan(self, meta: StepMeta, step: PlanRevision) -> None:
        self._check(meta, step, work.revise_plan)

    @workflow.update
    def approve_plan(self, meta: StepMeta, step: PlanApproval) -> CaseState:
        return self._apply(meta, step, work.approve_plan)

    @approve_plan.validator
    def _check_approval(self, meta: StepMeta, step: PlanApproval) -> None:
        self._check(meta, step, work.approve_plan)

    @workflow.update
    def record_contact(self, meta: StepMeta, step: ContactRecord) -> CaseState:
        return self._apply(meta, step, work.record_contact)

    @record_contact.validator
    def _check_contact(self, meta: StepMeta, step: ContactRecord) -> None:
        self._check(meta, step, work.record_contact)

    @workflow.update
    def join_network(self, meta: StepMeta, step: NetworkJoin) -> CaseState:
        return self._apply(meta, step, work.join_network)

    @join_network.validator
    def _check_join(self, meta: StepMeta, step: NetworkJoin) -> None:
        self._check(meta, step, work.join_network)

    @workflow.update
    def leave_network(self, meta: StepMeta, step: NetworkLeave) -> CaseState:
        return self._apply(meta, step, work.leave_network)

    @leave_network.validator
    def _check_leave(self, meta: StepMeta, step: NetworkLeave) -> None:
        self._check(meta, step, work.leave_network)

    @workflow.update
    def end_measure(self, meta: StepMeta, step: MeasureEnding) -> CaseState:
        return self._apply(meta, step, measures.end_measure)

    @end_measure.validator
    def _check_end_measure(self, meta: StepMeta, step: MeasureEnding) -> None:
        self._check(meta, step, measures.end_measure)
