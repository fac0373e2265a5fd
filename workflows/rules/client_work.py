"""The work between the steps, as rules over `CaseState` like the others (see `rules.step`): the
client plan and its revisions, contacts and appointments, and the client's support network.

A plan rests on the latest assessment; with approval required (`StepContext.approval_required`,
the deployment's setting) a revision waits for an office lead, else it is in force at once. The
plan in force makes its review dates deadlines of the case; a later one cancels them and opens
its own. A planned appointment is a deadline too, met when it is recorded as held or missed.
"""

from __future__ import annotations

from workflows.model import calendar
from workflows.model.requests import (
    ContactRecord,
    NetworkJoin,
    NetworkLeave,
    PlanApproval,
    PlanRevision,
)
from workflows.model.state import CaseState, ClientPlan, Contact, NetworkMember
from workflows.model.vocabulary import (
    Action,
    ContactStatus,
    DeadlineKind,
    DeadlineStatus,
    PlanStatus,
    Refusal,
    ThreatLevel,
)
from workflows.rules import deadlines
from workflows.rules.step import StepContext, StepRejected, find

K = DeadlineKind


def _known_measures(state: CaseState) -> set[str]:
    return {f"M{i}" for i in range(1, state.archived.measures + len(state.measures) + 1)}


def revise_plan(state: CaseState, step: PlanRevision, ctx: StepContext) -> Action:
    if state.needs is None:
        raise StepRejected(Refusal.INVALID_TRANSITION, "a client plan rests on an assessment of "
                           "needs: assess them first")
    unknown = sorted({m for g in step.goals for m in g.measure_ids} - _known_measures(state))
    if unknown:
        raise StepRejected(Refusal.UNKNOWN_MEASURE, "no measure {measures} in this case",
                           field="goals", measures=", ".join(unknown), measure_ids=unknown)
    for earlier in state.plans:  # a revision replaces one still awaiting approval
        if earlier.status is PlanStatus.AWAITING_APPROVAL:
            earlier.status = PlanStatus.SUPERSEDED
    plan = ClientPlan(number=state.next_plan_number(), goals=step.goals,
                      client_view=step.client_view, client_agrees=step.client_agrees,
                      review_on=sorted(set(step.review_on)), rests_on=state.needs.number,
                      status=PlanStatus.AWAITING_APPROVAL, proposed_by=ctx.actor,
                      proposed_at=ctx.now)
    state.plans.append(plan)
    if ctx.approval_required:
        return Action.PLAN_PROPOSED
    _bring_into_force(state, plan, ctx)
    return Action.PLAN_ADOPTED


def approve_plan(state: CaseState, step: PlanApproval, ctx: StepContext) -> Action:
    plan = next((p for p in state.plans if p.number == step.plan), None)
    if plan is None:
        raise StepRejected(Refusal.UNKNOWN_ITEM, "no plan {plan} in this case", plan=step.plan)
    if plan.status is not PlanStatus.AWAITING_APPROVAL:
        raise StepRejected(Refusal.INVALID_TRANSITION, "plan {plan} is {plan_status}",
                           plan=plan.number, plan_status=str(plan.status))
    plan.approved_by = ctx.actor
    _bring_into_force(state, plan, ctx)
    return Action.PLAN_ADOPTED


def _bring_into_force(state: CaseState, plan: ClientPlan, ctx: StepContext) -> None:
    for earlier in state.plans:
        if earlier.status is PlanStatus.IN_FORCE:
            earlier.status = PlanStatus.SUPERSEDED
    plan.status, plan.in_force_from = PlanStatus.IN_FORCE, ctx.now
    deadlines.settle(state, [K.PLAN_REVIEW], DeadlineStatus.CANCELLED, ctx.now, ctx.actor,
                     f"plan {plan.number} in force")
    today = calendar.helsinki_date(ctx.now)
    for day in plan.review_on:
        if day >= today:  # an approval later than a review date: that review has passed
            deadlines.open_deadline(state, K.PLAN_REVIEW, day, ctx.now, ctx.actor,
                                    subject=f"plan {plan.number}")


def record_contact(state: CaseState, step: ContactRecord, ctx: StepContext) -> Action:
    if step.status is ContactStatus.PLANNED and step.safety_threat is not None:
        raise StepRejected(Refusal.INVALID_STEP, "a threat is recorded with a contact that took "
                           "place, not a planned one", field="safety_threat")
    fields = step.model_dump(exclude={"reason", "appointment_id"})
    if step.appointment_id is None:
        contact = Contact(id=state.next_contact_id(), recorded_by=ctx.actor,
                          recorded_at=ctx.now, **fields)
        state.contacts.append(contact)
    else:
        contact = _appointment(state, step)
        for name, value in fields.items():
            setattr(contact, name, value)
        contact.recorded_by, contact.recorded_at = ctx.actor, ctx.now
    if contact.status is ContactStatus.PLANNED:
        deadlines.open_deadline(state, K.APPOINTMENT, calendar.helsinki_date(contact.at), ctx.now,
                                ctx.actor, subject=contact.id)
        return Action.CONTACT_PLANNED
    deadlines.settle(state, [K.APPOINTMENT], DeadlineStatus.CANCELLED if contact.status is
                     ContactStatus.CANCELLED else DeadlineStatus.MET, ctx.now, ctx.actor,
                     subject=contact.id)
    if contact.status is ContactStatus.HELD and (
            not state.handovers or contact.at >= state.handovers[-1].at):
        deadlines.settle(state, [K.FIRST_CONTACT], DeadlineStatus.MET, ctx.now, ctx.actor)
    if step.safety_threat is ThreatLevel.ACUTE:
        state.acute_danger_at = ctx.now
    return Action.CONTACT_RECORDED


def _appointment(state: CaseState, step: ContactRecord) -> Contact:
    """The planned appointment a contact records the outcome of."""
    if step.status is ContactStatus.PLANNED:
        raise StepRejected(Refusal.INVALID_STEP, "an appointment is recorded as held, missed or "
                           "cancelled", field="status")
    contact = find(state.contacts, step.appointment_id or "", Refusal.UNKNOWN_ITEM, "contact")
    if contact.status is not ContactStatus.PLANNED:
        raise StepRejected(Refusal.INVALID_TRANSITION, "contact '{contact_id}' is already "
                           "{contact_status}", contact_id=contact.id,
                           contact_status=str(contact.status))
    return contact


def join_network(state: CaseState, step: NetworkJoin, ctx: StepContext) -> Action:
    state.network.append(NetworkMember(id=state.next_member_id(), joined_at=ctx.now,
                                       **step.model_dump(exclude={"reason"})))
    return Action.NETWORK_JOINED


def leave_network(state: CaseState, step: NetworkLeave, ctx: StepContext) -> Action:
    member = find(state.network, step.member_id, Refusal.UNKNOWN_ITEM, "member")
    if member.left_at is not None:
        raise StepRejected(Refusal.INVALID_TRANSITION, "member '{member_id}' has already left",
                           member_id=member.id)
    member.left_at = ctx.now
    return Action.NETWORK_LEFT
