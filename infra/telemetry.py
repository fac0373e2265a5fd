"""OpenTelemetry tracer and meter providers; exported over OTLP/HTTP when an endpoint is set,
with every span's personal attributes masked on the way out."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from infra.logs import redact
from infra.settings import Settings


def configure_telemetry(settings: Settings, component: str) -> None:
    resource = Resource.create({"service.name": f"{settings.service_name}-{component}",
                                "deployment.environment": settings.environment})
    tracer_provider = TracerProvider(resource=resource)
    readers = []
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.otlp_endpoint.rstrip("/")
        tracer_provider.add_span_processor(
            BatchSpanProcessor(Redacting(OTLPSpanExporter(endpoint=f"{base}/v1/traces"))))
        readers.append(PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


class Redacting(SpanExporter):
    """Exports spans with the values of personal attributes (spans' and their events') masked:
    a second line of defence, since nothing of ours puts personal data in a span."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([_redacted(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _redacted(span: ReadableSpan) -> ReadableSpan:
    attributes = redact(dict(span.attributes or {}))
    events = [Event(e.name, redact(dict(e.attributes or {})), e.timestamp) for e in span.events]
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=attributes, events=events, links=span.links, kind=span.kind,
        status=span.status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)
