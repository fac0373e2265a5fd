"""Need to know: what an agency sees of a case follows its involvement and the client's consent
as it stands now; an agency not involved is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from store.visibility import agency_view
from tests.support import factories as f
from tests.support.http import assert_problem, open_case, post
from tests.support.identities import CASEWORKER, bearer
from tests.support.receivers import eventually
from workflows import case_rules as rules
from workflows.state import (
    CaseState,
    Consent,
    Measure,
    Notification,
    Selector,
)
from workflows.step_rule import StepContext
from workflows.steps import (
    Provider,
    Referrer,
)
from workflows.vocabulary import (
    AgencyType,
    ConsentGiver,
    ConsentScope,
    LegalBasis,
    MeasureType,
    NotificationStatus,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def case(*, consents: dict[ConsentScope, list[bool]] | None = None,
         notices: list[tuple[str, Any, Any]] = (), provider: str | None = None) -> CaseState:
    """A case referred by the Helsinki police, with notices sent (agency, consent, legal
    basis), consents given and withdrawn in order, and a measure by `provider`."""
    referral = f.referral(referrer=Referrer(agency_type=AgencyType.POLICE,
                                            organisation="Helsinki police",
                                            agency_id="police-helsinki"))
    state = rules.open_case("case-" + "s" * 20, referral, StepContext(NOW, f.CASEWORKER))
    for scope, answers in (consents or {}).items():
        state.consents += [Consent(scope=scope, given_by=ConsentGiver.CLIENT, given=given, at=NOW,
                                   recorded_by="cw-anna") for given in answers]
    state.notifications = [
        Notification(id=f"N{i}", key=f"k{i}", purpose="p", selector=Selector(agency_id=agency),
                     agency_id=agency, status=NotificationStatus.DELIVERED,
                     message={"person": "Maria"}, consent=consent, legal_basis=basis,
                     created_at=NOW, changed_at=NOW)
        for i, (agency, consent, basis) in enumerate(notices, start=1)]
    if provider:
        state.measures = [Measure(id="M1", type=MeasureType.HOUSING, added_at=NOW, changed_at=NOW,
                                  provider=Provider(agency_type=AgencyType.NGO,
                                                    organisation="NGO", agency_id=provider))]
    return state


SHARE, POLICE = ConsentScope.SHARE_WITH_AGENCIES, ConsentScope.CONTACT_POLICE
# (the case, the agency asking, what it is involved as, notices it sees, measures it sees)
SCOPES = {
    "the referrer alone learns only the outcome": (
        case(notices=[("police-helsinki", None, LegalBasis.REFERRAL)]), "police-helsinki",
        ["referrer", "notified"], ["N1"], []),
    "the referrer without a notice": (case(), "police-helsinki", ["referrer"], [], []),
    "police told on consent": (
        case(consents={POLICE: [True]}, notices=[("police-nbi", POLICE, None)]), "police-nbi",
        ["notified"], ["N1"], []),
    "police after the consent is withdrawn": (
        case(consents={POLICE: [True, False]}, notices=[("police-nbi", POLICE, None)]),
        "police-nbi", ["notified"], [], []),
    "child protection on a legal basis, no consent to share": (
        case(notices=[("cp-helsinki", None, LegalBasis.CHILD_WELFARE)]), "cp-helsinki",
        ["notified"], ["N1"], []),
    "a provider with consent to share": (
        case(consents={SHARE: [True]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1"),
        "ngo-1", ["notified", "provider"], ["N1"], ["M1"]),
    "a provider once sharing is withdrawn": (
        case(consents={SHARE: [True, False]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1"),
        "ngo-1", ["notified", "provider"], [], []),
}


@pytest.mark.parametrize(("state", "agency", "involvement", "notices", "measures"),
                         SCOPES.values(), ids=SCOPES.keys())
def test_an_agency_sees_what_its_involvement_and_consent_allow(
        state: CaseState, agency: str, involvement: list[str], notices: list[str],
        measures: list[str]) -> None:
    view = agency_view(state, agency)
    assert view is not None
    assert view.involvement == involvement and view.admitted is None
    assert [n.id for n in view.notifications] == notices
    assert [m.id for m in view.measures] == measures
    assert "Vasquez" not in view.model_dump_json()  # never the case's own person record


@pytest.mark.parametrize("agency", ["ngo-elsewhere", None])
def test_an_agency_not_involved_sees_nothing(agency: str | None) -> None:
    state = case(consents={SHARE: [True]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1")
    assert agency_view(state, agency) is None


async def test_over_http(http: httpx.AsyncClient) -> None:
    minor = await open_case(http, minor=True, guardian_consent=True)
    path = f"/v1/agency/cases/{minor['case_id']}"
    child_protection = bearer("cp-1", "social_services", "child-protection-helsinki")

    async def told() -> dict | None:
        r = await http.get(path, headers=child_protection)
        return r.json() if r.status_code == 200 and r.json()["notifications"] else None

    view = await eventually(told)
    assert view["involvement"] == ["notified"]
    assert view["notifications"][0]["purpose"] == "minor_referred"
    assert view["notifications"][0]["message"]["child"]["surname"] == f.PERSON.surname

    assert_problem(await http.get(path, headers=bearer("o-1", "police", "police-nbi-trafficking")),
                   403, "Forbidden")
    assert_problem(await http.get(path, headers=CASEWORKER), 403, "Forbidden")

    async def listed() -> list | None:
        r = await http.get("/v1/agency/cases", headers=child_protection)
        cases = r.json()["items"]
        return cases if any(c["case_id"] == minor["case_id"] for c in cases) else None

    assert {"case_id": minor["case_id"], "involvement": ["notified"]} in await eventually(listed)
    r = await http.get("/v1/agency/cases", headers=bearer("o-1", "police",
                                                          "police-nbi-trafficking"))
    assert minor["case_id"] not in {c["case_id"] for c in r.json()["items"]}


async def test_withdrawn_consent_takes_the_case_out_of_the_police_view(
        http: httpx.AsyncClient) -> None:
    case = await open_case(http)
    path = f"/v1/cases/{case['case_id']}"
    police = bearer("o-1", "police", "police-nbi-trafficking")
    given = await post(http, f"{path}/consents", f.consent(), case["version"])
    assert given.status_code == 200, given.text

    async def listed(want: bool) -> bool:
        r = await http.get("/v1/agency/cases", headers=police)
        return (case["case_id"] in {c["case_id"] for c in r.json()["items"]}) is want

    await eventually(lambda: listed(True))  # delivered, then projected
    view = (await http.get(f"/v1/agency/cases/{case['case_id']}", headers=police)).json()
    assert [n["purpose"] for n in view["notifications"]] == ["police_contact"]

    withdrawn = await post(http, f"{path}/consents", f.consent(given=False),
                           given.json()["version"])
    assert withdrawn.status_code == 200, withdrawn.text
    await eventually(lambda: listed(False))
    view = (await http.get(f"/v1/agency/cases/{case['case_id']}", headers=police)).json()
    assert view["involvement"] == ["notified"] and view["notifications"] == []
