"""Heartbeats of a running activity: while one beats, Temporal knows its worker is alive; when
the beats stop for the heartbeat timeout, another worker takes the activity over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from temporalio import activity

SECONDS = 1.0  # the SDK sends at most one beat per interval it derives from the timeout


@contextlib.asynccontextmanager
async def beating(details: Callable[[], Any] = lambda: None) -> AsyncIterator[None]:
    """Beat every second while the block runs (queueing included), with `details()`."""

    async def beat() -> None:
        while True:
            activity.heartbeat(details())
            await asyncio.sleep(SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
