"""What a rule is: a pure function of the case's state, a step and the step's context that changes
the state in place and returns the action it records, or refuses the step with `StepRejected`.
The rules themselves are in `lifecycle`, `measures` and `deadlines`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from temporalio.exceptions import ApplicationError

from workflows.model.requests import Actor, Step
from workflows.model.state import CaseState, Contact, Deadline, Measure, NetworkMember, Notification
from workflows.model.vocabulary import Action, Phase, Refusal


class StepRejected(ApplicationError):
    """A step that the case's rules refuse. `code` becomes the error type the API maps to HTTP.

    Messages name fields and states, never personal data: they reach logs and clients.
    """

    def __init__(self, code: Refusal, message: str, **details: Any) -> None:
        super().__init__(message, details, type=code, non_retryable=True)


@dataclass(frozen=True)
class StepContext:
    now: datetime
    actor: Actor
    work: bool = True  # the run has the `client-work-v1` patch (see `patches`)
    approval_required: bool = False  # client plans need an office lead's approval


S = TypeVar("S", bound=Step)
Rule = Callable[[CaseState, S, StepContext], Action]

# The phases in which the client is being assisted: admitted, until the exit.
OPEN_PHASES = (Phase.ADMITTED, Phase.ASSISTANCE, Phase.MUNICIPALITY)
REFERRED_OR_OPEN = (Phase.REFERRED, *OPEN_PHASES)
# The phases each step may be taken in: its rule checks it, and the console offers the step's
# form by it. (Acknowledging, re-sending and settling deadlines go by their own item's state.)
STEP_PHASES: dict[str, tuple[Phase, ...]] = {
    "decide_admission": (Phase.REFERRED,),
    "begin_assessment": (Phase.ADMITTED,),
    # The needs can be assessed again while the client is assisted; a plan rests on one.
    "assess_needs": OPEN_PHASES,
    **dict.fromkeys(("revise_plan", "approve_plan"), (Phase.ASSISTANCE, Phase.MUNICIPALITY)),
    "transition_to_municipality": (Phase.ASSISTANCE,),
    "exit_case": OPEN_PHASES,
    **dict.fromkeys(("add_measure", "change_measure", "respond_to_measure", "change_provider",
                     "end_measure"), OPEN_PHASES),
    **dict.fromkeys(("record_criminal_stage", "record_consent", "grant_reflection_period",
                     "reassign", "transfer_office", "notify_by_hand", "record_contact",
                     "join_network", "leave_network"), REFERRED_OR_OPEN),
}


def require_phase(state: CaseState, step: str, name: str) -> None:
    """The case is in a phase where the step `name` (a key of STEP_PHASES) may be taken."""
    allowed = STEP_PHASES[name]
    if state.phase.closed and state.phase not in allowed:
        raise StepRejected(Refusal.CASE_CLOSED, f"the case is closed ({state.phase}); no '{step}'",
                           phase=str(state.phase))
    if state.phase not in allowed:
        raise StepRejected(
            Refusal.INVALID_TRANSITION,
            f"'{step}' is not allowed in phase '{state.phase}'",
            phase=str(state.phase),
            allowed_phases=[str(p) for p in allowed],
        )


Item = TypeVar("Item", Measure, Deadline, Notification, Contact, NetworkMember)


def find(items: list[Item], item_id: str, code: Refusal, noun: str) -> Item:
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        raise StepRejected(code, f"no {noun} '{item_id}' in this case", **{f"{noun}_id": item_id})
    return found
