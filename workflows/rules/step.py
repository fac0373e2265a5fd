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

    `says` is the refusal in English with a `{name}` for each detail it names: formatted, the
    API's detail; as it is, a member of the problem (`says`), which the console words in the
    reader's language (`console/catalogue.py` collects every one). A constant, never built:
    `tests/workflows/rules/test_step.py` checks. Refusals name fields, dates and states of the
    case's own steps, never personal data: they reach logs and clients.
    """

    def __init__(self, code: Refusal, says: str, **details: Any) -> None:
        super().__init__(says.format(**details), {**details, "says": says}, type=code,
                         non_retryable=True)


@dataclass(frozen=True)
class StepContext:
    now: datetime
    actor: Actor
    work: bool = True  # the run has the `client-work-v1` patch (see `patches`)
    approval_required: bool = False  # client plans need an office lead's approval


S = TypeVar("S", bound=Step)
Rule = Callable[[CaseState, S, StepContext], Action]

Item = TypeVar("Item", Measure, Deadline, Notification, Contact, NetworkMember)


# No such item: the refusal of each kind, by the key its id goes by.
NO_SUCH = {"measure_id": "no measure '{measure_id}' in this case",
           "deadline_id": "no deadline '{deadline_id}' in this case",
           "notification_id": "no notification '{notification_id}' in this case",
           "contact_id": "no contact '{contact_id}' in this case",
           "member_id": "no member '{member_id}' in this case"}


def find(items: list[Item], item_id: str, code: Refusal, noun: str) -> Item:
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        key = f"{noun}_id"
        raise StepRejected(code, NO_SUCH[key], **{key: item_id})
    return found
