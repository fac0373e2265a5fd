"""Need to know: what each reader sees of a case, decided here and nowhere else.

Every route that answers with a case (its state, its deadlines, notifications, steps, picture,
or the result of a step) builds the answer through `Reader`:

- the assistance system's caseworkers and office leads see the whole case when it belongs to
  their office or is assigned to them; any other case only with a stated reason
  (`X-Access-Reason`, "breaking the glass"), which the audit log flags for auditors and the
  case's office lead;
- auditors see the whole case (they trace; reading is all they do);
- an agency sees the cases it is involved in (it referred the person, was delivered a
  notification, or provides a measure), as far as the client's consent as it stands allows;
  only the referrer learns whether the person was admitted. An agency with nothing that still
  stands (its consent withdrawn) sees nothing, not even the case's version: it is answered as
  one never involved (403), and cannot take its steps there either; a refusal tells it no more
  than its view would (no phase);
- operations staff see where the case stands and how its deliveries go, never personal data.

Lists name the person a case is about (`names`) only to staff who may open it without a reason,
and a search by a person's name, birth date or reference (`search_within`) finds only those.

What a case's timeline shows of the audit log is decided here too: auditors see every entry;
anyone else (an office lead) the commands taken on the case, their own reads, and the accesses
that broke the glass to their office's cases, never the reads of others (who read the case is
the access log's, for auditors).

Which routes a role may call at all is `api.access`'s table; this is what it sees through them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Annotated, Protocol
from urllib.parse import unquote

from fastapi import Header
from sqlalchemy import Engine

from api.audit_trail import AuditContext
from api.problems import CODES, Code, Problem, known
from api.reads import read
from store import queries, references
from store.keys import CaseKeys
from store.tables import AuditEntry
from store.views import (
    AgencyCaseView,
    CaseView,
    Label,
    OperationsCaseView,
    OperationsNotice,
    whole_case,
)
from store.visibility import agency_view
from workflows.model.requests import Actor
from workflows.model.state import CaseState
from workflows.model.vocabulary import (
    Refusal,
    Role,
)
from workflows.rules import intake
from workflows.rules.guards import AGENCIES, STAFF, reaches

CaseAnswer = CaseView | AgencyCaseView | OperationsCaseView
# A reason to break the glass is a sentence of some substance, not a keystroke.
ACCESS_REASON_MIN, ACCESS_REASON_CHARS = 20, 500
HIDDEN_FROM_AGENCIES = frozenset({Code.CASE_NOT_FOUND, Refusal.CASE_CLOSED,
                                  Code.CASE_SHREDDED})
# What a refusal may tell an agency beyond its code: what its own view shows (the version, the
# ids and states of its notifications and measures) and what it sent. A refusal saying more
# (the case's phase or stage, other records) is answered with its code and title alone.
AGENCY_PROBLEM_MEMBERS = frozenset({"current_version", "based_on", "notification_id",
                                    "notification_status", "measure_id", "measure_status",
                                    "field", "errors"})
# Audit entries of someone reading a case, or reaching it outside their office.
READS = frozenset({"read", "access"})


class Listed(Protocol):
    """A row of a list of cases (or an audit entry about one)."""

    @property
    def case_id(self) -> str | None: ...


def not_involved() -> Problem:
    """The one answer to an agency about a case it may not see: not involved, no consent that
    still stands, closed, shredded or no such case are the same 403 to it."""
    return Problem(Refusal.FORBIDDEN, "your agency has no access to this case")


def reviewed_office(actor: Actor) -> str | None:
    """The office whose break-glass accesses this person reviews: an office lead's own (auditors
    review every office's; anyone else none)."""
    return str(actor.office) if actor.role is Role.OFFICE_LEAD and actor.office else None


def break_glass_office(actor: Actor, office: str | None) -> str | None:
    """The office filter of a review of break-glass accesses: the one asked for (None: all) for
    an auditor, always their own for an office lead."""
    if actor.role is Role.AUDITOR:
        return office
    own = reviewed_office(actor)
    if own is None or office not in (None, own):
        raise Problem(Refusal.FORBIDDEN, "an office lead reviews their own office's accesses")
    return own


def for_agency(problem: Problem) -> Problem:
    """A problem as an agency may hear it (see AGENCY_PROBLEM_MEMBERS)."""
    if problem.code in HIDDEN_FROM_AGENCIES:
        return not_involved()
    kept = {k: v for k, v in problem.extensions.items() if k in AGENCY_PROBLEM_MEMBERS}
    if len(kept) == len(problem.extensions) - ("says" in problem.extensions):
        return problem  # its words (`says`) too: they name nothing the agency may not know
    return Problem(problem.code, f"{CODES[problem.code][1]}: the case does not allow this step "
                   "now", headers=problem.headers, **kept)


def operations_view(state: CaseState) -> OperationsCaseView:
    return OperationsCaseView(
        case_id=state.case_id, version=state.version, phase=state.phase,
        office=state.assignment.office, caseworker_id=state.assignment.caseworker_id,
        notifications=[OperationsNotice(id=n.id, purpose=n.purpose, agency_id=n.agency_id,
                                        status=n.status, attempts=n.attempts,
                                        last_error=n.last_error, changed_at=n.changed_at)
                       for n in state.notifications])


async def access_reason(x_access_reason: Annotated[str | None, Header(
        alias="X-Access-Reason",
        description="Why a member of staff reaches a case outside their office and assignment "
                    "(break the glass), in a sentence (20 to 500 characters); recorded for "
                    "auditors and the office's lead. "
                    "Percent-encode characters outside Latin-1.",
        max_length=3 * ACCESS_REASON_CHARS)] = None) -> str | None:
    if x_access_reason is None:
        return None
    reason = unquote(x_access_reason).strip()
    if not ACCESS_REASON_MIN <= len(reason) <= ACCESS_REASON_CHARS:
        raise Problem(Code.INVALID_REQUEST, f"X-Access-Reason must be {ACCESS_REASON_MIN} to "
                      f"{ACCESS_REASON_CHARS} characters: say why, in a sentence",
                      errors=[{"field": "header.X-Access-Reason",
                               "message": "too short or too long"}])
    return reason


class Reader:
    """Someone reading a case, or taking a step on it: what they get back is built here."""

    def __init__(self, audit: AuditContext, actor: Actor, reason: str | None,
                 engine: Engine) -> None:
        self.audit, self.actor, self.reason, self._engine = audit, actor, reason, engine
        self._flagged: set[str] = set()  # cases this request has recorded breaking the glass to

    async def whole(self, state: CaseState) -> CaseState:
        """The whole case, for the roles that see it: staff of its office or assignment (or
        with a stated reason), and auditors."""
        if self.actor.role in STAFF:
            await self._reach(state.case_id, str(state.assignment.office),
                              state.assignment.caseworker_id)
        elif self.actor.role is not Role.AUDITOR:
            raise Problem(Refusal.FORBIDDEN, f"role '{self.actor.role}' does not see whole cases")
        return state

    def answer(self, state: CaseState) -> CaseAnswer:
        """The result of a step the workflow let this person take, as their role may see it:
        staff the whole case (the workflow applied the office rule to the step; a transfer
        away still shows its result), an agency its view, operations theirs."""
        if self.actor.role in STAFF:
            return whole_case(state)
        if self.actor.role in AGENCIES:
            view = agency_view(state, self.actor.agency)
            if view is None:
                raise not_involved()
            return view
        return operations_view(state)

    def trail(self, entries: list[AuditEntry]) -> list[AuditEntry]:
        """The audit log's entries of a case as this reader's timeline shows them: all of them
        to an auditor; to anyone else the commands, their own reads, and the accesses that broke
        the glass to their office's cases (which `/v1/audit/break-glass` shows them too)."""
        if self.actor.role is Role.AUDITOR:
            return entries
        office = reviewed_office(self.actor)
        return [e for e in entries if e.kind not in READS or e.actor_id == self.actor.user_id
                or (e.kind == "access" and office is not None and e.office == office)]

    def search_within(self) -> queries.Within:
        """Where a search by a person may look: the cases this person may open without a
        reason (their office's, and those assigned to them). Only staff search by person."""
        if self.actor.role not in STAFF:
            raise Problem(Refusal.FORBIDDEN,
                          f"role '{self.actor.role}' does not search for a person's cases")
        return (str(self.actor.office) if self.actor.office else None), self.actor.user_id

    async def names(self, keys: CaseKeys, rows: Iterable[Listed]) -> dict[str, Label]:
        """Who each listed case is about: for staff, the cases they may open without a reason
        (as the case stands now, not as the row last saw it); for no one else."""
        if self.actor.role not in STAFF:
            return {}
        ids = list({r.case_id for r in rows if r.case_id})
        named = await read(queries.labels, self._engine, keys, ids, self.search_within()) \
            if ids else {}
        if named:  # a read of each case whose person the list names, in its access log
            self.audit.about(*named)
        return named

    async def agency(self, case: Awaitable[CaseState]) -> AgencyCaseView:
        """An agency's view of the case, or 403 if it has no access (or cannot tell)."""
        async with self.opaque():
            view = agency_view(await case, self.actor.agency)
        if view is None:
            raise not_involved()
        return view

    @contextlib.asynccontextmanager
    async def opaque(self) -> AsyncIterator[None]:
        """For an agency, a case it cannot see is the same whether it exists, is closed or was
        shredded: 403, like a case it is not involved in; and a refusal tells it no more than
        its view would."""
        try:
            yield
        except Exception as err:
            problem = known(err)
            if self.actor.role not in AGENCIES or problem is None:
                raise
            heard = for_agency(problem)
            if heard is problem:
                raise
            raise heard from None

    async def before_step(self, case_id: str,
                          case: Callable[[str], Awaitable[CaseState]]) -> None:
        """Before a step reaches the case: staff stating a reason are flagged (`declare`); an
        agency must see the case now (its view), else its step is refused as a read would be,
        before the case hears of it (no version, no phase, nothing changed)."""
        if self.actor.role in AGENCIES:
            await self.agency(case(case_id))
        await self.declare(case_id)

    async def declare(self, case_id: str) -> None:
        """Staff stating a reason with a step are recorded as breaking the glass, before the
        step. The workflow decides whether they reach the case, on the case as it is; whether
        they needed to, the API cannot know beforehand (the read model may not have caught up
        with a transfer), so a stated reason is always flagged. The office is the one the read
        model knows (none for a case not yet projected: auditors still see it)."""
        if self.actor.role not in STAFF or self.reason is None or case_id in self._flagged:
            return
        where = await read(queries.case_assignment, self._engine, case_id)
        await self.audit.break_glass(case_id, where[0] if where else None, self.reason)
        self._flagged.add(case_id)

    async def other_case(self, case_id: str, number: str) -> None:
        """A step on one case that names another by its number (a duplicate's): its reader must
        reach both, as reads of them would (the office rule; a stated reason breaks the glass
        to each), this one first so that a reader who may not learns nothing of the other."""
        if self.actor.role not in STAFF:
            return
        if (here := await read(queries.case_assignment, self._engine, case_id)) is not None:
            await self._reach(case_id, *here)
        other = await read(references.case_with, self._engine, number)
        there = await read(queries.case_assignment, self._engine, other) if other else None
        if other is None or there is None:
            raise intake.unknown_case()
        await self._reach(other, *there)

    async def _reach(self, case_id: str, office: str | None, caseworker_id: str | None) -> None:
        if reaches(self.actor, office, caseworker_id):
            return
        if self.reason is None:
            raise Problem(Refusal.OUTSIDE_OFFICE, "the case belongs to another office and is not "
                          "assigned to you: state a reason (X-Access-Reason) to reach it")
        if case_id not in self._flagged:
            await self.audit.break_glass(case_id, office, self.reason)
            self._flagged.add(case_id)
