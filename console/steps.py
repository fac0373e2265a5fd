"""The steps the console offers on a case: each is the API operation of the same name, with its
body model, the workflow update it runs, and whether the case allows it now (by the rules' own
table of phases, and for criminal stages by the rules' own next stages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from console.forms import Field, fields_of, groups
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import (
    AdmissionDecision,
    Assessment,
    AssessmentStart,
    ConsentChange,
    ContactRecord,
    CriminalEvent,
    ExitDecision,
    ManualNotification,
    MunicipalityTransition,
    NetworkJoin,
    NewMeasure,
    OfficeTransfer,
    PlanRevision,
    Reassignment,
    Referral,
    ReflectionPeriodGrant,
)
from workflows.model.state import CaseState, Measure
from workflows.model.vocabulary import MeasureAction
from workflows.rules.lifecycle import CRIMINAL_NEXT
from workflows.rules.measures import MEASURE_NEXT
from workflows.rules.step import STEP_PHASES


@dataclass(frozen=True)
class StepForm:
    name: str  # the API operation and the workflow update
    title: str  # English; translated in the template
    model: type[BaseModel]
    update: Callable[..., Any]
    skip: frozenset[str] = frozenset()  # fields the form does not ask for

    @property
    def fields(self) -> list[Field]:
        return fields_of(self.model, skip=self.skip)

    @property
    def groups(self) -> list[tuple[str | None, list[Field]]]:
        return groups(self.fields)


# A contact, or an appointment ahead; an appointment's outcome is recorded from the appointment.
CONTACT = StepForm("record_contact", "Contact or appointment", ContactRecord,
                   CaseWorkflow.record_contact, skip=frozenset({"appointment_id"}))
STEPS = {s.name: s for s in (
    StepForm("decide_admission", "Admission decision", AdmissionDecision,
             CaseWorkflow.decide_admission),
    StepForm("begin_assessment", "Start of the assessment", AssessmentStart,
             CaseWorkflow.begin_assessment),
    StepForm("assess_needs", "Assessment of assistance needs", Assessment,
             CaseWorkflow.assess_needs),
    StepForm("add_measure", "New assistance measure", NewMeasure, CaseWorkflow.add_measure),
    StepForm("revise_plan", "Client plan", PlanRevision, CaseWorkflow.revise_plan),
    CONTACT,
    StepForm("join_network", "Someone joins the support network", NetworkJoin,
             CaseWorkflow.join_network),
    StepForm("record_criminal_stage", "Criminal process", CriminalEvent,
             CaseWorkflow.record_criminal_stage),
    StepForm("record_consent", "Consent", ConsentChange, CaseWorkflow.record_consent),
    StepForm("grant_reflection_period", "Reflection period", ReflectionPeriodGrant,
             CaseWorkflow.grant_reflection_period),
    StepForm("transition_to_municipality", "Transition to the home municipality",
             MunicipalityTransition, CaseWorkflow.transition_to_municipality),
    StepForm("notify_by_hand", "Notify an agency", ManualNotification,
             CaseWorkflow.notify_by_hand),
    StepForm("reassign", "Reassign", Reassignment, CaseWorkflow.reassign),
    StepForm("transfer_office", "Transfer to another office", OfficeTransfer,
             CaseWorkflow.transfer_office),
    StepForm("exit_case", "Exit decision", ExitDecision, CaseWorkflow.exit_case),
)}
REFERRAL = StepForm("open_case", "New referral", Referral, CaseWorkflow.run)


def allowed_now(state: CaseState) -> list[StepForm]:
    """The steps the case's phase allows, in the order of the work."""
    steps = [s for s in STEPS.values() if state.phase in STEP_PHASES[s.name]]
    if not CRIMINAL_NEXT.get(state.criminal_process.stage):
        steps = [s for s in steps if s.name != "record_criminal_stage"]
    return steps


def measure_actions(state: CaseState, measure: Measure) -> list[MeasureAction]:
    """What may be done to a measure now (start, complete, cancel), by the rules' table."""
    if state.phase not in STEP_PHASES["change_measure"]:
        return []
    return [action for action, (before, _) in MEASURE_NEXT.items() if measure.status in before]
