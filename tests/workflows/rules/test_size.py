"""What leaves a case's state for the read model, and the budget a step must fit: pure tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import factories as f
from workflows.model.requests import Provider
from workflows.model.state import (
    CaseState,
    Exit,
)
from workflows.model.vocabulary import (
    Action,
    ConsentGiver,
    ConsentScope,
    MeasureAction,
    MeasureStatus,
    NotificationStatus,
)
from workflows.rules import lifecycle as rules
from workflows.rules import measures, size
from workflows.rules import notifications as notify
from workflows.rules.step import StepContext, StepRejected
from workflows.steps import MATRIX, of

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)


def take(state: CaseState, step: Any, rule: Any, at: datetime = NOW) -> None:
    of(rule).take(state, step, StepContext(at, f.CASEWORKER), notify=True)


def admitted() -> CaseState:
    state = rules.open_case("case-" + "z" * 20, f.referral(), StepContext(NOW, f.CASEWORKER))
    rules.record(state, "referred", StepContext(NOW, f.CASEWORKER), "referred")
    take(state, f.admission(), rules.decide_admission)
    return state


def settle_all(state: CaseState) -> None:
    """What the read model's archive and the workflow do after a projection."""
    size.trim(state, size.leaving(state))


def test_settled_records_beyond_the_newest_leave_and_ids_go_on_counting() -> None:
    state = admitted()
    for n in range(1, 31):
        take(state, f.measure(), measures.add_measure)
        take(state, f.measure_update(f"M{n}", MeasureAction.CANCEL), measures.change_measure)
    take(state, f.measure(), measures.add_measure)  # M31, open
    before = state.model_copy(deep=True)
    settle_all(state)

    assert state.version == before.version == 63
    assert [s.seq for s in state.steps] == list(range(54, 64))  # the newest ten
    assert state.archived.steps == 53
    # Open measures stay, and the newest five settled ones.
    assert [m.id for m in state.measures] == ["M26", "M27", "M28", "M29", "M30", "M31"]
    assert state.archived.measures == 25 and state.next_measure_id() == "M32"
    # Every record that left is one the archive was given.
    archived = {(r.kind, r.position) for r in size.settled(before)}
    assert {("steps", n) for n in range(1, 54)} <= archived
    assert {("measures", n) for n in range(1, 26)} <= archived
    assert size.size(state) < size.size(before) / 3


def test_a_record_that_changed_after_it_was_chosen_stays() -> None:
    state = admitted()
    for _ in range(20):  # measures referred to a provider without consent: withheld
        take(state, f.measure().model_copy(update={"provider": Provider(
            agency_type="ngo", organisation="VSF", agency_id="vsf")}), measures.add_measure)
    assert {n.status for n in state.notifications} == {NotificationStatus.WITHHELD}
    # The newest five can be sent once consent is given; of the fifteen older (lapsed) ones
    # the newest ten stay.
    gone = size.leaving(state)
    assert {p for k, p, _ in gone.records if k == "notifications"} == {1, 2, 3, 4, 5}
    # Meanwhile consent is given and N1 sent: no longer the record that was chosen.
    take(state, f.consent(ConsentScope.SHARE_WITH_AGENCIES), rules.record_consent)
    take(state, rules_ref("N1"), rules.resend_notification)
    size.trim(state, gone)
    assert [n.id for n in state.notifications] == ["N1", *(f"N{n}" for n in range(6, 21))]
    assert state.notifications[0].status is NotificationStatus.PENDING
    assert state.archived.notifications == 4


def test_failed_notifications_never_lapse() -> None:
    """They are operations' work until sent again: counted, and open to a re-send."""
    state = admitted()
    for n in range(1, 31):
        take(state, f.manual_notification(f"nowhere-{n}"), rules.notify_by_hand)
        state.notifications[-1].status = NotificationStatus.FAILED
    settle_all(state)
    assert state.notifications_in(NotificationStatus.FAILED) == 30


def rules_ref(notification_id: str) -> object:
    from workflows.model.requests import NotificationRef

    return NotificationRef(reason="Directory fixed.", notification_id=notification_id)


def test_agencies_told_are_remembered_when_their_notifications_leave() -> None:
    state = admitted()
    take(state, f.consent(ConsentScope.SHARE_WITH_AGENCIES), rules.record_consent)
    for _ in range(12):  # referrals of measures to Victim Support Finland, acknowledged
        take(state, f.measure().model_copy(update={"provider": Provider(
            agency_type="ngo", organisation="VSF", agency_id="vsf")}), measures.add_measure)
        n = state.notifications[-1]
        n.status, n.agency_id = NotificationStatus.ACKNOWLEDGED, "vsf"
    settle_all(state)
    assert state.archived.notifications == 2
    assert [t.agency_id for t in state.informed] == ["vsf"]
    # Exit is announced to every agency told before, once, on the basis it was told.
    decision = f.exit_decision()
    ended = state.model_copy(update={"exit": Exit(
        ground=decision.ground, decision_maker_id=decision.decision_maker_id,
        decided_on=decision.decided_on, reasons=decision.reason)})
    planned = notify.plan_step(MATRIX[Action.EXITED], ended, None)
    assert [(p.selector.agency_id, p.consent) for p in planned] == [
        ("vsf", ConsentScope.SHARE_WITH_AGENCIES)]


def test_consents_keep_their_positions_and_the_latest_word_of_each_giver() -> None:
    state = admitted()
    for n in range(30):  # the client changes their mind about the police, again and again
        take(state, f.consent(given=n % 2 == 0), rules.record_consent)
    settle_all(state)
    latest = {(c.scope, c.given_by): c.given for c in state.consents}
    assert latest == {(ConsentScope.REFERRAL, ConsentGiver.CLIENT): True,
                      (ConsentScope.CONTACT_POLICE, ConsentGiver.CLIENT): False}
    assert notify.consent_in_force(state, ConsentScope.REFERRAL)
    assert state.archived.consents == 19 and len(state.consents) == 12
    positions = [size.consent_position(state, i) for i in range(len(state.consents))]
    assert positions == [1, *range(21, 32)]
    take(state, f.consent(), rules.record_consent)
    settle_all(state)
    assert size.consent_position(state, len(state.consents) - 1) == 32


def test_a_step_that_would_outgrow_the_budget_is_refused_but_an_exit_is_not() -> None:
    state = admitted()
    reason = "ä" * 4000  # the longest reason there is
    while size.size(state) < size.BUDGET - 60_000:
        take(state, f.measure().model_copy(update={"reason": reason}), measures.add_measure)
        take(state, rules_answer(state.measures[-1].id, reason), measures.respond_to_measure)
    after = state.model_copy(deep=True)
    for _ in range(20):
        take(after, f.measure().model_copy(update={"reason": reason}), measures.add_measure)
        take(after, rules_answer(after.measures[-1].id, reason), measures.respond_to_measure)
    with pytest.raises(StepRejected) as caught:
        of(measures.add_measure).fits(after)
    assert caught.value.type == "CaseLimitReached" and "KiB" in caught.value.message
    of(rules.exit_case).fits(after)  # closing is never refused for size
    assert all(m.status is MeasureStatus.PLANNED for m in after.measures)  # all open work


def rules_answer(measure_id: str, reason: str) -> object:
    from workflows.model.requests import MeasureAnswer

    return MeasureAnswer(reason=reason, measure_id=measure_id, accepted=False)


def test_the_state_of_a_long_case_stays_small() -> None:
    """Years of ordinary work: the state grows no further once its settled records leave."""
    state, sizes = admitted(), []
    for day in range(700):
        at = NOW + timedelta(days=day)
        take(state, f.measure(), measures.add_measure, at)
        take(state, f.measure_update(state.measures[-1].id, MeasureAction.START),
             measures.change_measure, at)
        take(state, f.measure_update(state.measures[-1].id, MeasureAction.COMPLETE),
             measures.change_measure, at)
        take(state, f.consent(given=day % 2 == 0), rules.record_consent, at)
        for n in state.notifications:  # delivered, and the police acknowledge
            if n.status is NotificationStatus.PENDING:
                n.status = NotificationStatus.ACKNOWLEDGED
        settle_all(state)
        sizes.append(size.size(state))
    assert state.version == 2 + 4 * 700
    assert max(sizes[100:]) <= max(sizes[:100]) * 1.1  # a plateau, not a slope
    assert max(sizes) < 64 * 1024
