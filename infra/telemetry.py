"""OpenTelemetry tracer and meter providers: traces and metrics over OTLP/HTTP when an endpoint
is set, metrics also on a Prometheus endpoint when a port is; every span's personal attributes
masked on the way out. The Temporal SDK's own metrics (task latencies, failures, slots, the
sticky cache) join ours through a metric buffer, so one endpoint serves both."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import structlog
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)

from infra.logs import Mask
from infra.settings import Settings


def configure_telemetry(settings: Settings, component: str, mask: Mask) -> None:
    resource = Resource.create({"service.name": f"{settings.service_name}-{component}",
                                "deployment.environment": settings.environment})
    # Spans are recorded only when a collector takes them: recording them for nobody cost a
    # tenth of the worker's CPU and a seventh of the API's. Unrecorded, they still carry ids,
    # so the logs' trace_id and its propagation to the worker through Temporal remain.
    sampler = None if settings.otlp_endpoint else ParentBased(ALWAYS_OFF)
    tracer_provider = TracerProvider(resource=resource, sampler=sampler)
    readers: list[Any] = []
    if settings.metrics_port is not None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        readers.append(PrometheusMetricReader())
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = settings.otlp_endpoint.rstrip("/")
        tracer_provider.add_span_processor(
            BatchSpanProcessor(Redacting(OTLPSpanExporter(endpoint=f"{base}/v1/traces"), mask)))
        readers.append(PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics")))
    trace.set_tracer_provider(tracer_provider)
    # Our histograms and the SDK's measure seconds: buckets from 5 ms to an hour (others, such
    # as the HTTP instrumentation's milliseconds and bytes, keep their own).
    seconds = View(instrument_type=Histogram, instrument_unit="s",
                   aggregation=ExplicitBucketHistogramAggregation(
        (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers,
                                             views=[seconds, *HTTP_VIEWS]))
    if readers:
        SdkMetrics().start()
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.metrics_host)


log = structlog.get_logger(__name__)

# The HTTP instrumentation's labels that a client cannot choose: the method (anything unusual
# is `_OTHER`), the route's template (none for a path no route took), the status, the scheme
# and the protocol version. The Host header (`http.host`, `http.server_name`), the port and the
# client are dropped: a flood of made-up host names would otherwise make a series of each.
HTTP_LABELS = {"http.method", "http.route", "http.target", "http.status_code", "http.scheme",
               "http.flavor", "http.request.method", "http.response.status_code",
               "url.scheme", "network.protocol.version", "error.type"}
HTTP_VIEWS = [View(instrument_name=f"http.server.{name}", attribute_keys=HTTP_LABELS)
              for name in ("duration", "request.size", "response.size", "active_requests",
                           "request.duration", "request.body.size", "response.body.size")]


class SdkMetrics:
    """The Temporal SDK's metrics, drained from its buffer into our meter every few seconds:
    counters add, gauges set, histograms record (durations in seconds). Installed as the
    process's default Temporal runtime, so every client and worker of the process reports."""

    EVERY = 5.0  # seconds; the buffer holds far more than arrives in that time

    def __init__(self) -> None:
        self._buffer = MetricBuffer(100_000, MetricBufferDurationFormat.SECONDS)
        Runtime.set_default(Runtime(telemetry=TelemetryConfig(metrics=self._buffer)))
        self._meter = metrics.get_meter("temporalio")
        self._instruments: dict[str, Any] = {}

    def start(self) -> None:
        threading.Thread(target=self._run, name="temporal-metrics", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.EVERY)
            try:
                self.drain()
            except Exception:  # noqa: BLE001 - one bad update must not stop the SDK's metrics
                log.exception("Temporal SDK metrics could not be drained")

    def drain(self) -> None:
        for update in self._buffer.retrieve_updates():
            metric, attributes = update.metric, dict(update.attributes)
            instrument = self._instruments.get(metric.name) or self._instrument(metric)
            if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
                instrument.add(update.value, attributes)
            elif metric.kind == BUFFERED_METRIC_KIND_HISTOGRAM:
                instrument.record(update.value, attributes)
            else:
                instrument.set(update.value, attributes)

    def _instrument(self, metric: Any) -> Any:
        make = {BUFFERED_METRIC_KIND_COUNTER: self._meter.create_counter,
                BUFFERED_METRIC_KIND_HISTOGRAM: self._meter.create_histogram}.get(
            metric.kind, self._meter.create_gauge)
        instrument = make(metric.name, unit=metric.unit or "", description=metric.description or "")
        self._instruments[metric.name] = instrument
        return instrument


class Redacting(SpanExporter):
    """Exports spans with the values of personal attributes (spans' and their events') masked:
    a second line of defence, since nothing of ours puts personal data in a span."""

    def __init__(self, inner: SpanExporter, mask: Mask) -> None:
        self._inner, self._mask = inner, mask

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([self._redacted(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def _redacted(self, span: ReadableSpan) -> ReadableSpan:
        redact = self._mask.redact
        attributes = redact(dict(span.attributes or {}))
        events = [Event(e.name, redact(dict(e.attributes or {})), e.timestamp)
                  for e in span.events]
        return ReadableSpan(
            name=span.name, context=span.context, parent=span.parent, resource=span.resource,
            attributes=attributes, events=events, links=span.links, kind=span.kind,
            status=span.status, start_time=span.start_time, end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope)

