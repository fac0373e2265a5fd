"""Deadlines as durable timers, on the time-skipping server: reminders and escalations raised at
the rule's instants across years, met, extended and cancelled, and through a worker restart."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from tests.support import factories as f
from tests.support.workflow import Handle, Opener, rejected, step
from worker.main import build_worker
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model import calendar
from workflows.model.requests import (
    AssessmentStart,
    DeadlineChange,
    DeadlineExtension,
    Length,
    ReflectionPeriodGrant,
)
from workflows.model.state import (
    CaseState,
    Deadline,
)
from workflows.model.vocabulary import (
    AgencyType,
    AlertKind,
    DeadlineAction,
    DeadlineStatus,
)
from workflows.rules import deadlines

K = calendar.DeadlineKind


async def today(env: WorkflowEnvironment) -> date:
    return calendar.helsinki_date(await env.get_current_time())


def deadline(state: CaseState, kind: K) -> Deadline:
    (found,) = [d for d in state.deadlines if d.kind is kind]
    return found


def alerts_for(state: CaseState, d: Deadline) -> list[tuple[AlertKind, datetime]]:
    # Raised when due (at the case's own offset within the spread), not whenever the worker got
    # round to it.
    offset = deadlines.spread(state.case_id)
    for alert in state.alerts:
        assert offset <= alert.raised_at - alert.at < offset + timedelta(minutes=1)
    return [(a.kind, a.at) for a in state.alerts if a.deadline_id == d.id]


async def sleep_past(env: WorkflowEnvironment, instant: datetime, h: Handle) -> CaseState:
    await env.sleep(instant - await env.get_current_time()
                    + deadlines.WAKE_SPREAD + timedelta(minutes=1))
    return await h.query(CaseWorkflow.state)


async def admitted(env: WorkflowEnvironment, h: Handle) -> CaseState:
    decision = f.admission().model_copy(update={"decided_on": await today(env)})
    return await step(h, CaseWorkflow.decide_admission, decision, 1)


@pytest.mark.usefixtures("worker")
async def test_an_unmade_admission_decision_is_reminded_then_escalated(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    s = await h.query(CaseWorkflow.state)
    d = deadline(s, K.ADMISSION_DECISION)
    expected = calendar.schedule(K.ADMISSION_DECISION, calendar.helsinki_date(s.referred_at))
    assert (d.due_at, d.reminders_at, d.rule_version) == (
        expected.due_at, list(expected.reminders_at), "2023-01-01")

    s = await sleep_past(env, d.due_at, h)
    d = deadline(s, K.ADMISSION_DECISION)
    assert d.status is DeadlineStatus.OVERDUE
    assert alerts_for(s, d) == [(AlertKind.REMINDER, expected.reminders_at[0]),
                                (AlertKind.ESCALATION, expected.due_at)]
    assert {a.office for a in s.alerts} == {s.assignment.office}

    s = await admitted(env, h)  # met late: overdue until now, met from now on
    assert deadline(s, K.ADMISSION_DECISION).status is DeadlineStatus.MET
    s = await sleep_past(env, d.due_at + timedelta(days=1), h)
    assert len(alerts_for(s, deadline(s, K.ADMISSION_DECISION))) == 2  # nothing more


@pytest.mark.usefixtures("worker")
async def test_meeting_an_obligation_cancels_its_timer(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    s = await admitted(env, h)
    start = deadline(s, K.ASSESSMENT_START)
    s = await step(h, CaseWorkflow.begin_assessment,
                   AssessmentStart(reason="Meeting held.", started_on=await today(env)),
                   s.version)
    assert deadline(s, K.ASSESSMENT_START).status is DeadlineStatus.MET
    s = await sleep_past(env, start.due_at, h)
    assert alerts_for(s, deadline(s, K.ASSESSMENT_START)) == []
    # The completion deadline runs on: its reminder fires, and completing meets it.
    done = deadline(s, K.ASSESSMENT_COMPLETION)
    s = await sleep_past(env, done.reminders_at[0], h)
    assert alerts_for(s, deadline(s, K.ASSESSMENT_COMPLETION)) == [
        (AlertKind.REMINDER, done.reminders_at[0])]
    s = await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
    assert deadline(s, K.ASSESSMENT_COMPLETION).status is DeadlineStatus.MET
    s = await sleep_past(env, done.due_at, h)
    assert len(alerts_for(s, deadline(s, K.ASSESSMENT_COMPLETION))) == 1


@pytest.mark.usefixtures("worker")
async def test_an_integration_plan_over_years_under_each_act(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    s = await admitted(env, h)
    s = await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
    plan_start = await today(env)
    transition = f.transition().model_copy(update={"integration_plan_start": plan_start})
    s = await step(h, CaseWorkflow.transition_to_municipality, transition, s.version)
    plan = deadline(s, K.INTEGRATION_PLAN)
    expected = calendar.schedule(K.INTEGRATION_PLAN, plan_start)
    assert plan.rule_version == "2025-01-01" and plan.due_on == expected.due_on
    assert plan.due_on == plan_start.replace(year=plan_start.year + 2) or plan_start.day == 29

    # Act 681/2023 allows no extension.
    extension = DeadlineExtension(reason="Client asked.", deadline_id=plan.id,
                                  extension=Length(years=1))
    err = await rejected(h, CaseWorkflow.extend_deadline, extension, s.version)
    assert err.type == "RuleRefused" and "no extension" in err.message

    # Two years: reviews every 6 months, a reminder two months before, then escalation.
    s = await sleep_past(env, plan.due_at, h)
    plan = deadline(s, K.INTEGRATION_PLAN)
    assert alerts_for(s, plan) == sorted(
        [(AlertKind.REVIEW, calendar.morning_of(day)) for day in expected.reviews_on]
        + [(AlertKind.REMINDER, expected.reminders_at[0]),
           (AlertKind.ESCALATION, expected.due_at)], key=lambda a: a[1])
    assert len(expected.reviews_on) == 3 and plan.status is DeadlineStatus.OVERDUE


@pytest.mark.usefixtures("worker")
async def test_an_old_act_plan_extends_by_at_most_two_years(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    s = await admitted(env, h)
    s = await step(h, CaseWorkflow.assess_needs, f.assessment(), s.version)
    begun = date(2024, 6, 3)  # before 1.1.2025: Act 1386/2010 applies for good
    transition = f.transition().model_copy(update={"integration_plan_start": begun})
    s = await step(h, CaseWorkflow.transition_to_municipality, transition, s.version)
    plan = deadline(s, K.INTEGRATION_PLAN)
    assert (plan.rule_version, plan.due_on) == ("2011-09-01", date(2027, 6, 3))

    by = DeadlineExtension(reason="Plan extended.", deadline_id=plan.id,
                           extension=Length(years=1))
    s = await step(h, CaseWorkflow.extend_deadline, by, s.version)
    s = await step(h, CaseWorkflow.extend_deadline, by, s.version)
    plan = deadline(s, K.INTEGRATION_PLAN)
    assert plan.due_on == date(2029, 6, 3)
    assert plan.status in (DeadlineStatus.EXTENDED, DeadlineStatus.OVERDUE)
    assert [e.what for e in plan.events][-2:] == ["extended to 2028-06-03",
                                                  "extended to 2029-06-03"]
    more = by.model_copy(update={"extension": Length(days=1)})
    err = await rejected(h, CaseWorkflow.extend_deadline, more, s.version)
    assert err.type == "RuleRefused" and "at most P2Y" in err.message  # ISO 8601


@pytest.mark.usefixtures("worker")
async def test_a_reflection_period_and_a_deadline_cancelled(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    grant = ReflectionPeriodGrant(reason="Granted by the police.", granted_on=await today(env),
                                  length=Length(days=29), granted_by=AgencyType.POLICE)
    err = await rejected(h, CaseWorkflow.grant_reflection_period, grant, 1)
    assert err.type == "RuleRefused" and "from P30D to P6M" in err.message
    grant = grant.model_copy(update={"length": Length(months=3)})
    s = await step(h, CaseWorkflow.grant_reflection_period, grant, 1)
    period = deadline(s, K.REFLECTION_PERIOD)
    s = await sleep_past(env, period.reminders_at[0], h)
    assert alerts_for(s, period) == [(AlertKind.REMINDER, period.reminders_at[0])]
    cancel = DeadlineChange(reason="Residence permit granted.", deadline_id=period.id,
                            action=DeadlineAction.CANCEL)
    s = await step(h, CaseWorkflow.change_deadline, cancel, s.version)
    assert deadline(s, K.REFLECTION_PERIOD).status is DeadlineStatus.CANCELLED
    err = await rejected(h, CaseWorkflow.change_deadline, cancel, s.version)
    assert err.type == "InvalidTransition"
    s = await sleep_past(env, period.due_at, h)
    assert len(alerts_for(s, deadline(s, K.REFLECTION_PERIOD))) == 1


@pytest.mark.usefixtures("worker")
async def test_a_closed_case_runs_until_its_appeal_period_ends(
        env: WorkflowEnvironment, open_case: Opener) -> None:
    h = await open_case()
    decision = f.admission(admitted=False).model_copy(
        update={"decided_on": await today(env), "by_post": True})
    s = await step(h, CaseWorkflow.decide_admission, decision, 1)
    appeal = deadline(s, K.APPEAL_PERIOD)
    assert appeal.begins_on == decision.decided_on + timedelta(days=7)
    err = await rejected(h, CaseWorkflow.add_measure, f.measure(), s.version)
    assert err.type == "CaseClosed"
    final = await h.result()  # the server skips to the end of the appeal period
    assert deadline(final, K.APPEAL_PERIOD).status is DeadlineStatus.MET
    assert [e.what for e in deadline(final, K.APPEAL_PERIOD).events] == ["opened", "elapsed"]
    assert await env.get_current_time() >= appeal.due_at


async def test_timers_survive_a_worker_restart(
        env: WorkflowEnvironment, settings: Settings, open_case: Opener) -> None:
    # No cache, so no sticky queue: the test server would wait out a gone worker's sticky queue
    # in real time. Every task is then a full replay, which is the point of the test.
    async with build_worker(env.client, settings, max_cached_workflows=0):
        h = await open_case()
        s = await admitted(env, h)
        start = deadline(s, K.ASSESSMENT_START)
        await env.sleep(start.reminders_at[0] - await env.get_current_time() - timedelta(hours=1))
    # A new worker, with nothing cached: it replays the case from history, then goes on.
    async with build_worker(env.client, settings, max_cached_workflows=0):
        s = await sleep_past(env, start.due_at, h)
    start = deadline(s, K.ASSESSMENT_START)
    assert start.status is DeadlineStatus.OVERDUE
    assert alerts_for(s, start) == [(AlertKind.REMINDER, start.reminders_at[0]),
                                    (AlertKind.ESCALATION, start.due_at)]
