"""structlog for our code and the stdlib loggers (Temporal's workflow and activity loggers,
uvicorn) alike: JSON lines off a terminal, readable lines on one, trace ids on every record."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

import structlog
from opentelemetry import trace
from temporalio import activity, workflow

from infra.settings import Settings


def add_trace_ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


@dataclass(frozen=True)
class Mask:
    """The keys that carry a client's personal data: those the case's model marks personal
    (`workflows.model.personal.LOGGED`, given by the entry point). Nothing should log them; if
    something does, the value never leaves the process, in a log line or a span."""

    keys: frozenset[str]

    def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        """As a structlog processor."""
        return self.redact(event)

    def redact(self, value: Any) -> Any:
        """The value with every personal key's value masked, at any depth."""
        if isinstance(value, dict):
            return {k: "[redacted]" if self.covers(k) else self.redact(v)
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact(v) for v in value]
        return value

    def covers(self, key: object) -> bool:
        # A dotted key (a span attribute, say `case.person.surname`) is judged by its last part.
        return isinstance(key, str) and key.rsplit(".", 1)[-1] in self.keys


def configure_logging(settings: Settings, mask: Mask) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        mask,
    ]
    console = settings.log_format == "console" or (
        settings.log_format == "auto" and sys.stdout.isatty())
    renderer = structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Temporal's loggers put their context in `extra` too; keep the message itself clean.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
