"""Personal data does not leave the process in logs or spans, whatever a caller puts there."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infra.logs import Mask
from infra.telemetry import Redacting
from workflows.model.state import LOGGED

# The mask as the entry points make it: from the case's model's marking.
MASK = Mask(LOGGED)


def test_log_records_are_masked_at_any_depth() -> None:
    event = MASK(None, "info", {
        "event": "case step", "case_id": "case-x", "surname": "Vasquez",
        "extra": {"referral": {"person": {"given_names": "Maria"}}, "items": [{"reason": "r"}]}})
    assert "Vasquez" not in repr(event) and "Maria" not in repr(event) and "'r'" not in repr(event)
    assert event["case_id"] == "case-x" and event["event"] == "case step"


def test_span_attributes_and_events_are_masked_on_export() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Redacting(memory, MASK)))
    with provider.get_tracer("test").start_as_current_span("step") as span:
        span.set_attribute("case_id", "case-x")
        span.set_attribute("case.person.surname", "Vasquez")
        span.add_event("note", {"date_of_birth": "1994-03-17", "phase": "admitted"})
    (exported,) = memory.get_finished_spans()
    assert exported.attributes == {"case_id": "case-x", "case.person.surname": "[redacted]"}
    assert exported.events[0].attributes == {"date_of_birth": "[redacted]", "phase": "admitted"}
