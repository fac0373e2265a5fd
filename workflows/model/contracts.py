"""The activities a case's workflow calls, as contracts: their names, inputs and results.

The workflow imports these, never the implementations in `activities/` (with their database
drivers, HTTP and SMTP clients), which the worker registers under the same names. A stub here
is never run: calling it means the worker lacks the implementation.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import activity

from workflows.model.state import CaseState, Selector

# The error type of a delivery that retrying cannot mend (an agency missing from the
# directory, a 4xx other than 408 and 429, a permanent SMTP refusal).
PERMANENT = "PermanentDeliveryFailure"
# An attempt found that consent no longer covers the delivery: nothing was sent.
WITHHELD = "DeliveryWithheld"


class Delivery(BaseModel):
    notification_id: str
    key: str
    agency_id: str
    purpose: str
    case_id: str
    message: dict[str, Any]


class Delivered(BaseModel):
    attempts: int
    channels: list[str]


CONTRACT = "a contract: the worker registers the implementation"


@activity.defn(name="resolve_agencies")
async def resolve_agencies(selector: Selector) -> list[str]:
    """The directory's agencies that a selector names (`activities.notifications`)."""
    raise NotImplementedError(CONTRACT)


@activity.defn(name="deliver")
async def deliver(delivery: Delivery) -> Delivered:
    """Deliver a notification over its agency's channels (`activities.notifications`)."""
    raise NotImplementedError(CONTRACT)


@activity.defn(name="project_case")
async def project_case(state: CaseState) -> bool:
    """Write the case's read-model rows and archive (`activities.read_model`)."""
    raise NotImplementedError(CONTRACT)


@activity.defn(name="archive_histories")
async def archive_histories() -> int:
    """Copy the histories of closed case runs into the database (`activities.archive`)."""
    raise NotImplementedError(CONTRACT)
