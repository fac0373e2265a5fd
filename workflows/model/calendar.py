"""Statutory and target deadlines as pure, versioned rules over a Finnish working-day calendar.

Deterministic and free of I/O, so workflow code can call them: the same inputs give the same
instants on every replay. A rule is chosen by the date its period begins, so a case keeps the
rules that applied when its period began even after the law changes.

Times: a deadline "on day D" ends when D ends in Europe/Helsinki; reminders go out at 09:00
Helsinki time. Conversions go through zoneinfo, so DST changes are handled (a day is 23 or 25
hours long twice a year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from workflows.model.vocabulary import DeadlineKind

HELSINKI = ZoneInfo("Europe/Helsinki")
REMINDER_HOUR = 9
# Public holidays of Finland, Midsummer Eve and Christmas Eve included: the days on which, with
# Saturdays and Sundays, a statutory time limit does not end (Act 150/1930 on the calculation of
# statutory time limits, § 5). Computed once at import into a plain set: the `holidays` object
# fills years lazily (with locale look-ups), which workflow code must not do.
CALENDAR_YEARS = range(2000, 2101)
_HOLIDAYS = frozenset(holidays.country_holidays("FI", years=CALENDAR_YEARS,
                                                categories=("public",)))


def is_working_day(day: date) -> bool:
    if day.year not in CALENDAR_YEARS:
        raise ValueError(f"the working-day calendar covers {CALENDAR_YEARS.start}-"
                         f"{CALENDAR_YEARS.stop - 1}")
    return day.weekday() < 5 and day not in _HOLIDAYS


def next_working_day(day: date) -> date:
    """The day itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (negative n counts back), `start` itself not counted."""
    step = timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def end_of(day: date) -> datetime:
    """The instant (UTC) at which `day` ends in Helsinki."""
    return datetime.combine(day + timedelta(days=1), time(0), HELSINKI).astimezone(UTC)


def morning_of(day: date) -> datetime:
    return datetime.combine(day, time(REMINDER_HOUR), HELSINKI).astimezone(UTC)


def helsinki_date(instant: datetime) -> date:
    return instant.astimezone(HELSINKI).date()


@dataclass(frozen=True)
class Period:
    """A length of time: calendar days, months and years, or working days (not both)."""

    days: int = 0
    months: int = 0
    years: int = 0
    working_days: int = 0

    def __post_init__(self) -> None:
        if self.working_days and (self.days or self.months or self.years):
            raise ValueError("a period is either working days or calendar time")

    def after(self, start: date) -> date:
        if self.working_days:
            return add_working_days(start, self.working_days)
        # relativedelta clamps month ends: 31 Jan + 1 month is 28/29 Feb, 29 Feb + 1 year 28 Feb.
        return start + relativedelta(years=self.years, months=self.months, days=self.days)

    def before(self, end: date) -> date:
        if self.working_days:
            return add_working_days(end, -self.working_days)
        return end - relativedelta(years=self.years, months=self.months, days=self.days)

    def times(self, k: int) -> Period:
        return Period(self.days * k, self.months * k, self.years * k, self.working_days * k)

    @property
    def iso(self) -> str:
        """As an ISO 8601 duration (`P30D`, `P1Y6M`); working days as `P5WD`, beyond it."""
        if self.working_days:
            return f"P{self.working_days}WD"
        parts = [(self.years, "Y"), (self.months, "M"), (self.days, "D")]
        return "P" + ("".join(f"{n}{unit}" for n, unit in parts if n) or "0D")

    def __str__(self) -> str:
        if self.working_days:
            return f"{self.working_days} working days"
        parts = [(self.years, "years"), (self.months, "months"), (self.days, "days")]
        return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 days"




@dataclass(frozen=True)
class Rule:
    kind: DeadlineKind
    applies_from: date  # the rule governs periods that begin on or after this date
    source: str  # the legal source, or "target" for the assistance system's own targets
    period: Period
    # Move a due date that falls on a weekend or holiday to the next working day (Act 150/1930).
    roll_to_working_day: bool = True
    # Reminders this long before the due date (at 09:00 on the last working day on or before).
    reminders: tuple[Period, ...] = ()
    # Longest total extension; None: the rule allows none.
    max_extension: Period | None = None
    # For a period set case by case (the reflection period): bounds on the length chosen.
    min_length: Period | None = None
    max_length: Period | None = None
    # A recurring review (integration plan) every this long while the period runs.
    review_every: Period | None = None

    @property
    def version(self) -> str:
        return self.applies_from.isoformat()


RULES: tuple[Rule, ...] = (
    Rule(DeadlineKind.ADMISSION_DECISION, date(2023, 1, 1),
         "target of the assistance system (Act 746/2011 ch. 6 a as amended 1.1.2023)",
         Period(working_days=5), reminders=(Period(working_days=1),)),
    Rule(DeadlineKind.ASSESSMENT_START, date(2015, 4, 1),
         "Social Welfare Act 1301/2014 § 36: start by the 7th working day after the matter "
         "became pending (applied as a target to all clients)",
         Period(working_days=7), reminders=(Period(working_days=2),)),
    Rule(DeadlineKind.ASSESSMENT_COMPLETION, date(2015, 4, 1),
         "Social Welfare Act 1301/2014 § 36: complete within 3 months (applied as a target to "
         "all clients)",
         Period(months=3), reminders=(Period(days=14),)),
    Rule(DeadlineKind.REFLECTION_PERIOD, date(2015, 4, 1),
         "Aliens Act 301/2004 § 52 d: reflection period of 30 days to 6 months from the grant",
         Period(days=30), roll_to_working_day=False, reminders=(Period(days=7),),
         min_length=Period(days=30), max_length=Period(months=6)),
    Rule(DeadlineKind.RECOVERY_PERIOD, date(2023, 1, 1),
         "recovery period of an admitted client (Act 746/2011 ch. 6 a); length per rule "
         "version, to be confirmed by the legal unit",
         Period(days=30), roll_to_working_day=False, reminders=(Period(days=7),),
         max_extension=Period(days=60)),
    Rule(DeadlineKind.INTEGRATION_PLAN, date(2011, 9, 1),
         "Integration Act 1386/2010 § 12: at most 3 years, extendable by at most 2",
         Period(years=3), roll_to_working_day=False, reminders=(Period(months=2),),
         max_extension=Period(years=2), review_every=Period(years=1)),
    Rule(DeadlineKind.INTEGRATION_PLAN, date(2025, 1, 1),
         "Integration Act 681/2023 § 15: normally at most 2 years",
         Period(years=2), roll_to_working_day=False, reminders=(Period(months=2),),
         review_every=Period(months=6)),
    Rule(DeadlineKind.APPEAL_PERIOD, date(2020, 1, 1),
         "Administrative Judicial Procedure Act 808/2019 § 13: 30 days from service; by post, "
         "service on the 7th day after sending (Administrative Procedure Act 434/2003 § 59)",
         Period(days=30), reminders=(Period(days=7),)),
    Rule(DeadlineKind.NOTIFICATION_ACK, date(2023, 1, 1),
         "target of the assistance system: agencies acknowledge notifications",
         Period(working_days=2)),
    # Dates the caseworker agrees with the client: due on the day itself.
    Rule(DeadlineKind.PLAN_REVIEW, date(2015, 4, 1),
         "Social Welfare Act 1301/2014 § 39: the client plan is reviewed as agreed in it",
         Period(), roll_to_working_day=False, reminders=(Period(days=7),)),
    Rule(DeadlineKind.APPOINTMENT, date(2015, 4, 1),
         "target of the assistance system: an appointment agreed with the client is kept",
         Period(), roll_to_working_day=False, reminders=(Period(working_days=1),)),
    Rule(DeadlineKind.FIRST_CONTACT, date(2023, 1, 1),
         "target of the assistance system: after a change of worker the new worker contacts "
         "the client within 5 working days",
         Period(working_days=5), reminders=(Period(working_days=1),)),
)


class RuleRefusal(ValueError):
    """A request the rule does not allow (an extension too long, a period out of bounds): in
    constant words (`says`) with named details, as `rules.step.StepRejected` takes them; a
    length as an ISO 8601 duration (`Period.iso`)."""

    def __init__(self, says: str, **details: Any) -> None:
        self.says = says
        self.details = {k: v.iso if isinstance(v, Period) else v for k, v in details.items()}
        super().__init__(says.format(**details))


def rule_for(kind: DeadlineKind, begins_on: date) -> Rule:
    """The version of the rule that governs a period beginning on `begins_on`."""
    versions = [r for r in RULES if r.kind is kind and r.applies_from <= begins_on]
    if not versions:
        raise LookupError(f"no {kind} rule applies to a period beginning on {begins_on}")
    return max(versions, key=lambda r: r.applies_from)


@dataclass(frozen=True)
class Schedule:
    """When a deadline is due and when to remind: computed once, then stored with the case."""

    rule: Rule
    begins_on: date
    due_on: date
    due_at: datetime  # end of the due day in Helsinki, as UTC
    reminders_at: tuple[datetime, ...] = field(default=())
    reviews_on: tuple[date, ...] = field(default=())


def schedule(kind: DeadlineKind, begins_on: date, *, length: Period | None = None,
             extension: Period | None = None) -> Schedule:
    """Apply the governing rule to a period beginning on `begins_on`.

    `length` sets a period chosen case by case (within the rule's bounds); `extension` lengthens
    it (within the rule's maximum). Refused requests raise `RuleRefusal`.
    """
    rule = rule_for(kind, begins_on)
    period = length or rule.period
    if length is not None:
        if rule.min_length is None or rule.max_length is None:
            raise RuleRefusal("the {kind} rule sets its own length", kind=str(kind))
        if not (rule.min_length.after(begins_on) <= length.after(begins_on)
                <= rule.max_length.after(begins_on)):
            raise RuleRefusal("a {kind} lasts from {least} to {most}", kind=str(kind),
                              least=rule.min_length, most=rule.max_length)
    end = period.after(begins_on)
    if extension is not None:
        if rule.max_extension is None:
            raise RuleRefusal("the {kind} rule in force from {since} allows no extension",
                              kind=str(kind), since=rule.version)
        if extension.after(end) > rule.max_extension.after(end):
            raise RuleRefusal("a {kind} can be extended by at most {most}", kind=str(kind),
                              most=rule.max_extension)
        end = extension.after(end)
    due_on = next_working_day(end) if rule.roll_to_working_day else end
    reminders = tuple(sorted({morning_of(previous_working_day(r.before(due_on)))
                              for r in rule.reminders}))
    reviews: list[date] = []
    if rule.review_every is not None:
        # k periods from the start each time, so month-end clamping never drifts.
        k = 1
        while (review := rule.review_every.times(k).after(begins_on)) < due_on:
            reviews.append(review)
            k += 1
    return Schedule(rule, begins_on, due_on, end_of(due_on), reminders, tuple(reviews))


def appeal_period_begins(decided_on: date, *, by_post: bool) -> date:
    """Service of a decision: on the 7th day after sending when sent by ordinary post."""
    return decided_on + timedelta(days=7) if by_post else decided_on
