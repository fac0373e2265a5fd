"""How our processes end."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from opentelemetry import metrics, trace


def exit_skipping_teardown(code: int = 0) -> NoReturn:
    """End a process that used a Temporal client, after its clean shutdown.

    The SDK's Rust threads can outlive the event loop, and CPython's finalization then aborts
    with "PyGILState_Release: thread state ... must be current" (temporalio/sdk-python#300).
    So flush what is buffered (spans, metrics, output) and leave without finalization.
    """
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        shutdown = getattr(provider, "shutdown", None)
        if shutdown is not None:
            shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
