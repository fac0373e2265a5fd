"""The application's metrics, served with the Temporal SDK's (see `infra.telemetry`): steps by
step and outcome (taken, or the refusal's code), how long an audit append takes, what stands
open in the read model, and the requests a flood brings (rate limits, requests naming no one).
Labels name steps, operations, limits, codes, offices, agencies and statuses, never a case, a
person, an address or a host; with no metrics configured every instrument is a no-op."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy import Engine

from api.problems import known
from store import counts

METER = metrics.get_meter("casework")
STEPS = METER.create_counter(
    "casework_steps", description="Steps taken or refused, by step and outcome (taken, or the "
    "refusal's problem code).")
AUDIT_APPEND = METER.create_histogram(
    "casework_audit_append", unit="s", description="Time to seal and append a batch of entries "
    "to the audit chain.")
RATE_LIMITED = METER.create_counter(
    "casework_rate_limited", description="Requests refused with 429, by the limit they went "
    "over (client, person, sign_in, codec, audit_verify).")
UNATTRIBUTED = METER.create_counter(
    "casework_unattributed_requests", description="Requests to audited operations that named "
    "no person (no token, a bad one, no session; the sign-in pages), by operation and outcome "
    "(the refusal's problem code, or the status class): counted here, not appended to the "
    "audit log one by one.")


@contextlib.contextmanager
def counted(step: str) -> Iterator[None]:
    """Count the step the block takes: taken, or refused with its problem's code."""
    try:
        yield
    except Exception as err:
        problem = known(err)
        STEPS.add(1, {"step": step, "outcome": str(problem.code) if problem else "error"})
        raise
    STEPS.add(1, {"step": step, "outcome": "taken"})


def watch_read_model(engine: Engine) -> None:
    """Gauges read from the read model at each collection (a scrape, or an OTLP export)."""
    def gauge(count: Callable[[Engine], list[tuple[dict[str, str], int]]],
              ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(_options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(value, labels) for labels, value in count(engine)]
        return observe

    gauges: list[tuple[str, Any, str]] = [
        ("casework_open_cases", counts.open_cases, "Open cases by office and phase."),
        ("casework_unsettled_deadlines", counts.unsettled_deadlines,
         "Deadlines open, extended or overdue, by office and status."),
        ("casework_waiting_notifications", counts.waiting_notifications,
         "Notifications being delivered or failed, by agency and status."),
    ]
    for name, count, description in gauges:
        METER.create_observable_gauge(name, callbacks=[gauge(count)], description=description)
