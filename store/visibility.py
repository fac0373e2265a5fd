"""What an agency may know of a case: the one rule, used for the agency's view of a case
(`api.need_to_know`) and, through the rows the projection writes (`case_agency`), for the list
of the cases it may see.

An agency is involved in a case when it referred the person, was delivered a notification, or
provides a measure. What it sees follows the client's consent as it stands now: a notification
sent on consent disappears from its view when that consent is withdrawn; one sent on a recorded
legal basis (a child's welfare, the outcome of its own referral) stays. It sees the measures it
provides only while the client consents to sharing. A referrer alone learns only whether the
person was admitted.
"""

from __future__ import annotations

from store.views import AgencyCaseView, AgencyMeasure, AgencyNotice
from workflows.notify_rules import SENT, consent_in_force, covered
from workflows.state import CaseState
from workflows.vocabulary import ConsentScope


def agency_view(state: CaseState, agency: str | None) -> AgencyCaseView | None:
    """The case as the agency may see it; None if it is not involved."""
    if agency is None:
        return None
    notices = [n for n in state.notifications if n.agency_id == agency and n.status in SENT]
    told = [t for t in state.informed if t.agency_id == agency]  # notices that left the state
    measures = [m for m in state.measures if m.provider.agency_id == agency]
    involvement = [kind for kind, yes in (
        ("referrer", state.referrer.agency_id == agency),
        ("notified", bool(notices or told)), ("provider", bool(measures))) if yes]
    if not involvement:
        return None
    shared = consent_in_force(state, ConsentScope.SHARE_WITH_AGENCIES)
    return AgencyCaseView(
        case_id=state.case_id, version=state.version, involvement=involvement,
        admitted=state.admission.admitted if state.admission else None,
        notifications=[AgencyNotice(id=n.id, purpose=n.purpose, status=n.status,
                                    sent_at=n.created_at, message=n.message,
                                    expects_ack=n.expects_ack)
                       for n in notices if covered(state, n.consent, n.legal_basis)],
        measures=[AgencyMeasure(id=m.id, type=m.type, status=m.status,
                                provider_accepted=m.provider_accepted)
                  for m in measures] if shared else [])


def listed(state: CaseState) -> dict[str, list[str]]:
    """The agencies whose list shows the case, and as what: each one whose view of it has
    something to show now (a notification, even one that has left the state, or a measure)."""
    agencies = {state.referrer.agency_id, *(n.agency_id for n in state.notifications),
                *(t.agency_id for t in state.informed),
                *(m.provider.agency_id for m in state.measures)} - {None}
    shown = {}
    for agency in sorted(a for a in agencies if a):
        view = agency_view(state, agency)
        if view is None:
            continue
        told_before = any(covered(state, t.consent, t.legal_basis)
                          for t in state.informed if t.agency_id == agency)
        kinds = [kind for kind, yes in (("notified", bool(view.notifications) or told_before),
                                        ("provider", bool(view.measures))) if yes]
        if kinds:
            shown[agency] = kinds
    return shown
