"""Reading the database from async routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from store.queries import BadToken

T = TypeVar("T")


async def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking query in the thread pool; a page token it cannot read is a 422."""
    try:
        return await run_in_threadpool(query, *args, **kwargs)
    except BadToken:
        raise Problem("InvalidRequest", "page_token is not valid",
                      errors=[{"field": "query.page_token", "message": "not a token"}]) from None
