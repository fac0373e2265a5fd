"""Every request to a case or operations route leaves an entry in the audit log: who, in which
role and agency, did or read what, of which case, why, under which request id, and how it
ended, refusals included. The entry is written before the answer goes out; when it cannot be
written the caller gets 503, not the data.

A command that can take effect (a step, a referral) writes its intent first, before it reaches
Temporal, and its outcome after: no step takes effect without an entry, even when the audit
database fails or the process dies in between. A member of staff who reaches a case outside
their office and assignment ("breaking the glass") leaves an `access` entry with the reason
they gave and the case's office, for auditors and that office's lead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api import budget
from api.gateway import CASE_ID
from api.problems import CODES, Problem, known
from infra.codec import CaseKeys
from store.audit import Record, anchor, append, sealed

log = structlog.get_logger(__name__)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# How often the chain's head is anchored outside the log (at most; only when it moved).
ANCHOR_SECONDS = 30.0
INTENT = "intent"
UNAVAILABLE = "503 AuditUnavailable"
# The Web UI's codec reads a case's payloads with a POST.
READ_BY_POST = frozenset({"decode"})


class AuditUnavailable(Exception):
    """The entry could not be written (database down or locked, or a bad entry)."""


class AuditWriter:
    """Writes the process's audit entries with group commit: entries that arrive while one
    transaction commits go together into the next, so a busy API holds the chain's lock once
    per batch rather than once per request. Each caller still waits for its own entry, and one
    entry that cannot be written fails only its own caller: the batch is then written entry by
    entry. Every `ANCHOR_SECONDS` the head is anchored in `anchors` (and in the log)."""

    def __init__(self, engine: Engine, keys: CaseKeys, anchors: Engine | None = None) -> None:
        self._engine, self._keys, self._anchors = engine, keys, anchors
        self._waiting: list[tuple[Record, asyncio.Future[None]]] = []
        self._flushing = False
        self._anchored_at = 0.0

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
                    outcomes = await run_in_threadpool(self._append, [r for r, _ in batch])
                except Exception as err:  # noqa: BLE001 - every waiter learns it: they answer 503
                    outcomes = [err] * len(batch)
                for (_, done), outcome in zip(batch, outcomes, strict=True):
                    if done.done():
                        continue  # its request gave up meanwhile
                    if outcome is None:
                        done.set_result(None)
                    else:
                        done.set_exception(AuditUnavailable(str(outcome)))
        finally:
            self._flushing = False

    def _append(self, records: list[Record]) -> list[Exception | None]:
        outcomes: list[Exception | None] = [None] * len(records)
        ready = []
        for i, record in enumerate(records):
            try:
                ready.append((i, sealed(self._keys, record)))
            except Exception as err:  # noqa: BLE001 - this entry's caller answers 503
                outcomes[i] = err
        entries = []
        try:
            entries = append(self._engine, *(r for _, r in ready)) if ready else []
        except Exception as err:  # noqa: BLE001
            if len(ready) == 1:
                outcomes[ready[0][0]] = err
            else:
                for i, record in ready:  # one by one: only the entry at fault fails
                    try:
                        entries += append(self._engine, record)
                    except Exception as one:  # noqa: BLE001
                        outcomes[i] = one
        if entries:
            self._anchor(entries[-1].seq, entries[-1].hash)
        return outcomes

    def _anchor(self, seq: int, hash_: str) -> None:
        if self._anchors is None or time.monotonic() - self._anchored_at < ANCHOR_SECONDS:
            return
        self._anchored_at = time.monotonic()
        log.info("audit head", seq=seq, hash=hash_)
        try:
            anchor(self._anchors, seq, hash_)
        except SQLAlchemyError:
            log.warning("audit head not anchored; next time", seq=seq)


class AuditedRoute(APIRoute):
    """A route whose every call is audited; routers opt in with `route_class=AuditedRoute`."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        kind = "read" if self.methods <= {"GET", "HEAD"} or self.name in READ_BY_POST else (
            "command")

        async def audited(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as err:
                outcome = _outcome(err)
                if outcome != UNAVAILABLE:  # else the log cannot take this entry either
                    await _record(request, kind, self.name, outcome)
                raise
            await _record(request, kind, self.name, str(response.status_code))
            return response

        return audited


def _outcome(err: Exception) -> str:
    problem = known(err)
    return f"{CODES[problem.code][0]} {problem.code}" if problem else "500 InternalError"


def _entry(request: Request, kind: str, action: str, outcome: str, case_id: str | None,
           reason: str | None = None, office: str | None = None) -> Record:
    actor = getattr(request.state, "actor", None)
    return Record(
        actor_id=actor.user_id if actor else "unauthenticated",
        role=str(actor.role) if actor else None, agency=actor.agency if actor else None,
        kind=kind, action=action,
        # Only a well-formed case id: the path is the caller's, and could carry anything.
        case_id=case_id if case_id and CASE_ID.match(case_id) else None,
        reason=reason, office=office,
        request_id=structlog.contextvars.get_contextvars().get("request_id"), outcome=outcome)


async def _write(request: Request, record: Record, floor: float = 0) -> None:
    try:
        await budget.within(request.app.state.audit.write(record), budget.STORE_SECONDS, floor)
    except (AuditUnavailable, TimeoutError):
        log.warning("audit entry not written", action=record.action, outcome=record.outcome)
        raise Problem("AuditUnavailable", "the audit log cannot be written just now; nothing "
                      "was read, and a step taken is kept: retry with the same Idempotency-Key",
                      headers={"Retry-After": "5"}) from None


async def _record(request: Request, kind: str, action: str, outcome: str) -> None:
    state = request.state
    # A codec request may touch several cases' payloads: an entry for each.
    case_ids = getattr(state, "case_ids", None) or [
        getattr(state, "case_id", None) or request.path_params.get("case_id")]
    reason = None if getattr(state, "intent_written", False) else getattr(state, "reason", None)
    # An outcome after a command's effect gets a moment even when the budget is spent.
    floor = 1.0 if kind == "command" else 0.0
    for case_id in case_ids:
        await _write(request, _entry(request, kind, action, outcome, case_id, reason), floor)


async def intent(request: Request, case_id: str, reason: str) -> None:
    """Before a command reaches Temporal: who means to do what to which case, and why. Raises
    AuditUnavailable (503) when it cannot be written, and then nothing is done."""
    request.state.reason, request.state.case_id = reason, case_id
    action = request.scope["route"].name
    await _write(request, _entry(request, "command", action, INTENT, case_id, reason))
    request.state.intent_written = True  # the outcome entry needs no second copy of the reason


async def break_glass(request: Request, case_id: str, office: str | None, reason: str) -> None:
    """Staff reaching a case outside their office and assignment, with the reason they gave."""
    action = request.scope["route"].name
    await _write(request, _entry(request, "access", action, "break the glass", case_id, reason,
                                 office))
