"""An agency's own view of the cases it is involved in: `/v1/agency/cases`.

Involved means: it referred the person, it was sent a notification, or it provides a measure.
What it sees of a case is scoped by the client's consent as it stands now: a notification sent
on consent disappears from view when the consent is withdrawn; one sent on a recorded legal
basis (a child's welfare, the referral outcome) stays. An agency not involved gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import Permitted
from api.audit_trail import AuditedRoute
from api.cases import Gateway
from api.deps import EngineDep
from api.problems import Problem
from api.reads import read
from store import queries
from workflows.case_model import (
    Actor,
    AgencyCasePage,
    AgencyCaseView,
    AgencyMeasure,
    AgencyNotice,
    CaseState,
    ConsentScope,
    NotificationStatus,
)
from workflows.notify_rules import consent_in_force

router = APIRouter(prefix="/v1/agency", tags=["agencies"], route_class=AuditedRoute)
SENT = (NotificationStatus.DELIVERED, NotificationStatus.ACKNOWLEDGED)


def agency_view(state: CaseState, actor: Actor) -> AgencyCaseView | None:
    """The case as the actor's agency may see it; None if the agency is not involved."""
    agency = actor.agency
    notices = [n for n in state.notifications if agency and n.agency_id == agency
               and n.status in SENT]
    measures = [m for m in state.measures if agency and m.provider.agency_id == agency]
    involvement = [kind for kind, yes in (
        ("referrer", agency is not None and state.referrer.agency_id == agency),
        ("notified", bool(notices)), ("provider", bool(measures))) if yes]
    if not involvement:
        return None
    shared = consent_in_force(state, ConsentScope.SHARE_WITH_AGENCIES)
    return AgencyCaseView(
        case_id=state.case_id, involvement=involvement,
        admitted=state.admission.admitted if state.admission else None,
        notifications=[AgencyNotice(id=n.id, purpose=n.purpose, status=n.status,
                                    sent_at=n.created_at, message=n.message)
                       for n in notices if n.legal_basis is not None or (
                           n.consent is not None and consent_in_force(state, n.consent))],
        measures=[AgencyMeasure(id=m.id, type=m.type, status=m.status,
                                provider_accepted=m.provider_accepted)
                  for m in measures] if shared else [])


@router.get("/cases", response_model=AgencyCasePage,
            summary="The cases the caller's agency was notified of or provides a measure for")
async def list_agency_cases(
    actor: Permitted, engine: EngineDep,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100, page_token: str | None = None,
) -> AgencyCasePage:
    if actor.agency is None:
        raise Problem("Forbidden", "the token names no agency")
    return await read(queries.list_agency_cases, engine, agency_id=actor.agency,
                      page_size=page_size, page_token=page_token)


@router.get("/cases/{case_id}", response_model=AgencyCaseView,
            summary="A case as the caller's agency may see it")
async def get_agency_case(case_id: str, actor: Permitted, gateway: Gateway) -> AgencyCaseView:
    view = agency_view(await gateway.get(case_id), actor)
    if view is None:
        raise Problem("Forbidden", "your agency is not involved in this case")
    return view
