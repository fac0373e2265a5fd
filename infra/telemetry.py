"""OpenTelemetry tracer and meter providers; exported over OTLP/HTTP when an endpoint is set."""

from __future__ import annotations

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

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
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        readers.append(PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
