"""Notifications over HTTP against the dev server, delivered to a real SMTP mailbox."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from infra.settings import Settings
from tests.support import factories as f
from tests.support.http import assert_problem, body, open_case, post
from tests.support.identities import CASEWORKER, OPERATOR, bearer
from tests.support.receivers import Mailbox
from tests.support.waiting import eventually

CHILD_PROTECTION = bearer("cp-worker-1", "social_services", "child-protection-helsinki")
POLICE = bearer("officer-1", "police", "police-nbi-trafficking")


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """The embedded directory, for this test to change as an operator would."""
    path = tmp_path / "agencies.yaml"
    path.write_text(Path("config/agencies.yaml").read_text())
    return path


@pytest.fixture
def settings(settings: Settings, directory: Path) -> Settings:
    return settings.model_copy(update={"agency_directory": directory})


async def notifications(http: httpx.AsyncClient, case_id: str) -> list[dict]:
    r = await http.get(f"/v1/cases/{case_id}/notifications", headers=CASEWORKER)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def delivered(http: httpx.AsyncClient, case_id: str) -> list[dict]:
    async def check() -> list[dict] | None:
        found = await notifications(http, case_id)
        return found if found and all(n["status"] != "pending" for n in found) else None
    return await eventually(check)


async def test_a_minor_referral_is_mailed_and_acknowledged_by_that_agency(
        http: httpx.AsyncClient, mailbox: Mailbox) -> None:
    case = await open_case(http, minor=True, guardian_consent=True)
    (n,) = await delivered(http, case["case_id"])
    assert (n["purpose"], n["agency_id"], n["status"], n["legal_basis"]) == (
        "minor_referred", "child-protection-helsinki", "delivered", "child_welfare")
    (mail,) = mailbox.for_case(case["case_id"])
    assert mail["to"] == "lastensuojelu@hel.example" and f.PERSON.surname not in mail["subject"]

    path = f"/v1/cases/{case['case_id']}/notifications/{n['id']}/ack"
    version = (await http.get(f"/v1/cases/{case['case_id']}", headers=CASEWORKER)).json()[
        "version"]
    assert_problem(await post(http, path, {"reason": "Got it."}, version, headers=POLICE), 403,
                   "Forbidden")  # not the agency that was notified
    assert_problem(await post(http, path, {"reason": "Got it."}, version, headers=OPERATOR),
                   403, "Forbidden")
    r = await post(http, path, {"reason": "Received, case opened."}, version,
                   headers=CHILD_PROTECTION)
    assert r.status_code == 200, r.text
    # The agency's answer is its own view of the case, with the version for its next step.
    view = r.json()
    assert (view["version"], r.headers["ETag"]) == (version + 1, f'"{version + 1}"')
    assert "person" not in view and "steps" not in view
    (n,) = view["notifications"]
    assert n["status"] == "acknowledged"
    (n,) = await notifications(http, case["case_id"])
    assert n["acknowledged_by"]["agency"] == "child-protection-helsinki"
    # An agency does not learn which other notifications exist; staff do.
    assert_problem(await post(http, f"/v1/cases/{case['case_id']}/notifications/N9/ack",
                              {"reason": "x"}, version + 1, headers=CHILD_PROTECTION), 403,
                   "Forbidden")
    assert_problem(await post(http, f"/v1/cases/{case['case_id']}/notifications/N9/ack",
                              {"reason": "x"}, version + 1), 404, "UnknownNotification")


async def test_a_failed_notification_is_listed_and_resent_after_the_directory_is_fixed(
        http: httpx.AsyncClient, directory: Path, mailbox: Mailbox) -> None:
    case = await open_case(http)
    cid = case["case_id"]
    case = (await post(http, f"/v1/cases/{cid}/admission", f.admission(), 1)).json()
    assert_problem(await post(http, f"/v1/cases/{cid}/notifications",
                              {"reason": "Tell the shelter.", "agency_id": "shelter-x"},
                              case["version"]), 422, "ConsentMissing")
    r = await post(http, f"/v1/cases/{cid}/notifications",
                   {"reason": "Acute danger.", "agency_id": "shelter-x",
                    "legal_basis": "acute_danger"}, case["version"])
    assert r.status_code == 200, r.text
    (n,) = await delivered(http, cid)
    assert n["status"] == "failed" and "not in the directory" in n["last_error"]

    async def listed() -> dict | None:
        r = await http.get("/v1/notifications", params={"failed": "true", "office": "helsinki"},
                           headers=OPERATOR)
        return {row["case_id"]: row for row in r.json()["items"]}.get(cid)
    assert (await eventually(listed))["failed"] == 1

    entries = yaml.safe_load(directory.read_text())
    entries["agencies"].append({"id": "shelter-x", "type": "ngo", "name": "Shelter X",
                                "channels": [{"kind": "email", "address": "x@shelter.example"}]})
    directory.write_text(yaml.safe_dump(entries))
    version = r.json()["version"]
    r = await post(http, f"/v1/cases/{cid}/notifications/{n['id']}/resend",
                   {"reason": "Shelter added to the directory."}, version, headers=OPERATOR)
    assert r.status_code == 200, r.text
    (n,) = await delivered(http, cid)
    assert n["status"] == "delivered"
    assert [m["to"] for m in mailbox.for_case(cid)] == ["x@shelter.example"]
    assert_problem(await post(http, f"/v1/cases/{cid}/notifications/{n['id']}/resend",
                              {"reason": "again"}, version + 1, headers=OPERATOR), 409,
                   "InvalidTransition")


async def test_a_provider_declines_and_the_caseworker_picks_another(
        http: httpx.AsyncClient, mailbox: Mailbox) -> None:
    case = await open_case(http)
    cid = case["case_id"]
    case = (await post(http, f"/v1/cases/{cid}/admission", f.admission(), 1)).json()
    case = (await post(http, f"/v1/cases/{cid}/consents",
                       f.consent(f.ConsentScope.SHARE_WITH_AGENCIES), case["version"])).json()
    shelter = {"agency_type": "reception_centre", "organisation": "Joutseno reception centre",
               "agency_id": "reception-joutseno"}
    case = (await post(http, f"/v1/cases/{cid}/measures",
                       body(f.measure(), provider=shelter), case["version"])).json()
    reception = bearer("rc-1", "reception_centre", "reception-joutseno")
    r = await post(http, f"/v1/cases/{cid}/measures/M1/response",
                   {"accepted": False, "reason": "Full."}, case["version"], headers=reception)
    assert r.status_code == 200 and r.json()["measures"][0]["provider_accepted"] is False
    ngo = {"agency_type": "ngo", "organisation": "Victim Support Finland",
           "agency_id": "victim-support-finland"}
    r = await post(http, f"/v1/cases/{cid}/measures/M1/provider",
                   {"reason": "Another provider.", "provider": ngo}, r.json()["version"])
    assert r.status_code == 200 and r.json()["measures"][0]["provider"]["agency_id"] == (
        "victim-support-finland")
    found = await delivered(http, cid)
    assert [(n["purpose"], n["agency_id"]) for n in found] == [
        ("measure_referral", "reception-joutseno"),
        ("measure_referral", "victim-support-finland")]
    assert {m["to"] for m in mailbox.for_case(cid)} == {"vastaanotto@joutseno.example",
                                                        "tukihenkilot@riku.example"}
