"""Need to know, scanned: every route of the API is called by every kind of reader on a case
rich in personal data (the person, the client's own view, free-text reasons), while the client
consents to sharing and after they withdrew it, and every answer is searched for that data.

Only the assistance system's staff of the case's office (or with a stated reason) and auditors
may ever meet it; an agency only in a notification it was sent on a basis that still stands;
operations staff, agencies not involved and staff of other offices never.

And field by field: every field of every answer is one its reader may be told, or absent. The
fields a reader may be told are generated from the models of what it may see of the case (the
whole case, an agency's view, the operations view, or nothing of it), the lists that carry no
personal data, and the problem details; a refusal's own members only as far as the reader's
view shows what they tell (its version, its notifications' ids and states…)."""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import UnionType
from typing import Any, Union, get_origin

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import WorkflowSerializationContext

from api.access import ALLOWED
from api.examples import EXAMPLES
from api.problems import ProblemDetails
from api.routes import ROUTERS
from api.routes.attachments import DOCUMENT
from infra.codec import EnvelopeCodec
from infra.settings import Settings
from store.keys import case_keys
from store.views import AgencyCaseView, CaseView, OperationsCaseView
from tests.support import factories as f
from tests.support.http import body, open_case, post, step
from tests.support.identities import AUDITOR, bearer
from tests.support.workflow import settled
from workflows.engine.case_workflow import CaseWorkflow
from workflows.model.requests import (
    AssessmentStart,
    Length,
    Provider,
    ReflectionPeriodGrant,
)
from workflows.model.state import LOGGED
from workflows.model.vocabulary import (
    AgencyType,
    ConsentScope,
    Purpose,
    Role,
)
from workflows.rules.guards import AGENCIES
from workflows.steps import BY_NAME

LEAD = bearer("lead-heli", "office_lead", office="helsinki")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Plans need the lead's approval here, so that the approval route answers too."""
    return settings.model_copy(update={"plan_approval_required": True})

CLIENT_VIEW = "Wants safe housing; afraid of the recruiter called Tomasz."
REASON = "Referred after a raid; the employer Kowalski Berries held her passport."
MEASURE_REASON = "Housing away from Lindqvist's farm, where she was held."
NOTE = "She saw Rasmussen's car outside the shelter again."
# The person, as a notification carries it to the agencies told: theirs to know while the
# client consents.
PERSON = (f.PERSON.surname, f.PERSON.given_names, "1994-03-17", '"PHL"')
# The case's own record: only its staff and auditors ever see it, never an agency.
CASE_ONLY = (CLIENT_VIEW[:30], "Kowalski", "Lindqvist", "Rasmussen")
PERSONAL = PERSON + CASE_ONLY


@dataclass(frozen=True)
class Reader:
    name: str
    headers: dict[str, str]
    role: Role
    sees_case: bool = False  # the whole case: its office's staff, a stated reason, auditors
    told: bool = False  # an agency sent the person on a basis that may stand
    referrer: bool = False  # told the outcome of its referral, on that legal basis


READERS = [
    # Agencies and operations first: their own steps (acknowledge, answer, re-send) are taken
    # before staff take them on their behalf.
    Reader("police, the referrer told on consent",
           bearer("pol-1", "police", "police-nbi-trafficking"), Role.POLICE, told=True,
           referrer=True),
    Reader("reception centre, told on consent", bearer("rc-1", "reception_centre",
                                                       "reception-joutseno"),
           Role.RECEPTION_CENTRE, told=True),
    Reader("NGO providing a measure", bearer("ngo-1", "ngo", "victim-support-finland"),
           Role.NGO, told=True),
    Reader("border guard, not involved", bearer("bg-1", "border_guard", "border-guard"),
           Role.BORDER_GUARD),
    Reader("social services, not involved", bearer("soc-1", "social_services",
                                                   "social-services-helsinki"),
           Role.SOCIAL_SERVICES),
    Reader("operator", bearer("ops-1", "operator"), Role.OPERATOR),
    Reader("caseworker of another office", bearer("cw-olli", "caseworker", office="oulu"),
           Role.CASEWORKER),
    Reader("lead of another office", bearer("lead-oona", "office_lead", office="oulu"),
           Role.OFFICE_LEAD),
    Reader("auditor", bearer("aud-1", "auditor"), Role.AUDITOR, sees_case=True),
    Reader("lead of the office", bearer("lead-heli", "office_lead", office="helsinki"),
           Role.OFFICE_LEAD, sees_case=True),
    Reader("caseworker of another office, stating why", {
        **bearer("cw-olli", "caseworker", office="oulu"),
        "X-Access-Reason": "Covering for Helsinki tonight."}, Role.CASEWORKER, sees_case=True),
    Reader("caseworker of the office", bearer("cw-anna", "caseworker", office="helsinki"),
           Role.CASEWORKER, sees_case=True),
]
# Routes whose answer is an agency's own view of the case.
AGENCY_VIEWS = {"get_agency_case", "acknowledge_notification", "respond_to_measure"}
# Steps that would end the scan's case (or move it away) go last.
LAST = ("transfer_office", "exit_case")
ROUTES = sorted((r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)),
                key=lambda r: (r.name in LAST, LAST.index(r.name) if r.name in LAST else 0,
                               r.name not in AGENCY_VIEWS | {"resend_notification"}))


# --- field by field -------------------------------------------------------------------------

Fields = frozenset[str]
ANY: Fields = frozenset({"*"})
PROBLEM = "application/problem+json"
# Routes whose request names the scanned case: its path, or (the codec's) its payloads' key.
ABOUT_THE_CASE = {r.name for r in ROUTES if "{case_id}" in r.path} | {"decode", "encode"}
# A refusal's members beyond the problem's own, and the field of a view that tells the same.
REFUSAL_MEMBERS = {"current_version": "version", "phase": "phase", "allowed_phases": "phase",
                   "notification_id": "notifications[].id",
                   "notification_status": "notifications[].status",
                   "measure_id": "measures[].id", "measure_status": "measures[].status"}
# Told to anyone: which roles may call a route (the role table is no secret), the request's own
# fields that were not valid and the version it was based on, and a refusal's words without
# their details (`says`).
ANYONE = frozenset({"allowed_roles", "allowed_roles[]", "field", "based_on", "says"})


@functools.cache
def fields_of(model: Any) -> Fields:
    """Every field an answer of this model may hold, as paths: `a.b`, `items[].c`, and a free
    mapping's contents as `m.*` (`*` alone: anything)."""
    schema = TypeAdapter(model).json_schema(mode="serialization")
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any], path: str) -> Iterator[str]:
        if "$ref" in node:
            yield from walk(defs[node["$ref"].rsplit("/", 1)[-1]], path)
            return
        for branch in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            yield from walk(branch, path)
        for name, sub in node.get("properties", {}).items():
            yield (inner := f"{path}.{name}" if path else name)
            yield from walk(sub, inner)
        if "items" in node:
            yield f"{path}[]"
            yield from walk(node["items"], f"{path}[]")
        # A mapping of any keys, or anything at all; a model's own extras (a problem's) are not
        # its fields: REFUSAL_MEMBERS names those.
        free = "properties" not in node and node.get("additionalProperties", node.get(
            "type") is None and not any(k in node for k in ("anyOf", "oneOf", "allOf", "items",
                                                            "$ref", "enum", "const")))
        if free:
            yield f"{path}.*" if path else "*"

    return frozenset(walk(schema, ""))


def fields_in(answer: Any, path: str = "") -> Iterator[str]:
    """The fields an answer holds, as `fields_of` names them."""
    if isinstance(answer, dict):
        for name, value in answer.items():
            yield (inner := f"{path}.{name}" if path else str(name))
            yield from fields_in(value, inner)
    elif isinstance(answer, list):
        for value in answer:
            yield f"{path}[]"
            yield from fields_in(value, f"{path}[]")


def personal_fields(r: httpx.Response) -> list[str]:
    """The fields of a JSON answer named as the state's personal fields are."""
    if not r.headers.get("content-type", "").startswith(("application/json", PROBLEM)):
        return []
    return sorted({f for f in fields_in(r.json())
                   if f.rsplit(".", 1)[-1].removesuffix("[]") in LOGGED})


def may_hold(allowed: Fields, field: str) -> bool:
    parts = field.split(".")
    return field in allowed or any(".".join(parts[:i] + ["*"]) in allowed
                                   for i in range(len(parts)))


def a_step(route: APIRoute) -> bool:
    """A step's answer is the case as its reader may see it: one of the views (a union)."""
    return get_origin(route.response_model) in (Union, UnionType)


def case_view(reader: Reader, route: APIRoute, withdrawn: bool) -> Fields:
    """The fields of the scanned case this reader may be told through this route: the whole
    case; an agency's view (the admission to the referrer alone), while something it was told
    still stands; the operations view; or none of it."""
    model = route.response_model
    if reader.sees_case:
        return fields_of(CaseView if a_step(route) else model)
    if reader.role in AGENCIES:
        standing = reader.told and (reader.referrer or not withdrawn)
        if route.name not in AGENCY_VIEWS or not standing:
            return frozenset()
        view = fields_of(AgencyCaseView)
        return view if reader.referrer else view - {"admitted"}
    if a_step(route) and reader.role in ALLOWED[route.name]:  # operations' view
        return fields_of(OperationsCaseView)
    return frozenset()


def allowed_fields(reader: Reader, route: APIRoute, withdrawn: bool, problem: bool) -> Fields:
    """The table: what this reader may be told by this route about the scanned case."""
    if route.name in ABOUT_THE_CASE:
        view = case_view(reader, route, withdrawn)
    else:  # a list without personal data, or a case of the reader's own
        view = fields_of(route.response_model) if reader.role in ALLOWED[route.name] else (
            frozenset())
    if not problem:
        return view
    if reader.sees_case:
        return ANY  # whoever sees the whole case may hear every refusal of its rules
    members = {m for m, field in REFUSAL_MEMBERS.items() if field in view}
    return fields_of(ProblemDetails) | ANYONE | members


def unknown_fields(r: httpx.Response, reader: Reader, route: APIRoute,
                   withdrawn: bool) -> list[str]:
    """The fields of a JSON answer its reader may not be told (CSV and SVG are checked by the
    search for personal data alone)."""
    if not r.headers.get("content-type", "").startswith(("application/json", PROBLEM)):
        return []
    allowed = allowed_fields(reader, route, withdrawn,
                             r.headers["content-type"].startswith(PROBLEM))
    return sorted({f for f in fields_in(r.json()) if not may_hold(allowed, f)})


# The first steps of a case, taken on a second case of the same person, just referred.
EARLY = ("decide_admission", "begin_assessment", "assess_needs")
# A document (shared with the agencies the client shares measures with), as the scan adds it.
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DOCUMENT_FORM = {"caption": "Employment contract", "reason": "Scanned.", "shared_for": "measures"}
INTAKE = ("take_over", "ask_referrer", "mark_duplicate")  # on an agency's referral, in this order


@dataclass
class Case:
    id: str
    early_id: str  # referred only
    police_notice: str  # the police's notification, to acknowledge
    failed_notice: str  # a failed one, to re-send
    payloads: dict[str, Any]  # an encrypted payload of the case, for the codec
    waiting_id: str  # an agency's referral, waiting in intake
    number: str  # the rich case's reference number (the duplicate's case that goes on)
    plan: int = 1  # the newest plan revision, for the lead to approve

    def for_route(self, name: str) -> str:
        return self.early_id if name in EARLY else self.waiting_id if name in INTAKE else self.id


def requests(route: APIRoute, case: Case) -> tuple[str, str, Any]:
    """The route called as a client would, with a valid body where it takes one."""
    params = {"case_id": case.for_route(route.name), "measure_id": "M1", "deadline_id": "D4",
              "notification_id": case.police_notice, "action": {
                  "change_measure": "start", "change_deadline": "meet"}.get(route.name, ""),
              "plan": str(case.plan), "member_id": "P1", "document_id": "A1"}
    if route.name == "end_measure":
        params["measure_id"] = "M2"  # started in the rich case
    if route.name == "resend_notification":
        params["notification_id"] = case.failed_notice
    path = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], route.path)
    (method,) = route.methods
    reason = {"reason": "Recorded for the scan."}
    bodies: dict[str, Any] = {
        "open_case": body(f.referral()), "decide_admission": body(f.admission()),
        "record_consultation": EXAMPLES["Consultation"],
        "refer_from_agency": EXAMPLES["AgencyReferral"],
        "mark_duplicate": {**reason, "duplicate_of": case.number},
        "begin_assessment": body(AssessmentStart(reason="x", started_on=f.today())),
        "assess_needs": body(f.assessment()), "add_measure": body(f.measure()),
        "respond_to_measure": {**reason, "accepted": True},
        "change_provider": {**reason, "provider": {"agency_type": "ngo",
                                                   "organisation": "Another NGO"}},
        "record_criminal_stage": body(f.criminal(f.CriminalStage.REPORTED)),
        "record_consent": body(f.consent(ConsentScope.CONTACT_POLICE)),
        "transition_to_municipality": body(f.transition()),
        "exit_case": body(f.exit_decision()), "reassign": body(f.reassignment()),
        "transfer_office": body(f.transfer()),
        "grant_reflection_period": body(ReflectionPeriodGrant(
            reason="Granted by the police.", granted_on=f.today(), length=Length(days=30),
            granted_by=AgencyType.POLICE)),
        "extend_deadline": {**reason, "extension": {"days": 10}},
        "notify_by_hand": body(f.manual_notification("police-nbi-trafficking")),
        "revise_plan": body(f.plan()), "record_contact": body(f.contact(note=NOTE)),
        "join_network": body(f.network_member()),
        "end_measure": {**reason, "outcome": "implemented"},
        "decode": case.payloads, "encode": case.payloads,
    }
    # A step without a body of its own here is sent its declaration's example.
    example = BY_NAME[route.name].example if route.name in BY_NAME else reason
    return method, path, bodies.get(route.name, example if method == "POST" else None)


async def rich_case(http: httpx.AsyncClient, temporal: Client, settings: Settings, *,
                    withdrawn: bool) -> Case:
    """A case whose every agency has been told something: the police (its referrer, and on the
    client's consent), the reception centre and an NGO (on consent to share), and a notice
    that failed. With `withdrawn`, the client has since withdrawn both consents."""
    case = await open_case(http, reason=REASON, referrer={
        "agency_type": "police", "organisation": "NBI", "agency_id": "police-nbi-trafficking"})
    case = await step(http, case, "/admission", f.admission())
    case = await step(http, case, "/consents", f.consent(ConsentScope.SHARE_WITH_AGENCIES))
    case = await step(http, case, "/assessment", body(f.assessment(), client_view=CLIENT_VIEW))
    case = await step(http, case, "/measures", f.measure().model_copy(update={
        "reason": MEASURE_REASON, "provider": Provider(
            agency_type="ngo", organisation="Victim Support Finland",
            agency_id="victim-support-finland")}))
    case = await step(http, case, "/consents", f.consent(ConsentScope.CONTACT_POLICE))
    case = await step(http, case, "/notifications", f.manual_notification("nowhere"))
    # The work between the steps: a measure under way, the NGO in the support network with
    # the client's consent to share the plan with it, a plan approved, a contact's note.
    case = await step(http, case, "/measures", f.measure())
    case = await step(http, case, "/measures/M2/start", {"reason": "Flat ready."})
    case = await step(http, case, "/network", f.network_member("victim-support-finland"))
    case = await step(http, case, "/consents", f.consent(
        ConsentScope.SHARE_WITH_AGENCIES, agency_id="victim-support-finland",
        purpose=Purpose.PLAN))
    case = await step(http, case, "/plans", f.plan("M1", "M2"))
    case = await step(http, case, "/plans/1/approval", {"reason": "Agreed."}, LEAD)
    case = await step(http, case, "/contacts", f.contact(note=NOTE))
    handle = temporal.get_workflow_handle_for(CaseWorkflow.run, case["case_id"])
    state = await settled(handle)
    if withdrawn:
        for scope in (ConsentScope.SHARE_WITH_AGENCIES, ConsentScope.CONTACT_POLICE):
            r = await post(http, f"/v1/cases/{case['case_id']}/consents",
                           f.consent(scope, given=False), state.version)
            assert r.status_code == 200, r.text
            state = await settled(handle)
    by_purpose = {n.purpose: n for n in state.notifications}
    assert {p: n.status for p, n in by_purpose.items()} == {
        "referral_outcome": "delivered", "joint_assessment": "delivered",
        "measure_referral": "delivered", "police_contact": "delivered", "by_hand": "failed"}
    codec = EnvelopeCodec(case_keys(settings)).with_context(WorkflowSerializationContext(
        namespace="default", workflow_id=case["case_id"]))
    (sealed,) = await codec.encode([Payload(metadata={"encoding": b"json/plain"},
                                            data=f'"{f.PERSON.surname}"'.encode())])
    payloads = {"payloads": [{"metadata": {k: base64.b64encode(v).decode()
                                           for k, v in sealed.metadata.items()},
                              "data": base64.b64encode(sealed.data).decode()}]}
    early = await open_case(http, reason=REASON)
    waiting = await http.post("/v1/referrals", json=EXAMPLES["AgencyReferral"],
                              headers=bearer("o-1", "police", "police-nbi-trafficking"))
    assert waiting.status_code == 201, waiting.text
    return Case(case["case_id"], early["case_id"], by_purpose["police_contact"].id,
                by_purpose["by_hand"].id, payloads, waiting.json()["case_id"],
                case["reference_number"])


def readable(r: httpx.Response) -> str:
    """The answer as its reader can read it: payloads (the codec's) decoded from base64."""
    text = r.text
    if r.headers.get("content-type", "").startswith("application/json"):
        answer = r.json()
        if isinstance(answer, dict) and isinstance(answer.get("payloads"), list):
            text += "".join(base64.b64decode(p.get("data", "")).decode(errors="replace")
                            for p in answer["payloads"])
    return text


async def version_of(http: httpx.AsyncClient, case_id: str) -> int:
    r = await http.get(f"/v1/cases/{case_id}", headers=AUDITOR)
    assert r.status_code == 200, r.text
    return r.json()["version"]


async def newest_plan(http: httpx.AsyncClient, case_id: str) -> int:
    r = await http.get(f"/v1/cases/{case_id}", headers=AUDITOR)
    return len(r.json()["plans"])


@pytest.mark.parametrize("withdrawn", [False, True], ids=["consent given", "consent withdrawn"])
async def test_no_answer_carries_personal_data_its_reader_may_not_know(
        http: httpx.AsyncClient, temporal: Client, settings: Settings, withdrawn: bool) -> None:
    case = await rich_case(http, temporal, settings, withdrawn=withdrawn)
    seen: dict[str, set[str]] = {}  # reader -> routes whose answer held personal data
    answered: set[tuple[str, str]] = set()
    for route in ROUTES:
        for reader in READERS:
            if route.name == "approve_plan":
                case.plan = await newest_plan(http, case.id)
            method, path, payload = requests(route, case)
            version = await version_of(http, case.for_route(route.name))
            headers = {**reader.headers, "If-Match": f'"{version}"'}
            if route.name == DOCUMENT.name:  # a file, in a form
                r = await http.post(path, headers=headers, data=DOCUMENT_FORM,
                                    files={"file": ("scan.pdf", PDF, "application/pdf")})
            else:
                r = await http.request(method, path, json=payload, headers=headers)
            if r.status_code < 300:
                answered.add((reader.name, route.name))

            extra = unknown_fields(r, reader, route, withdrawn)
            assert extra == [], (f"{reader.name} was told {extra} by {method} {path}: "
                                 f"{r.status_code}")
            leaked = [p for p in PERSONAL if p in readable(r)]
            if leaked and route.name != "open_case":  # a referral: their own new case
                seen.setdefault(reader.name, set()).add(route.name)
            may_know = reader.sees_case or (
                reader.told and not withdrawn and route.name in AGENCY_VIEWS
                and not set(leaked) & set(CASE_ONLY)) or (
                # A referral's answer is the new case, assigned to the one who referred it.
                route.name == "open_case" and reader.role in (Role.CASEWORKER,
                                                               Role.OFFICE_LEAD))
            assert may_know or not leaked, (
                f"{reader.name} got {leaked} from {method} {path}: {r.status_code}")
            # And by the state's own marking: no field it calls personal reaches a reader who
            # may never be told any (workflows/model/personal.py).
            if not (reader.sees_case or reader.told) and route.name != "open_case":
                marked = personal_fields(r)
                assert not marked, f"{reader.name} got {marked} from {method} {path}"

    # The scan saw real answers, not refusals only: each role's own routes answered.
    silent = {route.name for route in ROUTES if not any(
        (reader.name, route.name) in answered for reader in READERS
        if reader.role in ALLOWED[route.name])}
    assert silent == set(), silent
    assert {"get_case", "get_notifications", "decode"} <= seen["caseworker of the office"]
    assert "get_case" in seen["caseworker of another office, stating why"]
    assert "get_case" in seen["auditor"]
    if withdrawn:
        assert not {r.name for r in READERS if r.told} & set(seen)
    else:  # what the agencies were sent with consent, they still see
        assert "get_agency_case" in seen["police, the referrer told on consent"]
        assert "get_agency_case" in seen["NGO providing a measure"]
    assert {"get_contacts", "record_contact"} <= seen["caseworker of the office"]  # the note
    for reader in READERS:
        if not reader.sees_case and not reader.told:
            assert reader.name not in seen
