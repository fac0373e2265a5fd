"""A case's deadlines: opening them from the rules, settling them, the steps that meet, cancel or
extend one, and what their timers raise.

Pure functions over `CaseState`, like `rules.lifecycle`; the workflow sleeps until `next_instant`
and then calls `raise_due`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from workflows.model import calendar
from workflows.model.requests import Actor, DeadlineChange, DeadlineExtension, Length
from workflows.model.state import (
    Alert,
    CaseState,
    Deadline,
    DeadlineEvent,
)
from workflows.model.vocabulary import (
    Action,
    AlertKind,
    DeadlineAction,
    DeadlineKind,
    DeadlineStatus,
    Refusal,
)
from workflows.rules.step import StepContext, StepRejected, find

# Kinds whose end is an obligation missed (escalated); the others are periods that simply elapse.
ELAPSE_QUIETLY = frozenset({DeadlineKind.APPEAL_PERIOD})
# How far after a deadline's instant a case may wake for it: each case at an offset of its own,
# so that the cases' reminders (09:00) and due instants (midnight) do not all wake their runs
# at once. Overdue is still counted from the due instant itself.
WAKE_SPREAD = timedelta(minutes=15)


def spread(case_id: str) -> timedelta:
    """The case's own offset within `WAKE_SPREAD`: the same on every replay and every run."""
    digest = int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:8], "big")
    return timedelta(seconds=digest % int(WAKE_SPREAD.total_seconds()))


def _period(length: Length | None) -> calendar.Period | None:
    return None if length is None else calendar.Period(days=length.days, months=length.months,
                                                  years=length.years)


def _apply_schedule(deadline: Deadline, now: datetime, extension: Length | None) -> None:
    """(Re)compute due date and reminders; reminders already past are not raised again.

    Raises `model.calendar.RuleRefusal` before changing anything.
    """
    s = calendar.schedule(deadline.kind, deadline.begins_on, length=_period(deadline.length),
                    extension=_period(extension))
    deadline.extension = extension
    deadline.rule_version, deadline.rule_source = s.rule.version, s.rule.source
    deadline.due_on, deadline.due_at = s.due_on, s.due_at
    deadline.reminders_at, deadline.reviews_on = list(s.reminders_at), list(s.reviews_on)
    deadline.reminders_raised = sum(r <= now for r in s.reminders_at)
    deadline.reviews_raised = sum(calendar.morning_of(d) <= now for d in s.reviews_on)


def open_deadline(state: CaseState, kind: DeadlineKind, begins_on: date, now: datetime,
                  actor: Actor | None, *, length: Length | None = None,
                  subject: str | None = None) -> Deadline:
    """Raises `model.calendar.RuleRefusal` when the rule does not allow the request."""
    deadline = Deadline(id=state.next_deadline_id(), kind=kind, rule_version="",
                        rule_source="", begins_on=begins_on, due_on=begins_on, due_at=now,
                        length=length, subject=subject)
    _apply_schedule(deadline, now, None)
    deadline.events.append(DeadlineEvent(at=now, what="opened", actor=actor))
    state.deadlines.append(deadline)
    return deadline


def extend(deadline: Deadline, by: Length, now: datetime, actor: Actor, reason: str) -> None:
    total = deadline.extension or Length()
    _apply_schedule(deadline, now, Length(years=total.years + by.years,
                                          months=total.months + by.months,
                                          days=total.days + by.days))
    deadline.status = DeadlineStatus.EXTENDED if deadline.due_at > now else DeadlineStatus.OVERDUE
    deadline.events.append(DeadlineEvent(at=now, what=f"extended to {deadline.due_on}",
                                         actor=actor, reason=reason))


def settle(state: CaseState, kinds: Iterable[DeadlineKind], status: DeadlineStatus,
           now: datetime, actor: Actor | None, reason: str | None = None,
           subject: str | None = None) -> None:
    """Meet or cancel every unsettled deadline of these kinds (overdue ones included), or only
    those about `subject`."""
    wanted = set(kinds)
    for d in state.deadlines:
        if d.kind in wanted and (subject is None or d.subject == subject) and d.status.unsettled:
            d.status = status
            d.events.append(DeadlineEvent(at=now, what=str(status), actor=actor, reason=reason))


def unsettled(state: CaseState) -> list[Deadline]:
    return [d for d in state.deadlines if d.status.unsettled]


def _pending_instants(d: Deadline) -> list[tuple[datetime, AlertKind | None]]:
    if not d.status.pending:
        return []
    due: list[tuple[datetime, AlertKind | None]] = [(d.due_at, None)]
    return ([(at, AlertKind.REMINDER) for at in d.reminders_at[d.reminders_raised:]]
            + [(calendar.morning_of(day), AlertKind.REVIEW)
               for day in d.reviews_on[d.reviews_raised:]]
            + due)


def next_instant(state: CaseState) -> datetime | None:
    """When the next reminder, review or due date of the case falls, if any."""
    return min((at for d in state.deadlines for at, _ in _pending_instants(d)), default=None)


def raise_due(state: CaseState, now: datetime) -> list[Alert]:
    """Raise every reminder, review and escalation due by `now`, in time order."""
    raised: list[tuple[datetime, AlertKind, Deadline]] = []
    for d in state.deadlines:
        for at, kind in _pending_instants(d):
            if at > now:
                continue
            if kind is AlertKind.REMINDER:
                d.reminders_raised += 1
            elif kind is AlertKind.REVIEW:
                d.reviews_raised += 1
            elif d.kind in ELAPSE_QUIETLY:
                d.status = DeadlineStatus.MET
                d.events.append(DeadlineEvent(at=at, what="elapsed"))
            else:
                d.status = DeadlineStatus.OVERDUE
                d.events.append(DeadlineEvent(at=at, what="overdue"))
                raised.append((at, AlertKind.ESCALATION, d))
                continue
            if kind is not None:
                raised.append((at, kind, d))
    alerts = []
    for at, kind, d in sorted(raised, key=lambda r: (r[0], r[2].id)):
        alert = Alert(seq=state.next_alert_seq(), kind=kind, deadline_id=d.id, deadline_kind=d.kind,
                      office=state.assignment.office, at=at, raised_at=now)
        state.alerts.append(alert)
        alerts.append(alert)
    return alerts



# The action a settled deadline records.
DEADLINE_SETTLED = {DeadlineStatus.MET: Action.DEADLINE_MET,
                    DeadlineStatus.CANCELLED: Action.DEADLINE_CANCELLED}

def _deadline(state: CaseState, deadline_id: str) -> Deadline:
    found = find(state.deadlines, deadline_id, Refusal.UNKNOWN_DEADLINE, "deadline")
    if not found.status.unsettled:
        raise StepRejected(Refusal.INVALID_TRANSITION,
                           "deadline '{deadline_id}' is already {deadline_status}",
                           deadline_id=deadline_id, deadline_status=str(found.status))
    return found

def change_deadline(state: CaseState, step: DeadlineChange, ctx: StepContext) -> Action:
    deadline = _deadline(state, step.deadline_id)
    status = (DeadlineStatus.MET if step.action is DeadlineAction.MEET
              else DeadlineStatus.CANCELLED)
    deadline.status = status
    deadline.events.append(DeadlineEvent(at=ctx.now, what=str(status), actor=ctx.actor,
                                         reason=step.reason))
    return DEADLINE_SETTLED[status]

def extend_deadline(state: CaseState, step: DeadlineExtension, ctx: StepContext) -> Action:
    deadline = _deadline(state, step.deadline_id)
    try:
        extend(deadline, step.extension, ctx.now, ctx.actor, step.reason)
    except calendar.RuleRefusal as err:
        raise StepRejected(Refusal.RULE_REFUSED, err.says, deadline_id=step.deadline_id,
                           **err.details) from None
    return Action.DEADLINE_EXTENDED
