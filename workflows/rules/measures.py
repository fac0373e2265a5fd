"""The rules of a case's assistance measures: added while the client is assisted, then started,
completed or cancelled; the provider asked, answering, and replaced by another."""

from __future__ import annotations

from workflows.model.requests import (
    MeasureAnswer,
    MeasureEnding,
    MeasureProviderChange,
    MeasureUpdate,
    NewMeasure,
)
from workflows.model.state import CaseState, Measure
from workflows.model.vocabulary import Action, MeasureAction, MeasureStatus, Refusal
from workflows.rules.step import StepContext, StepRejected, find

# A measure is planned, started, completed; it may be cancelled until it is completed.
MEASURE_NEXT: dict[MeasureAction, tuple[frozenset[MeasureStatus], MeasureStatus]] = {
    MeasureAction.START: (frozenset({MeasureStatus.PLANNED}), MeasureStatus.STARTED),
    MeasureAction.COMPLETE: (frozenset({MeasureStatus.STARTED}), MeasureStatus.COMPLETED),
    MeasureAction.CANCEL: (
        frozenset({MeasureStatus.PLANNED, MeasureStatus.STARTED}),
        MeasureStatus.CANCELLED,
    ),
}

# The action each change records.
MEASURE_CHANGED = {MeasureStatus.STARTED: Action.MEASURE_STARTED,
                   MeasureStatus.COMPLETED: Action.MEASURE_COMPLETED,
                   MeasureStatus.CANCELLED: Action.MEASURE_CANCELLED}


def _measure(state: CaseState, measure_id: str) -> Measure:
    return find(state.measures, measure_id, Refusal.UNKNOWN_MEASURE, "measure")


def add_measure(state: CaseState, step: NewMeasure, ctx: StepContext) -> Action:
    state.measures.append(
        Measure(id=state.next_measure_id(), type=step.type, provider=step.provider,
                added_at=ctx.now, changed_at=ctx.now, planned_start=step.planned_start)
    )
    return Action.MEASURE_ADDED


def change_measure(state: CaseState, step: MeasureUpdate, ctx: StepContext) -> Action:
    measure = _measure(state, step.measure_id)
    allowed_from, to = MEASURE_NEXT[step.action]
    if measure.status not in allowed_from:
        raise StepRejected(
            Refusal.INVALID_TRANSITION,
            "cannot {action} measure '{measure_id}' in status '{measure_status}'",
            action=str(step.action), measure_id=step.measure_id,
            measure_status=str(measure.status),
        )
    measure.status, measure.changed_at = to, ctx.now
    if to is MeasureStatus.STARTED:
        measure.started_at = ctx.now
    return MEASURE_CHANGED[to]


def end_measure(state: CaseState, step: MeasureEnding, ctx: StepContext) -> Action:
    """A started measure ends implemented or not successful, with the reason (the step's)."""
    measure = _measure(state, step.measure_id)
    if measure.status is not MeasureStatus.STARTED:
        raise StepRejected(Refusal.INVALID_TRANSITION, "measure '{measure_id}' is "
                           "{measure_status}: only a started measure ends with an outcome",
                           measure_id=measure.id, measure_status=str(measure.status))
    measure.status, measure.changed_at = MeasureStatus.COMPLETED, ctx.now
    measure.outcome, measure.outcome_reason = step.outcome, step.reason
    return Action.MEASURE_ENDED


def respond_to_measure(state: CaseState, step: MeasureAnswer, ctx: StepContext) -> Action:
    measure = _measure(state, step.measure_id)
    if measure.status is not MeasureStatus.PLANNED or measure.provider_accepted is not None:
        raise StepRejected(Refusal.INVALID_TRANSITION, "measure '{measure_id}' is not awaiting "
                           "an answer", measure_id=measure.id)
    measure.provider_accepted, measure.provider_reason = step.accepted, step.reason
    measure.changed_at = ctx.now
    return Action.MEASURE_ACCEPTED if step.accepted else Action.MEASURE_DECLINED


def change_provider(state: CaseState, step: MeasureProviderChange, ctx: StepContext) -> Action:
    measure = _measure(state, step.measure_id)
    if measure.status is not MeasureStatus.PLANNED:
        raise StepRejected(Refusal.INVALID_TRANSITION, "measure '{measure_id}' is {measure_status}",
                           measure_id=measure.id, measure_status=str(measure.status))
    measure.provider, measure.changed_at = step.provider, ctx.now
    measure.provider_accepted = measure.provider_reason = None
    return Action.PROVIDER_CHANGED
