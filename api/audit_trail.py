"""Every request of a person to a case or operations route leaves an entry in the audit log:
who, in which role and agency, did or read what, of which case, why, under which request id,
and how it ended, refusals included. The entry is written before the answer goes out; when it
cannot be written the caller gets 503, not the data. A request that named nobody (no token, a
bad one, no session) reads and changes nothing: it is counted in a metric, not written, so a
flood of them cannot grow the chain (`AuditContext.due`).

A command that can take effect (a step, a referral) writes its intent first, before it reaches
Temporal, and its outcome after: no step takes effect without an entry, even when the audit
database fails or the process dies in between. A member of staff who reaches a case outside
their office and assignment ("breaking the glass") leaves an `access` entry with the reason
they gave and the case's office, for auditors and that office's lead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api import budget
from api.gateway import CASE_ID
from api.metrics import AUDIT_APPEND, UNATTRIBUTED
from api.problems import CODES, Code, Problem, known
from store.audit import Record, anchor, append, sealed
from store.keys import CaseKeys
from workflows.model.requests import Actor

log = structlog.get_logger(__name__)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
# How often the chain's head is anchored outside the log (at most; only when it moved).
ANCHOR_SECONDS = 30.0
INTENT = "intent"
UNAVAILABLE = "503 AuditUnavailable"
# Reads by POST: the Web UI's codec (a case's payloads), the console's search for a person (what
# was searched for stays out of addresses and logs).
READ_BY_POST = frozenset({"decode", "console_find_cases"})


class AuditUnavailable(Exception):
    """The entry could not be written (database down or locked, or a bad entry)."""


class AuditWriter:
    """Writes the process's audit entries with group commit: entries that arrive while one
    transaction commits go together into the next, so a busy API holds the chain's lock once
    per batch rather than once per request. Each caller waits for its own entry (`write`), and
    one entry that cannot be written fails only its own caller: the batch is then written entry
    by entry. An entry whose caller gave up waiting is not written; the caller's answer (503)
    is noted instead (`note`). The chain's head is anchored in `anchors` (and in the log) at
    most `ANCHOR_SECONDS` after it moved, outside the writing, so a slow read model never
    holds up the log."""

    def __init__(self, engine: Engine, keys: CaseKeys, anchors: Engine | None = None,
                 anchor_every: float = ANCHOR_SECONDS) -> None:
        self._engine, self._keys, self._anchors = engine, keys, anchors
        self._waiting: list[tuple[Record, asyncio.Future[None]]] = []
        self._flushing = False
        self._head: tuple[int, str] | None = None  # the newest entry, not yet anchored
        self._anchoring: asyncio.Task[None] | None = None
        self._every = anchor_every
        self._anchored_at = -anchor_every

    async def write(self, record: Record) -> None:
        await self._queue(record)

    def note(self, record: Record) -> None:
        """Queue an entry without waiting for it (the caller has its answer already)."""
        self._queue(record).add_done_callback(lambda done: done.exception())

    def _queue(self, record: Record) -> asyncio.Future[None]:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((record, done))
        if not self._flushing:
            self._flushing = True
            # Held, so the task is not collected while it runs.
            self._flusher = asyncio.create_task(self._flush())
        return done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch = [(r, done) for r, done in self._waiting if not done.done()]
                self._waiting = []
                try:
                    began = time.perf_counter()
                    outcomes, head = await run_in_threadpool(self._append,
                                                             [r for r, _ in batch])
                    AUDIT_APPEND.record(time.perf_counter() - began)
                except Exception as err:  # noqa: BLE001 - every waiter learns it: they answer 503
                    outcomes, head = [err] * len(batch), None
                for (_, done), outcome in zip(batch, outcomes, strict=True):
                    if done.done():
                        continue  # its request gave up meanwhile (and noted its 503)
                    if outcome is None:
                        done.set_result(None)
                    else:
                        done.set_exception(AuditUnavailable(str(outcome)))
                if head is not None:
                    self._head = head
                    self._schedule_anchor()
        finally:
            self._flushing = False

    def _append(self, records: list[Record]) -> tuple[list[Exception | None],
                                                      tuple[int, str] | None]:
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
        return outcomes, (entries[-1].seq, entries[-1].hash) if entries else None

    def _schedule_anchor(self) -> None:
        if self._anchors is not None and (self._anchoring is None or self._anchoring.done()):
            self._anchoring = asyncio.create_task(self._anchor())

    async def _anchor(self) -> None:
        await asyncio.sleep(max(0.0, self._anchored_at + self._every - time.monotonic()))
        if self._head is None or self._anchors is None:
            return
        (seq, hash_), self._head = self._head, None
        self._anchored_at = time.monotonic()
        log.info("audit head", seq=seq, hash=hash_)
        try:
            await asyncio.to_thread(anchor, self._anchors, seq, hash_)
        except SQLAlchemyError:
            log.warning("audit head not anchored; next time", seq=seq)
            self._head = self._head or (seq, hash_)
        if self._head is not None:  # the head moved meanwhile
            self._anchoring = asyncio.create_task(self._anchor())


class AuditContext:
    """What one request's audit entries say beyond its route: who asked (the verified token's
    person), about which cases, why, and whether a command's intent is already written. Made
    for each call of an audited route; routes and dependencies reach it as `AuditDep` and fill
    it in."""

    def __init__(self, request: Request, kind: str, action: str) -> None:
        self._writer: AuditWriter = request.app.state.audit
        self._floods = request.app.state.floods
        self.kind, self.action = kind, action
        self.actor: Actor | None = None
        self.reason: str | None = None
        # The cases the request is about: the path's, unless a route names others.
        self.case_ids: list[str | None] = [request.path_params.get("case_id")]
        self._intent_written = False

    def about(self, *case_ids: str) -> None:
        """The request touches these cases (a codec request may touch several): an entry for
        each."""
        self.case_ids = list(case_ids) or [None]

    async def intent(self, case_id: str, reason: str) -> str | None:
        """Before a command reaches Temporal: who means to do what to which case, and why.
        Raises AuditUnavailable (503) when it cannot be written, and then nothing is done.
        Returns the request id the entry carries, which the step carries too (sealed), so the
        audit check pairs every step in a history with its intent."""
        self.case_ids, self.reason = [case_id], reason
        entry = self._entry(INTENT, case_id, reason)
        await self._write(entry)
        self._intent_written = True  # the outcome entry needs no second copy of the reason
        return entry.request_id

    async def break_glass(self, case_id: str, office: str | None, reason: str) -> None:
        """Staff reaching a case outside their office and assignment, with the reason given."""
        await self._write(self._entry("break the glass", case_id, reason, office, "access"))

    async def outcome(self, outcome: str) -> None:
        """How the request ended, written before the answer leaves. A command's outcome gets a
        moment even when the budget is spent: its effect has happened."""
        reason = None if self._intent_written else self.reason
        floor = 1.0 if self.kind == "command" else 0.0
        for case_id in self.case_ids:
            await self._write(self._entry(outcome, case_id, reason), floor)

    async def due(self, outcome: str) -> bool:
        """Whether the request's outcome gets an entry. An entry names who acted: a request
        that named nobody (no token, a bad one, no session; the sign-in pages) is counted in
        `casework_unattributed_requests` instead, so a flood of them cannot grow the chain. A
        person's refusal over a rate limit is written once a minute (the rest are counted in
        `casework_rate_limited`); every other refusal of a person is written."""
        status, _, code = outcome.partition(" ")
        if self.actor is None:
            UNATTRIBUTED.add(1, {"operation": self.action, "outcome": code or f"{status[0]}xx"})
            return False
        if status == "429":
            return await self._floods.first_refusal(self.actor.user_id)
        return True

    def note(self, outcome: str) -> None:
        """The answer a caller got when its entry could not be written in time: written when
        the log takes entries again, after any entry of the same request that was already on
        its way (an auditor reads the two together, by request id)."""
        for case_id in self.case_ids:
            self._writer.note(self._entry(outcome, case_id))

    def _entry(self, outcome: str, case_id: str | None, reason: str | None = None,
               office: str | None = None, kind: str | None = None) -> Record:
        actor = self.actor
        return Record(
            actor_id=actor.user_id if actor else "unauthenticated",
            role=str(actor.role) if actor else None, agency=actor.agency if actor else None,
            kind=kind or self.kind, action=self.action,
            # Only a well-formed case id: the path is the caller's, and could carry anything.
            case_id=case_id if case_id and CASE_ID.match(case_id) else None,
            reason=reason, office=office,
            request_id=structlog.contextvars.get_contextvars().get("request_id"),
            outcome=outcome)

    async def _write(self, record: Record, floor: float = 0) -> None:
        try:
            await budget.within(self._writer.write(record), budget.STORE_SECONDS, floor)
        except (AuditUnavailable, TimeoutError):
            log.warning("audit entry not written", action=record.action, outcome=record.outcome)
            raise Problem(Code.AUDIT_UNAVAILABLE, "the audit log cannot be written just now; "
                          "nothing was read, and a step taken is kept: retry with the same "
                          "Idempotency-Key", headers={"Retry-After": "5"}) from None


class AuditedRoute(APIRoute):
    """A route whose every call is audited; routers opt in with `route_class=AuditedRoute`."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        kind = "read" if self.methods <= {"GET", "HEAD"} or self.name in READ_BY_POST else (
            "command")

        async def audited(request: Request) -> Response:
            audit = request.state.audit = AuditContext(request, kind, self.name)
            try:
                response = await handle(request)
            except Exception as err:
                outcome = _outcome(err)
                if not await audit.due(outcome):
                    raise
                if outcome == UNAVAILABLE:  # the log is not taking entries: noted for later
                    audit.note(outcome)
                else:
                    await audit.outcome(outcome)
                raise
            if not await audit.due(str(response.status_code)):
                return response
            try:
                await audit.outcome(str(response.status_code))
            except Problem as problem:  # the caller gets a 503 instead of the answer
                audit.note(_outcome(problem))
                raise
            return response

        return audited


def _outcome(err: Exception) -> str:
    problem = known(err)
    return f"{CODES[problem.code][0]} {problem.code}" if problem else "500 InternalError"


async def get_audit(request: Request) -> AuditContext:
    """The audit context of the request's call (made by `AuditedRoute`)."""
    return request.state.audit


AuditDep = Annotated[AuditContext, Depends(get_audit)]
