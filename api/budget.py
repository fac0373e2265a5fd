"""One time budget per request: every call the request makes to Temporal or a database waits at
most what is left of it, so a request whose dependency is down fails fast with a 503 and
`Retry-After` instead of waiting out one timeout per call.

The budget starts when the request arrives (`BudgetMiddleware`). A database wait is also capped
at `STORE_SECONDS`: a database that has not answered by then is down, or locked, for now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from datetime import timedelta
from typing import TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")
STORE_SECONDS = 3.0
# The least a call is given, so a nearly spent budget still lets one attempt through.
FLOOR_SECONDS = 0.05
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


def remaining(cap: float | None = None) -> float:
    deadline = _deadline.get()
    left = float("inf") if deadline is None else deadline - time.monotonic()
    return max(FLOOR_SECONDS, min(left, cap if cap is not None else left))


def rpc_timeout() -> timedelta:
    return timedelta(seconds=min(remaining(), 3600))


async def within(call: Awaitable[T], cap: float | None = None, floor: float = 0) -> T:
    """Await `call` for what is left of the budget (at most `cap`, at least `floor`); raise
    TimeoutError past it. Outside a request (no budget) only `cap` bounds it."""
    seconds = max(floor, remaining(cap))
    return await asyncio.wait_for(call, None if seconds == float("inf") else seconds)


class BudgetMiddleware:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = _deadline.set(time.monotonic() + self.seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            _deadline.reset(token)
