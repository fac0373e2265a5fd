"""structlog for our code and the stdlib loggers (Temporal's workflow and activity loggers,
uvicorn) alike: JSON lines off a terminal, readable lines on one, trace ids on every record."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from opentelemetry import trace
from temporalio import activity, workflow

from infra.settings import Settings

# Keys that would carry a client's personal data. Nothing should log them; if something does,
# the value never leaves the process.
PERSONAL_KEYS = frozenset({"person", "given_names", "surname", "date_of_birth", "nationality",
                           "languages", "client_view", "reason", "reasons"})


def add_trace_ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


def redact(value: Any) -> Any:
    """The value with every personal key's value masked, at any depth."""
    if isinstance(value, dict):
        return {k: "[redacted]" if is_personal(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def is_personal(key: object) -> bool:
    # A dotted key (a span attribute, say `case.person.surname`) is judged by its last part.
    return isinstance(key, str) and key.rsplit(".", 1)[-1] in PERSONAL_KEYS


def drop_personal_data(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    return redact(event)


def configure_logging(settings: Settings) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        drop_personal_data,
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
