"""Need to know: what an agency sees of a case follows its involvement and the client's consent
as it stands now; an agency not involved, or with nothing that still stands, is refused alike
and learns nothing (not whether the person was admitted, not the case's version)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from store.visibility import agency_view
from tests.support import factories as f
from tests.support.http import assert_problem, open_case, post, step
from tests.support.identities import CASEWORKER, bearer
from tests.support.states import take
from tests.support.waiting import eventually
from workflows.model.requests import (
    Provider,
    Referrer,
)
from workflows.model.state import (
    CaseState,
    Consent,
    Measure,
    Notification,
    Selector,
)
from workflows.model.vocabulary import (
    AgencyType,
    ConsentGiver,
    ConsentScope,
    LegalBasis,
    MeasureType,
    NotificationStatus,
)
from workflows.rules import lifecycle as rules
from workflows.rules.step import StepContext

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
    # Its referral stands on its own: its number from the moment it arrives, nothing more.
    "the referrer before the outcome": (case(), "police-helsinki", ["referrer"], [], []),
    "the referrer alone learns only the outcome": (
        case(notices=[("police-helsinki", None, LegalBasis.REFERRAL)]), "police-helsinki",
        ["referrer", "notified"], ["N1"], []),
    "police told on consent": (
        case(consents={POLICE: [True]}, notices=[("police-nbi", POLICE, None)]), "police-nbi",
        ["notified"], ["N1"], []),
    "child protection on a legal basis, no consent to share": (
        case(notices=[("cp-helsinki", None, LegalBasis.CHILD_WELFARE)]), "cp-helsinki",
        ["notified"], ["N1"], []),
    "a provider with consent to share": (
        case(consents={SHARE: [True]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1"),
        "ngo-1", ["notified", "provider"], ["N1"], ["M1"]),
}
# Involved once, with nothing that still stands: no view at all, as an agency never involved.
NO_ACCESS = {
    "police after the consent is withdrawn": (
        case(consents={POLICE: [True, False]}, notices=[("police-nbi", POLICE, None)]),
        "police-nbi"),
    "a provider once sharing is withdrawn": (
        case(consents={SHARE: [True, False]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1"),
        "ngo-1"),
    "a provider never consented to": (case(provider="ngo-1"), "ngo-1"),
}


@pytest.mark.parametrize(("state", "agency", "involvement", "notices", "measures"),
                         SCOPES.values(), ids=SCOPES.keys())
def test_an_agency_sees_what_its_involvement_and_consent_allow(
        state: CaseState, agency: str, involvement: list[str], notices: list[str],
        measures: list[str]) -> None:
    view = agency_view(state, agency)
    assert view is not None
    assert view.involvement == involvement and "admitted" not in view.model_dump()
    assert [n.id for n in view.notifications] == notices
    assert [m.id for m in view.measures] == measures
    assert "Vasquez" not in view.model_dump_json()  # never the case's own person record


@pytest.mark.parametrize("agency", ["ngo-elsewhere", None])
def test_an_agency_not_involved_sees_nothing(agency: str | None) -> None:
    state = case(consents={SHARE: [True]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1")
    assert agency_view(state, agency) is None


@pytest.mark.parametrize(("state", "agency"), NO_ACCESS.values(), ids=NO_ACCESS.keys())
def test_an_agency_with_nothing_standing_sees_nothing(state: CaseState, agency: str) -> None:
    assert agency_view(state, agency) is None


def test_only_the_referrer_learns_whether_the_person_was_admitted() -> None:
    state = case(consents={SHARE: [True]}, notices=[("police-helsinki", None, LegalBasis.REFERRAL),
                                                    ("ngo-1", SHARE, None)], provider="ngo-1")
    take(state, rules.decide_admission, f.admission())
    referrer, provider = agency_view(state, "police-helsinki"), agency_view(state, "ngo-1")
    assert referrer is not None and provider is not None
    assert referrer.model_dump(mode="json")["admitted"] is True
    assert "admitted" not in provider.model_dump(mode="json")
    assert "admitted" not in provider.model_dump_json()


def test_a_closed_case_is_shown_closed_to_the_agencies() -> None:
    state = case(consents={SHARE: [True]}, notices=[("ngo-1", SHARE, None)], provider="ngo-1")
    view = agency_view(state, "ngo-1")
    assert view is not None and view.closed is False
    take(state, rules.decide_admission, f.admission())
    take(state, rules.exit_case, f.exit_decision())
    view = agency_view(state, "ngo-1")
    assert view is not None and view.closed is True


def test_only_the_referrer_sees_a_case_closed_by_non_admission() -> None:
    """Closed without admission says "not admitted": only the referrer may learn that."""
    state = case(consents={SHARE: [True]}, notices=[("police-helsinki", None, LegalBasis.REFERRAL),
                                                    ("ngo-1", SHARE, None)], provider="ngo-1")
    take(state, rules.decide_admission, f.admission(admitted=False))
    referrer, other = agency_view(state, "police-helsinki"), agency_view(state, "ngo-1")
    assert referrer is not None and referrer.closed is True
    assert other is not None and other.closed is False


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

    assert {"case_id": minor["case_id"], "reference_number": minor["reference_number"],
            "involvement": ["notified"]} in await eventually(listed)
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
    # No access, and nothing else: answered as an agency never involved is.
    gone = await http.get(f"/v1/agency/cases/{case['case_id']}", headers=police)
    never = await http.get(f"/v1/agency/cases/{case['case_id']}",
                           headers=bearer("bg-1", "border_guard", "border-guard"))
    for r in (gone, never):
        problem = assert_problem(r, 403, "Forbidden")
        assert "ETag" not in r.headers and set(problem) == PROBLEM_MEMBERS
    assert gone.json()["detail"] == never.json()["detail"]


PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code"}


async def test_after_withdrawal_an_agency_learns_neither_admission_nor_version(
        http: httpx.AsyncClient) -> None:
    """The provider, told on the client's consent to share, sees its view while it stands;
    once the client withdraws it, its reads and its own steps get the same 403 as an agency
    never involved: no admitted yes/no, no version, no phase, and the case unchanged."""
    vsf = bearer("ngo-1", "ngo", "victim-support-finland")
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/consents", f.consent(SHARE))
    case = await step(http, case, "/measures", f.measure().model_copy(update={
        "provider": Provider(agency_type=AgencyType.NGO, organisation="Victim Support Finland",
                             agency_id="victim-support-finland")}))
    path = f"/v1/agency/cases/{case['case_id']}"

    async def seen() -> dict | None:
        r = await http.get(path, headers=vsf)
        return r.json() if r.status_code == 200 and r.json()["notifications"] else None

    view = await eventually(seen)  # delivered
    assert "admitted" not in view and view["involvement"] == ["notified", "provider"]
    case = await step(http, case, "/consents", f.consent(SHARE, given=False))

    r = await http.get(path, headers=vsf)
    problem = assert_problem(r, 403, "Forbidden")
    assert set(problem) == PROBLEM_MEMBERS and "ETag" not in r.headers
    for version in (case["version"], 1):  # its own step, right version or not
        r = await post(http, f"/v1/cases/{case['case_id']}/measures/M1/response",
                       {"reason": "We take it.", "accepted": True}, version, headers=vsf)
        problem = assert_problem(r, 403, "Forbidden")
        assert set(problem) == PROBLEM_MEMBERS and "ETag" not in r.headers
    r = await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)
    assert r.json()["version"] == case["version"]  # the refused step changed nothing
    assert r.json()["measures"][0]["provider_accepted"] is None
