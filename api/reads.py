"""Reading the databases from async routes: in the thread pool, within the request's budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from api import budget
from api.problems import Code, Problem, store_unavailable
from store.queries import BadToken

T = TypeVar("T")


async def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking query in the thread pool; a page token it cannot read is a 422, a
    database that does not answer in time a 503."""
    try:
        return await budget.within(run_in_threadpool(query, *args, **kwargs),
                                   budget.STORE_SECONDS)
    except BadToken:
        raise Problem(Code.INVALID_REQUEST, "page_token is not valid",
                      errors=[{"field": "query.page_token", "message": "not a token"}]) from None
    except TimeoutError:
        raise store_unavailable() from None
