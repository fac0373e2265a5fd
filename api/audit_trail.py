"""Every request to a case or operations route leaves an entry in the audit log: who, in which
role and agency, did or read what, of which case, why, under which request id, and how it
ended, refusals included. The entry is written before the answer goes out; when it cannot be
written the caller gets 503, not the data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from temporalio.exceptions import ApplicationError

from api.gateway import CASE_ID
from api.problems import CODES, Problem, from_application_error
from infra.codec import CaseKeys
from store.audit import Record, append, sealed

log = structlog.get_logger(__name__)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AuditWriter:
    """Writes the process's audit entries with group commit: entries that arrive while one
    transaction commits go together into the next, so a busy API holds the chain's lock once
    per batch rather than once per request. Each caller still waits for its own entry."""

    def __init__(self, engine: Engine, keys: CaseKeys) -> None:
        self._engine, self._keys = engine, keys
        self._waiting: list[tuple[Record, asyncio.Future[None]]] = []
        self._flushing = False

    async def write(self, record: Record) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((record, done))
        if not self._flushing:
            self._flushing = True
            # Held, so the task is not collected while it runs.
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await run_in_threadpool(self._append, [r for r, _ in batch])
                except Exception as err:  # every waiter learns it: they answer 503
                    outcome: Exception | None = err
                else:
                    outcome = None
                for _, done in batch:
                    if done.done():
                        continue  # its request was cancelled meanwhile
                    if outcome is None:
                        done.set_result(None)
                    else:
                        done.set_exception(outcome)
        finally:
            self._flushing = False

    def _append(self, records: list[Record]) -> None:
        append(self._engine, *(sealed(self._keys, r) for r in records))


class AuditedRoute(APIRoute):
    """A route whose every call is audited; routers opt in with `route_class=AuditedRoute`."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        kind = "read" if self.methods <= {"GET", "HEAD"} else "command"

        async def audited(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as err:
                await _record(request, kind, self.name, _outcome(err))
                raise
            await _record(request, kind, self.name, str(response.status_code))
            return response

        return audited


def _outcome(err: Exception) -> str:
    if isinstance(err, ApplicationError):
        err = from_application_error(err)
    if isinstance(err, Problem):
        return f"{CODES[err.code][0]} {err.code}"
    if isinstance(err, RequestValidationError):
        return "422 InvalidRequest"
    if isinstance(err, HTTPException):
        return str(err.status_code)
    return "500 InternalError"


async def _record(request: Request, kind: str, action: str, outcome: str) -> None:
    state = request.state
    actor = getattr(state, "actor", None)
    case_id = getattr(state, "case_id", None) or request.path_params.get("case_id")
    record = Record(
        actor_id=actor.user_id if actor else "unauthenticated",
        role=str(actor.role) if actor else None, agency=actor.agency if actor else None,
        kind=kind, action=action,
        # Only a well-formed case id: the path is the caller's, and could carry anything.
        case_id=case_id if case_id and CASE_ID.match(case_id) else None,
        reason=getattr(state, "reason", None),
        request_id=structlog.contextvars.get_contextvars().get("request_id"), outcome=outcome)
    try:
        await request.app.state.audit.write(record)
    except SQLAlchemyError:
        log.exception("audit entry not written", action=action, outcome=outcome)
        raise Problem("AuditUnavailable", "the audit log cannot be written just now; nothing "
                      "was read, and a step taken is kept: retry with the same Idempotency-Key",
                      headers={"Retry-After": "5"}) from None
