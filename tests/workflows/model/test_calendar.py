"""The deadline rules, table by table. Expected dates are worked out by hand from the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.model.calendar import (
    DeadlineKind as K,
)
from workflows.model.calendar import (
    Period,
    RuleRefusal,
    add_working_days,
    appeal_period_begins,
    end_of,
    is_working_day,
    rule_for,
    schedule,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 12, 23), True), (date(2026, 12, 24), False),  # Christmas Eve
    (date(2026, 12, 25), False), (date(2026, 12, 28), True),
    (date(2026, 6, 19), False),  # Midsummer Eve
    (date(2026, 6, 18), True), (date(2026, 12, 7), True),  # Independence Day fell on a Sunday
    (date(2027, 3, 26), False), (date(2027, 3, 29), False),  # Good Friday, Easter Monday 2027
    (date(2027, 5, 6), False),  # Ascension Day 2027
    (date(2026, 11, 21), False), (date(2026, 11, 22), False),  # a weekend
    (date(2028, 2, 29), True),  # leap day, a Tuesday
])
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_working_days_counted_across_christmas_and_back() -> None:
    assert add_working_days(date(2026, 12, 21), 5) == date(2026, 12, 30)
    assert add_working_days(date(2026, 12, 30), -5) == date(2026, 12, 21)


@pytest.mark.parametrize(("kind", "begins", "due_on", "due_at", "reminders"), [
    # Christmas: 24-27 Dec are not working days; EET (+02:00).
    (K.ADMISSION_DECISION, date(2026, 12, 21), date(2026, 12, 30), utc(2026, 12, 30, 22),
     (utc(2026, 12, 29, 7),)),
    # Midsummer Eve 19 June; EEST (+03:00).
    (K.ASSESSMENT_START, date(2026, 6, 11), date(2026, 6, 23), utc(2026, 6, 23, 21),
     (utc(2026, 6, 18, 6),)),
    # 30 days end on Good Friday 2027, rolled past Easter to Tuesday; the reminder is still in
    # winter time, the due instant in summer time (DST began 28 March 2027).
    (K.APPEAL_PERIOD, date(2027, 2, 24), date(2027, 3, 30), utc(2027, 3, 30, 21),
     (utc(2027, 3, 23, 7),)),
    # 30 Nov + 3 months clamps to 28 Feb 2027, a Sunday: rolled to Monday 1 March.
    (K.ASSESSMENT_COMPLETION, date(2026, 11, 30), date(2027, 3, 1), utc(2027, 3, 1, 22),
     (utc(2027, 2, 15, 7),)),
    # Leap year: 30 days from 15 Feb 2028 is 16 March; calendar days, no rolling.
    (K.RECOVERY_PERIOD, date(2028, 2, 15), date(2028, 3, 16), utc(2028, 3, 16, 22),
     (utc(2028, 3, 9, 7),)),
    # A plan begun on a leap day: 3 years clamp to 28 Feb 2027 (a Sunday; plans do not roll).
    (K.INTEGRATION_PLAN, date(2024, 2, 29), date(2027, 2, 28), utc(2027, 2, 28, 22),
     (utc(2026, 12, 28, 7),)),
])
def test_schedules(kind: K, begins: date, due_on: date, due_at: datetime,
                   reminders: tuple[datetime, ...]) -> None:
    s = schedule(kind, begins)
    assert (s.due_on, s.due_at, s.reminders_at) == (due_on, due_at, reminders)


def test_a_helsinki_day_lasts_23_or_25_hours_at_dst_changes() -> None:
    assert end_of(date(2026, 3, 29)) - end_of(date(2026, 3, 28)) == timedelta(hours=23)
    assert end_of(date(2026, 10, 25)) - end_of(date(2026, 10, 24)) == timedelta(hours=25)


def test_the_integration_plan_rule_switches_on_1_january_2025() -> None:
    old, new = schedule(K.INTEGRATION_PLAN, date(2024, 12, 31)), schedule(
        K.INTEGRATION_PLAN, date(2025, 1, 1))
    assert (old.rule.version, old.due_on) == ("2011-09-01", date(2027, 12, 31))
    assert (new.rule.version, new.due_on) == ("2025-01-01", date(2027, 1, 1))
    assert "1386/2010" in old.rule.source and "681/2023" in new.rule.source
    # Reviews: yearly under the old act, every 6 months under the new one (no month-end drift).
    assert old.reviews_on == (date(2025, 12, 31), date(2026, 12, 31))
    assert schedule(K.INTEGRATION_PLAN, date(2025, 3, 31)).reviews_on == (
        date(2025, 9, 30), date(2026, 3, 31), date(2026, 9, 30))


def test_extensions_follow_the_rule_in_force_when_the_period_began() -> None:
    assert schedule(K.INTEGRATION_PLAN, date(2024, 6, 1),
                    extension=Period(years=2)).due_on == date(2029, 6, 1)
    with pytest.raises(RuleRefusal, match="at most 2 years"):
        schedule(K.INTEGRATION_PLAN, date(2024, 6, 1), extension=Period(years=2, days=1))
    with pytest.raises(RuleRefusal, match="allows no extension"):
        schedule(K.INTEGRATION_PLAN, date(2025, 6, 1), extension=Period(months=1))


def test_a_reflection_period_lasts_30_days_to_6_months() -> None:
    assert schedule(K.REFLECTION_PERIOD, date(2026, 1, 31),
                    length=Period(months=6)).due_on == date(2026, 7, 31)
    assert schedule(K.REFLECTION_PERIOD, date(2026, 1, 31),
                    length=Period(days=30)).due_on == date(2026, 3, 2)
    for too in (Period(days=29), Period(months=6, days=1)):
        with pytest.raises(RuleRefusal, match="30 days to 6 months"):
            schedule(K.REFLECTION_PERIOD, date(2026, 1, 31), length=too)
    with pytest.raises(RuleRefusal, match="sets its own length"):
        schedule(K.ASSESSMENT_START, date(2026, 1, 31), length=Period(days=30))


def test_service_by_post_is_presumed_on_the_7th_day() -> None:
    begins = appeal_period_begins(date(2026, 11, 20), by_post=True)
    assert begins == date(2026, 11, 27)
    # 30 days later is Sunday 27 December: the period ends on Monday the 28th.
    assert schedule(K.APPEAL_PERIOD, begins).due_on == date(2026, 12, 28)
    assert appeal_period_begins(date(2026, 11, 20), by_post=False) == date(2026, 11, 20)


def test_no_rule_before_its_first_version() -> None:
    with pytest.raises(LookupError):
        rule_for(K.ADMISSION_DECISION, date(2022, 12, 31))
