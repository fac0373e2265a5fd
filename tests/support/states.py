"""Case states built with the rules alone, no server: the starting points of the pure tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tests.support import factories as f
from workflows.model.requests import Actor, Duplicate, Referrer, Step
from workflows.model.state import CaseState, Notification
from workflows.model.vocabulary import Action, AgencyType, Phase, Role
from workflows.rules import intake
from workflows.rules import lifecycle as rules
from workflows.rules.step import Rule, StepContext
from workflows.steps import of

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)  # a Monday
TODAY = date(2026, 11, 2)


def take(state: CaseState, rule: Rule[Any], step: Step, actor: Actor = f.CASEWORKER) -> Action:
    """A step as the workflow's handler takes it: rule, record and notifications planned."""
    return of(rule).take(state, step, StepContext(NOW, actor), notify=True)


def notified(state: CaseState, rule: Rule[Any], step: Step) -> list[Notification]:
    """The notifications a step plans."""
    before = len(state.notifications)
    take(state, rule, step)
    return state.notifications[before:]


def referred(by: Actor = f.CASEWORKER, **referral: Any) -> CaseState:
    state = rules.open_case("case-" + "g" * 20, f.referral(**referral), StepContext(NOW, by))
    rules.record(state, Action.REFERRED, StepContext(NOW, by), "referred")
    return state


# An agency's referral, waiting in the office's intake.
POLICE = Actor(user_id="o-1", role=Role.POLICE, agency="police-helsinki")
BY_POLICE = Referrer(agency_type=AgencyType.POLICE, organisation="Helsinki police",
                     agency_id="police-helsinki")


def in_intake() -> CaseState:
    return referred(POLICE, referrer=BY_POLICE)


def admitted(decided_on: date = TODAY, **referral: Any) -> CaseState:
    state = referred(**referral)
    take(state, rules.decide_admission,
         f.admission().model_copy(update={"decided_on": decided_on}))
    return state


# The steps that take a case forward, phase by phase, in the order a case lives them.
FORWARD: list[tuple[Rule[Any], Step]] = [(rules.decide_admission, f.admission()),
                                         (rules.assess_needs, f.assessment()),
                                         (rules.transition_to_municipality, f.transition())]


def in_phase(phase: Phase) -> CaseState:
    """A case brought to the phase by the steps a caseworker takes to get there."""
    state = referred()
    if phase is Phase.NOT_ADMITTED:
        take(state, rules.decide_admission, f.admission(admitted=False))
    if phase is Phase.MERGED:
        take(state, intake.mark_duplicate, Duplicate(reason="Referred twice.",
                                                     duplicate_of="HEL-2026-0001"))
    forward = iter(FORWARD)
    while state.phase is not phase:
        exit_now = phase is Phase.EXITED and state.phase is Phase.ADMITTED
        rule, step = (rules.exit_case, f.exit_decision()) if exit_now else next(forward)
        take(state, rule, step)
    return state
