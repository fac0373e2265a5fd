"""What an agency may know of a case: the one rule, used for the agency's view of a case
(`api.need_to_know`) and, through the rows the projection writes (`case_agency`), for the list
of the cases it may see.

An agency is involved in a case when it referred the person (which stands on its own: the
referrer sees its referral's number and, later, whether the person was admitted, from the
moment it arrives), was delivered a notification,
provides a measure, or is a member of the client's support network. What it sees follows the
client's consent as it stands now, for that agency and purpose: a notification sent on consent
disappears from its view when that consent is withdrawn; one sent on a recorded legal basis (a
child's welfare, the outcome of its own referral) stays. It sees the measures it provides only
while the client consents to sharing them with it, and, as a member of the network, the client
plan's goals only while the client consents to sharing the plan with it. The referrer alone
learns whether the person was admitted (the outcome of its referral, on that legal basis).

An agency with nothing that still stands (every notification it was sent on a consent since
withdrawn, no measure or plan the client shares with it) sees nothing at all: not whether the
person was admitted, not the case's version, not that it is still involved. It is answered as
an agency never involved is.
"""

from __future__ import annotations

from store.views import (
    AgencyCaseView,
    AgencyDocument,
    AgencyGoal,
    AgencyMeasure,
    AgencyNotice,
    AgencyPlan,
)
from workflows.model.state import CaseState
from workflows.model.vocabulary import Phase, Purpose
from workflows.rules.notifications import SENT, SHARE, consent_in_force, covered


def _plan(state: CaseState, agency: str) -> AgencyPlan | None:
    """The plan in force, to an active member of the network the client shares it with."""
    plan = state.plan_in_force()
    member = any(m.agency_id == agency and m.left_at is None for m in state.network)
    if plan is None or not member or not consent_in_force(state, SHARE, agency, Purpose.PLAN):
        return None
    return AgencyPlan(number=plan.number, review_on=plan.review_on,
                      goals=[AgencyGoal(goal=g.goal, responsible=g.responsible)
                             for g in plan.goals])


def agency_view(state: CaseState, agency: str | None) -> AgencyCaseView | None:
    """The case as the agency may see it; None if it is not involved, or if nothing it was
    involved through still stands (consent withdrawn): then it sees nothing, version included."""
    if agency is None:
        return None
    notices = [n for n in state.notifications if n.agency_id == agency and n.status in SENT]
    told = [t for t in state.informed if t.agency_id == agency]  # notices that left the state
    measures = [m for m in state.measures if m.provider.agency_id == agency]
    plan = _plan(state, agency)
    shown = [n for n in notices if covered(state, n.consent, n.legal_basis, agency, n.covers)]
    shared = measures if consent_in_force(state, SHARE, agency, Purpose.MEASURES) else []
    referrer = state.referrer.agency_id == agency  # its own referral stands, on its own basis
    standing = (referrer or shown or shared or plan is not None
                or any(covered(state, t.consent, t.legal_basis, agency, t.covers) for t in told))
    if not standing:
        return None
    involvement = [kind for kind, yes in (
        ("referrer", referrer), ("notified", bool(notices or told)),
        ("provider", bool(measures)), ("network", plan is not None)) if yes]
    return AgencyCaseView(
        case_id=state.case_id, reference_number=state.reference_number, version=state.version,
        involvement=involvement,
        # Exited, to every agency; not admitted, only to the referrer (who alone learns it).
        closed=state.phase is Phase.EXITED or (referrer and state.phase.closed),
        admitted=state.admission.admitted if referrer and state.admission else None,
        notifications=[AgencyNotice(id=n.id, purpose=n.purpose, status=n.status,
                                    sent_at=n.created_at, message=n.message,
                                    expects_ack=n.expects_ack) for n in shown],
        measures=[AgencyMeasure(id=m.id, type=m.type, status=m.status,
                                provider_accepted=m.provider_accepted) for m in shared],
        plan=plan,
        documents=[AgencyDocument(id=d.id, caption=d.caption, media_type=d.media_type, size=d.size,
                                  added_at=d.added_at) for d in state.documents
                   if d.shared_for is not None
                   and consent_in_force(state, SHARE, agency, d.shared_for)])


def listed(state: CaseState) -> dict[str, list[str]]:
    """The agencies whose list shows the case, and as what: each one whose view of it has
    something to show now (a notification, even one that has left the state, or a measure)."""
    agencies = {state.referrer.agency_id, *(n.agency_id for n in state.notifications),
                *(t.agency_id for t in state.informed),
                *(m.provider.agency_id for m in state.measures),
                *(m.agency_id for m in state.network)} - {None}
    shown = {}
    for agency in sorted(a for a in agencies if a):
        view = agency_view(state, agency)
        if view is None:
            continue
        told_before = any(covered(state, t.consent, t.legal_basis, agency, t.covers)
                          for t in state.informed if t.agency_id == agency)
        kinds = [kind for kind, yes in (("referrer", "referrer" in view.involvement),
                                        ("notified", bool(view.notifications) or told_before),
                                        ("provider", bool(view.measures)),
                                        ("network", view.plan is not None)) if yes]
        if kinds:
            shown[agency] = kinds
    return shown
