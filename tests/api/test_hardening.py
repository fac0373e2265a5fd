"""Regression tests of what a hostile or careless user did to the API: agencies answering for
others, requests that could break a case, headers and list inputs that broke the server, locked
databases, lost keys, codec reads missing from a case's access log."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url
from starlette.types import Receive, Scope, Send
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import WorkflowSerializationContext

from api.problems import CatchAll
from infra.codec import EnvelopeCodec
from infra.database import engine_for
from infra.settings import Settings
from store.audit import entries_for
from store.keys import case_keys
from store.projection import project
from tests.support import factories as f
from tests.support.databases import locked
from tests.support.http import assert_problem, body, open_case, post, step
from tests.support.identities import AUDITOR, CASEWORKER, OPERATOR, bearer
from tests.support.workflow import settled
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import Provider

VSF = bearer("ngo-1", "ngo", "victim-support-finland")
BORDER_GUARD = bearer("bg-1", "border_guard", "border-guard")


async def history_length(temporal: Client, case_id: str) -> int:
    handle = temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
    await settled(handle)
    return len((await handle.fetch_history()).events)


async def test_only_the_provider_answers_its_measure(http: httpx.AsyncClient,
                                                     temporal: Client) -> None:
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/consents", f.consent(f.ConsentScope.SHARE_WITH_AGENCIES))
    provided = f.measure().model_copy(update={"provider": Provider(
        agency_type="ngo", organisation="Victim Support Finland",
        agency_id="victim-support-finland")})
    case = await step(http, case, "/measures", provided)
    path = f"/v1/cases/{case['case_id']}/measures/M1/response"
    history = await history_length(temporal, case["case_id"])

    # An agency not involved learns nothing, not even the version (any version it sends).
    for version in (case["version"], 1):
        r = await post(http, path, {"reason": "We take it.", "accepted": True}, version,
                       headers=BORDER_GUARD)
        assert_problem(r, 403, "Forbidden")
        assert "version" not in r.text and "ETag" not in r.headers
    # An agency token naming no agency is refused before anything.
    assert_problem(await post(http, path, {"reason": "x", "accepted": True}, case["version"],
                              headers=bearer("ngo-2", "ngo")), 401, "Unauthenticated")
    assert await history_length(temporal, case["case_id"]) == history

    # The provider sees its view, with the version it needs, and answers with it.
    r = await http.get(f"/v1/agency/cases/{case['case_id']}", headers=VSF)
    assert r.status_code == 200 and r.headers["ETag"] == f'"{case["version"]}"'
    view = r.json()
    assert view["version"] == case["version"] and view["involvement"] == ["notified",
                                                                          "provider"]
    r = await post(http, path, {"reason": "We take it.", "accepted": True}, view["version"],
                   headers=VSF)
    assert r.status_code == 200, r.text
    answered = r.json()
    assert "person" not in answered and "steps" not in answered
    assert answered["measures"] == [{"id": "M1", "type": "housing", "status": "planned",
                                     "provider_accepted": True}]
    assert f.PERSON.surname not in json.dumps({k: v for k, v in answered.items()
                                               if k != "notifications"})


async def test_a_list_repeated_300000_times_never_reaches_the_case(
        http: httpx.AsyncClient, temporal: Client) -> None:
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    path = f"/v1/cases/{case['case_id']}/assessment"
    history = await history_length(temporal, case["case_id"])
    huge = body(f.assessment(), agencies=["reception_centre"] * 300_000)  # about 5 MB
    assert_problem(await post(http, path, huge, case["version"]), 413, "PayloadTooLarge")
    repeated = body(f.assessment(), agencies=["reception_centre"] * 20)  # within 64 KiB
    problem = assert_problem(await post(http, path, repeated, case["version"]), 422,
                             "InvalidStep")  # refused by the step's guard, before history
    assert problem["field"] == "agencies"
    for field, value in (("exploitation", ["sexual", "sexual"]),
                         ("person", {**f.PERSON.model_dump(mode="json"),
                                     "languages": [f"l{n}" for n in range(11)]})):
        r = await http.post("/v1/cases", json=body(f.referral(), **{field: value}),
                            headers=CASEWORKER)
        assert assert_problem(r, 422, "InvalidStep")["field"] in (field, "person.languages")
    long_reason = body(f.assessment(), reason="x" * 4001)
    assert_problem(await post(http, path, long_reason, case["version"]), 422, "InvalidRequest")
    referral = body(f.referral(), reason="y" * (3 * 1024 * 1024))
    assert_problem(await http.post("/v1/cases", json=referral, headers=CASEWORKER), 413,
                   "PayloadTooLarge")
    # Streamed without a length, the body is cut off at the limit all the same.
    async def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 10_000
    r = await http.post(path, content=chunks(), headers={
        **CASEWORKER, "If-Match": f'"{case["version"]}"', "Content-Type": "application/json"})
    assert_problem(r, 413, "PayloadTooLarge")

    assert await history_length(temporal, case["case_id"]) == history
    case = await step(http, case, "/assessment", f.assessment())  # the case goes on
    assert case["phase"] == "assistance"


async def test_a_request_id_is_kept_only_when_it_is_a_plain_token(
        http: httpx.AsyncClient, settings: Settings) -> None:
    case = await open_case(http)
    path = f"/v1/cases/{case['case_id']}"
    r = await http.get(path, headers={**CASEWORKER, "X-Request-ID": "req-42.a:b"})
    assert r.headers["X-Request-ID"] == "req-42.a:b"
    for given in ("r" * 200, "a b", "ä-request".encode("latin-1"), "<script>"):
        r = await http.get(path, headers={**CASEWORKER, "X-Request-ID": given})
        assert r.status_code == 200 and r.headers["X-Request-ID"] not in (given, "ä-request")
        assert len(r.headers["X-Request-ID"]) == 36  # one of our own
    r = await http.get(path, headers={**CASEWORKER, "X-Request-ID": "r" * 5_000_000})
    assert_problem(r, 431, "HeaderTooLarge")
    ids = {e.request_id for e in entries_for(engine_for(settings.audit_database),
                                             case["case_id"])}
    assert "req-42.a:b" in ids and all(len(i or "") <= 64 for i in ids)


FORGED = {
    "two values": base64.urlsafe_b64encode(b"[1,2]").decode(),
    "a huge integer": base64.urlsafe_b64encode(b"[" + b"9" * 300 + b"]").decode(),
    "deep nesting": base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode(),
    "a naive instant": base64.urlsafe_b64encode(
        b'[{"t":"2026-01-01T00:00:00"},"case-aaaaaaaaaaaaaaaaaaaa"]').decode(),
    "an instant past the calendar": base64.urlsafe_b64encode(
        b'[{"t":"9999-12-31T23:59:59-23:59"},"case-aaaaaaaaaaaaaaaaaaaa"]').decode(),
    "not base64 at all": "%%%",
    "very long": "A" * 600,
}


@pytest.mark.parametrize("token", FORGED.values(), ids=FORGED.keys())
async def test_a_forged_page_token_is_422_on_every_list(http: httpx.AsyncClient,
                                                        token: str) -> None:
    case = await open_case(http)
    for path, headers in (("/v1/cases", OPERATOR), ("/v1/deadlines", OPERATOR),
                          ("/v1/notifications", OPERATOR),
                          ("/v1/agency/cases", VSF), ("/v1/audit/break-glass", AUDITOR),
                          (f"/v1/cases/{case['case_id']}/steps", CASEWORKER)):
        r = await http.get(path, params={"page_token": token}, headers=headers)
        assert_problem(r, 422, "InvalidRequest")


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "2026-12-01T10:00:00",
                                     "0001-01-01T00:00:00+14:00", "tomorrow"])
async def test_an_instant_out_of_range_or_without_offset_is_422(http: httpx.AsyncClient,
                                                                instant: str) -> None:
    r = await http.get("/v1/deadlines", params={"due_before": instant}, headers=OPERATOR)
    assert assert_problem(r, 422, "InvalidRequest")["errors"][0]["field"] == "query.due_before"


async def test_an_unexpected_error_is_a_500_problem_not_a_dropped_connection() -> None:
    async def broken(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=CatchAll(broken), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        r = await client.get("/v1/anything")  # the exception does not reach the server
    problem = assert_problem(r, 500, "InternalError")
    assert "a bug" not in r.text and "Traceback" not in r.text
    assert problem["instance"] == "/v1/anything"


async def test_a_locked_read_model_is_a_quick_503_and_nothing_is_half_done(
        http: httpx.AsyncClient, settings: Settings) -> None:
    headers = {**CASEWORKER, "Idempotency-Key": "referral-during-lock"}
    with locked(settings.database):  # a new case's data key cannot be stored
        started = time.monotonic()
        r = await http.post("/v1/cases", json=body(f.referral()), headers=headers)
        assert time.monotonic() - started < 5
    problem = assert_problem(r, 503, "StoreUnavailable")
    assert r.headers["Retry-After"] == "5" and "retry" in problem["detail"]
    r = await http.post("/v1/cases", json=body(f.referral()), headers=headers)
    assert r.status_code == 201, r.text  # the retry opens the case, once
    again = await http.post("/v1/cases", json=body(f.referral()), headers=headers)
    assert again.status_code == 200 and again.json()["case_id"] == r.json()["case_id"]


async def test_a_locked_audit_log_means_no_step_and_a_quick_503(
        http: httpx.AsyncClient, settings: Settings, temporal: Client) -> None:
    case = await open_case(http)
    path = f"/v1/cases/{case['case_id']}/admission"
    history = await history_length(temporal, case["case_id"])
    with locked(settings.audit_database):
        started = time.monotonic()
        r = await post(http, path, f.admission(), case["version"], key="adm-during-lock")
        assert time.monotonic() - started < 5
        problem = assert_problem(r, 503, "AuditUnavailable")
        assert r.headers["Retry-After"] == "5"
        assert "Idempotency-Key" in problem["detail"]
    # No intent could be written, so nothing was done.
    assert await history_length(temporal, case["case_id"]) == history
    r = await post(http, path, f.admission(), case["version"], key="adm-during-lock")
    assert r.status_code == 200 and r.json()["version"] == 2
    outcomes = [(e.action, e.outcome) for e in entries_for(engine_for(settings.audit_database),
                                                           case["case_id"])]
    assert outcomes[-2:] == [("decide_admission", "intent"), ("decide_admission", "200")]


async def test_a_shredded_case_is_gone_for_good(http: httpx.AsyncClient, temporal: Client,
                                                settings: Settings) -> None:
    case = await open_case(http)
    last = await settled(temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"]))
    gone = last.model_copy(update={"case_id": "case-" + "s" * 20, "reference_number": None})
    keys = case_keys(settings)
    assert project(engine_for(settings.database), keys, gone)
    assert keys.shred(gone.case_id)
    r = await http.get(f"/v1/cases/{gone.case_id}", headers=CASEWORKER)
    problem = assert_problem(r, 410, "CaseShredded")
    assert "Retry-After" not in r.headers and "retry" not in problem["detail"]


async def test_a_codec_read_lands_in_the_case_access_log(http: httpx.AsyncClient,
                                                         settings: Settings) -> None:
    case = await open_case(http)
    codec = EnvelopeCodec(case_keys(settings)).with_context(WorkflowSerializationContext(
        namespace="default", workflow_id=case["case_id"]))
    (sealed,) = await codec.encode([Payload(metadata={"encoding": b"json/plain"},
                                            data=b'{"hello": "case"}')])
    payloads = {"payloads": [{"metadata": {k: base64.b64encode(v).decode()
                                           for k, v in sealed.metadata.items()},
                              "data": base64.b64encode(sealed.data).decode()}]}
    r = await http.post("/codec/decode", json=payloads, headers=CASEWORKER)
    assert r.status_code == 200, r.text
    r = await http.get(f"/v1/cases/{case['case_id']}/access-log", headers=AUDITOR)
    log = r.json()["items"]
    assert ("cw-anna", "decode", "200") in {(e["actor_id"], e["action"], e["outcome"])
                                            for e in log}


async def test_concurrent_requests_with_odd_request_ids_form_one_chain(
        http: httpx.AsyncClient) -> None:
    """Many requests at once, unauthenticated ones with odd request ids among them: every one
    is answered, each with its own entry in one intact chain (the entry a batch cannot take
    is `tests/store/test_audit.py`'s)."""
    case = await open_case(http)
    path = f"/v1/cases/{case['case_id']}"
    calls = [http.get(path, headers={**CASEWORKER, "X-Request-ID": f"ok-{n}"})
             for n in range(20)]
    calls += [http.get(path, headers={"X-Request-ID": "z" * 200}) for _ in range(5)]
    answers = await asyncio.gather(*calls)
    assert [r.status_code for r in answers] == [200] * 20 + [401] * 5
    r = await http.get("/v1/audit/verify", headers=AUDITOR)
    assert r.json()["intact"] is True


def test_the_lock_helper_really_locks(settings: Settings) -> None:
    """The fault above is real: while held, another writer cannot get in."""
    done = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(make_url(settings.database).database, timeout=0.2)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            done.set()
        finally:
            connection.close()

    with locked(settings.database):
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
    assert done.is_set()


async def test_an_agency_learns_nothing_of_a_case_it_cannot_see(
        http: httpx.AsyncClient) -> None:
    """Whether a case exists, is closed, or a notification to it was withheld: 403 alike."""
    for path in ("/v1/agency/cases/case-aaaaaaaaaaaaaaaaaaaa",):
        assert_problem(await http.get(path, headers=VSF), 403, "Forbidden")
    r = await post(http, "/v1/cases/case-aaaaaaaaaaaaaaaaaaaa/notifications/N1/ack",
                   {"reason": "x"}, 1, headers=VSF)
    assert_problem(r, 403, "Forbidden")
    case = await open_case(http)
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/measures", f.measure().model_copy(update={
        "provider": Provider(agency_type="ngo", organisation="Victim Support Finland",
                             agency_id="victim-support-finland")}))  # no consent: withheld
    r = await post(http, f"/v1/cases/{case['case_id']}/notifications/N1/ack", {"reason": "x"},
                   case["version"], headers=VSF)
    problem = assert_problem(r, 403, "Forbidden")
    assert "withheld" not in r.text and "notification_status" not in problem


@pytest.mark.parametrize(("metadata", "data"), [
    ({"encoding": b"binary/encrypted", "encryption-key-id": b"master:" + b"k" * 10_000}, b"x"),
    ({"encoding": b"binary/encrypted", "encryption-key-id": b"\xff\xfe"}, b"x" * 40),
    ({"encoding": b"binary/encrypted", "encryption-key-id": b"sideways:x"}, b"x" * 40),
])
async def test_a_malformed_payload_is_422_and_not_repeated(
        http: httpx.AsyncClient, settings: Settings, metadata: dict[str, bytes],
        data: bytes) -> None:
    from store.keys import case_keys

    masters = case_keys(settings).masters
    short = {**metadata}
    if metadata["encryption-key-id"].startswith(b"master:k"):  # a real key, data too short
        short["encryption-key-id"] = f"master:{masters.newest_id}".encode()
    for meta in (metadata, short):
        payloads = {"payloads": [{"metadata": {k: base64.b64encode(v).decode()
                                               for k, v in meta.items()},
                                  "data": base64.b64encode(data).decode()}]}
        r = await http.post("/codec/decode", json=payloads, headers=CASEWORKER)
        assert_problem(r, 422, "InvalidRequest")
        assert "kkkkkkkk" not in r.text and len(r.text) < 1000
