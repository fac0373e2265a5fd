"""How big a case may grow, and what leaves its state for the read model.

A case lives for years, and its state travels with every step: in the update's result, in each
projection into the read model, in the input of every continued run. Temporal refuses any
payload over 2 MiB, and a workflow whose task fails on one is lost. Two things keep a state far
below that, whatever its users do and however long it lives:

- Settled records (steps, alerts, finished measures, settled deadlines and notifications,
  superseded consents, earlier criminal-process stages, contacts that took place or not,
  superseded plans, earlier assessments, members who left the network) leave the state once
  the read model holds them. The state keeps every open record and the
  newest few settled ones of each kind.
- A step that would take the state past `BUDGET` is refused: open work must be settled first.
  Closing decisions are never refused; they add little and end the case's growth.

Pure functions, like the other rules: the workflow calls them, the projection archives what
`settled` names before the workflow lets it go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from workflows.model.state import (
    CaseState,
    Consent,
    Notification,
    Told,
)
from workflows.model.vocabulary import (
    DeadlineStatus,
    MeasureStatus,
    NotificationStatus,
    PlanStatus,
)

# Serialised size of the state (UTF-8 JSON) a step may leave it at: Temporal's own warning
# threshold for a payload, a quarter of its limit.
BUDGET = 512 * 1024
# Settled records of each kind that stay in the state (the newest): what a case page shows
# without reading the read model.
# The kinds are also the names of `Archived`'s counts.
KEEP = {"steps": 10, "alerts": 10, "measures": 5, "deadlines": 10, "notifications": 10,
        "consents": 10, "criminal": 10, "contacts": 10, "plans": 3, "assessments": 3,
        "network": 10}
# Withheld notifications can be sent once consent is given; the newest this many stay open for
# it, older ones lapse (they stay readable in the read model). Failed ones never lapse: they
# are operations' work until sent again.
RESENDABLE = 5


@dataclass(frozen=True)
class Record:
    """One record of a case as the read model archives it: its kind, its position among the
    case's records of that kind (1, 2, …; stable for the case's life) and its content."""

    kind: str
    position: int
    item: BaseModel


def _number(item_id: str) -> int:
    return int(item_id[1:])  # M3, D12, N40


def _settled_notifications(state: CaseState) -> Iterator[Notification]:
    withheld = [n.id for n in reversed(state.notifications)
                if n.status is NotificationStatus.WITHHELD]
    lapsed = set(withheld[RESENDABLE:])
    for n in state.notifications:
        if (n.status is NotificationStatus.ACKNOWLEDGED
                or (n.status is NotificationStatus.DELIVERED and not n.expects_ack)
                or n.id in lapsed):
            yield n


def _superseded_consents(state: CaseState) -> Iterator[Consent]:
    """A consent record followed by a later word of the same giver on the same scope, for the
    same agency and purpose (a general consent is not superseded by one for a single agency)."""
    def key(c: Consent) -> tuple[Any, ...]:
        return c.scope, c.given_by, c.agency_id, c.purpose

    latest = {key(c): i for i, c in enumerate(state.consents)}
    for i, c in enumerate(state.consents):
        if latest[key(c)] != i:
            yield c


def consent_position(state: CaseState, index: int) -> int:
    """A consent's position among the case's consents: recorded with it (`seq`), or, for one
    recorded before positions were, its place in the list (which nothing had left then)."""
    consent = state.consents[index]
    return consent.seq if consent.seq is not None else index + 1


def next_consent_seq(state: CaseState) -> int:
    # The newest consent is never superseded, so it never leaves: it holds the highest position.
    return consent_position(state, len(state.consents) - 1) + 1 if state.consents else 1


def settled(state: CaseState) -> list[Record]:
    """Every record of the state that can no longer change, oldest first within each kind (a
    lapsed withheld notification can still be sent again while it is in the state: the
    archive keeps its latest copy)."""
    archived = state.archived
    records = [Record("steps", s.seq, s) for s in state.steps]
    records += [Record("alerts", a.seq, a) for a in state.alerts]
    records += [Record("criminal", archived.criminal + i + 1, c)
                for i, c in enumerate(state.criminal_process.history)]
    index = {id(c): i for i, c in enumerate(state.consents)}
    records += [Record("consents", consent_position(state, index[id(c)]), c)
                for c in _superseded_consents(state)]
    records += [Record("measures", _number(m.id), m) for m in state.measures
                if m.status in (MeasureStatus.COMPLETED, MeasureStatus.CANCELLED)]
    records += [Record("deadlines", _number(d.id), d) for d in state.deadlines
                if d.status in (DeadlineStatus.MET, DeadlineStatus.CANCELLED)]
    records += [Record("notifications", _number(n.id), n) for n in _settled_notifications(state)]
    records += [Record("contacts", _number(c.id), c) for c in state.contacts if c.status.settled]
    records += [Record("plans", p.number, p) for p in state.plans
                if p.status is PlanStatus.SUPERSEDED]
    records += [Record("assessments", n.number, n) for n in state.past_needs]
    records += [Record("network", _number(m.id), m) for m in state.network if m.left_at]
    return records


@dataclass(frozen=True)
class Leaving:
    """The records chosen to leave the state, each as it was when chosen (JSON): one that
    changed meanwhile (a failed notification sent again, say) stays."""

    records: tuple[tuple[str, int, str], ...]


def leaving(state: CaseState) -> Leaving:
    """The settled records beyond the newest `KEEP` of their kind. The criminal process keeps
    its stages in order, so only its oldest go."""
    chosen = []
    by_kind: dict[str, list[Record]] = {}
    for record in settled(state):
        by_kind.setdefault(record.kind, []).append(record)
    for kind, records in by_kind.items():
        records.sort(key=lambda r: r.position)
        chosen += [(kind, r.position, r.item.model_dump_json())
                   for r in records[:max(0, len(records) - KEEP[kind])]]
    return Leaving(tuple(chosen))


Lists = dict[str, tuple[Callable[[CaseState], list[Any]], Callable[[CaseState, int], int]]]
LISTS: Lists = {
    "steps": (lambda s: s.steps, lambda s, i: s.steps[i].seq),
    "alerts": (lambda s: s.alerts, lambda s, i: s.alerts[i].seq),
    "criminal": (lambda s: s.criminal_process.history, lambda s, i: s.archived.criminal + i + 1),
    "consents": (lambda s: s.consents, consent_position),
    "measures": (lambda s: s.measures, lambda s, i: _number(s.measures[i].id)),
    "deadlines": (lambda s: s.deadlines, lambda s, i: _number(s.deadlines[i].id)),
    "notifications": (lambda s: s.notifications, lambda s, i: _number(s.notifications[i].id)),
    "contacts": (lambda s: s.contacts, lambda s, i: _number(s.contacts[i].id)),
    "plans": (lambda s: s.plans, lambda s, i: s.plans[i].number),
    "assessments": (lambda s: s.past_needs, lambda s, i: s.past_needs[i].number),
    "network": (lambda s: s.network, lambda s, i: _number(s.network[i].id)),
}


def trim(state: CaseState, gone: Leaving) -> int:
    """Let go of the chosen records that are still as they were chosen; return how many went.
    Call it only once the read model has archived them."""
    chosen = {(kind, position): text for kind, position, text in gone.records}
    if not chosen:
        return 0
    for i, consent in enumerate(state.consents):  # positions fixed before any consent goes
        consent.seq = consent_position(state, i)
    removed, kinds = 0, {kind for kind, _ in chosen}
    for kind, (items_of, position_of) in LISTS.items():
        if kind not in kinds:
            continue
        items = items_of(state)
        # Only a chosen record is written out to compare (every one was: 7% of a replay).
        goes = [(text := chosen.get((kind, position_of(state, i)))) is not None
                and text == item.model_dump_json() for i, item in enumerate(items)]
        if not any(goes):
            continue
        went = [item for item, go in zip(items, goes, strict=True) if go]
        if kind == "notifications":
            _remember_told(state, went)
        items[:] = [item for item, go in zip(items, goes, strict=True) if not go]
        setattr(state.archived, kind, getattr(state.archived, kind) + len(went))
        removed += len(went)
    return removed


def _remember_told(state: CaseState, gone: list[Notification]) -> None:
    for n in gone:
        if n.agency_id and n.status in (NotificationStatus.DELIVERED,
                                        NotificationStatus.ACKNOWLEDGED):
            told = Told(agency_id=n.agency_id, consent=n.consent, legal_basis=n.legal_basis,
                        covers=n.covers)
            if told not in state.informed:
                state.informed.append(told)


def size(state: CaseState) -> int:
    """The state's size as it travels: UTF-8 JSON."""
    return len(state.model_dump_json().encode())
