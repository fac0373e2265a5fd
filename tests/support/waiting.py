"""The one way a test waits: a check polled until it holds, or the test fails. The deadline is
generous (a loaded 2-core machine must not fail a test that is right); a test asserts what
happens, never how fast: speed is measured under `bench/`."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
SECONDS = 60.0  # long enough for a retried activity, a restarted process, a replayed case
PAUSE = 0.05


async def eventually(check: Callable[[], Awaitable[T] | T], seconds: float = SECONDS,
                     pause: float = PAUSE) -> T:
    """Poll a check (async or not) until it returns something truthy, and return that."""
    deadline = time.monotonic() + seconds
    while True:
        result: Any = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s: {_name(check)}")
        await asyncio.sleep(pause)


def eventually_blocking(check: Callable[[], T], seconds: float = SECONDS,
                        pause: float = PAUSE) -> T:
    """The same, for a test that is not async (processes, threads)."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s: {_name(check)}")
        time.sleep(pause)
    return result


def _name(check: Callable[..., Any]) -> str:
    return getattr(check, "__qualname__", repr(check))
