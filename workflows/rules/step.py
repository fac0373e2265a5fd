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
from workflows.model.vocabulary import Action, Refusal


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

Item = TypeVar("Item", Measure, Deadline, Notification, Contact, NetworkMember)


def find(items: list[Item], item_id: str, code: Refusal, noun: str) -> Item:
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        raise StepRejected(code, f"no {noun} '{item_id}' in this case", **{f"{noun}_id": item_id})
    return found
