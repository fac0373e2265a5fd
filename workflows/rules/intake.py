"""Intake: a referral from an agency or from the person themself waits in its office's intake
until a caseworker takes it over; meanwhile the office may ask the referrer for more, or find it
is a second referral of a person whose case goes on in another (a duplicate, closed here and
named there by its number). Pure, like the other rules."""

from __future__ import annotations

from workflows.model import calendar
from workflows.model.requests import Duplicate, InformationRequest, TakeOver
from workflows.model.state import Assignment, CaseState
from workflows.model.vocabulary import Action, DeadlineStatus, Phase, Refusal
from workflows.rules import deadlines
from workflows.rules.lifecycle import hand_over
from workflows.rules.step import StepContext, StepRejected


def waiting(state: CaseState) -> bool:
    """Still in intake: referred, and nobody has taken it over."""
    return state.phase is Phase.REFERRED and state.assignment.caseworker_id is None


def take_over(state: CaseState, _step: TakeOver, ctx: StepContext) -> Action:
    if not waiting(state):
        raise StepRejected(Refusal.INVALID_TRANSITION, "the referral has already been taken over")
    hand_over(state, Assignment(office=state.assignment.office, caseworker_id=ctx.actor.user_id),
              None, ctx)
    return Action.TAKEN_OVER


def ask_referrer(state: CaseState, _step: InformationRequest, _ctx: StepContext) -> Action:
    if state.referrer.agency_id is None:
        raise StepRejected(Refusal.INVALID_STEP, "the referrer is not in the agency directory: "
                           "ask it by its own channels")
    return Action.MORE_ASKED


def mark_duplicate(state: CaseState, step: Duplicate, ctx: StepContext) -> Action:
    if step.duplicate_of == state.reference_number:
        raise StepRejected(Refusal.INVALID_STEP, "a case is not a duplicate of itself",
                           field="duplicate_of")
    state.phase, state.duplicate_of = Phase.MERGED, step.duplicate_of
    deadlines.settle(state, list(calendar.DeadlineKind), DeadlineStatus.CANCELLED, ctx.now,
                     ctx.actor, "a duplicate referral")
    return Action.MERGED


def unknown_case() -> StepRejected:
    """A step names another case by a number no case has (the API looks it up)."""
    return StepRejected(Refusal.INVALID_STEP, "no case has this number", field="duplicate_of")
