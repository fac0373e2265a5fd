"""The API's contract: the committed `openapi.json` is what the code answers, it documents every
problem, header and body, and a client generated from it works as it is."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.contract import render
from api.main import create_app
from api.problems import CODES, MEDIA_TYPE
from tests.support import factories as f
from tests.support.http import assert_problem, body
from tests.support.identities import CASEWORKER, OPERATOR
from workflows.model import consultations, requests
from workflows.model.vocabulary import DocumentType
from workflows.steps import STEPS

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi.json"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    return create_app().openapi()


def operations(contract: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, methods in contract["paths"].items()
            for method, op in methods.items()]


def test_the_committed_contract_is_what_the_code_answers() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(create_app()), (
        "openapi.json is stale: run `.venv/bin/casework openapi --out openapi.json` and commit "
        "it (and say in the change what the API now does differently)")


def test_every_operation_documents_its_problems_and_headers(contract: dict[str, Any]) -> None:
    for method, path, op in operations(contract):
        where = f"{method} {path}"
        assert "_v1_" not in op["operationId"] and op.get("summary"), where
        statuses = set(op["responses"])
        assert {"413", "422", "431", "500", "503"} <= statuses, where
        for status, response in op["responses"].items():
            assert "X-Request-ID" in response["headers"], (where, status)
            if status >= "400":
                assert response["content"] == {MEDIA_TYPE: {"schema": {
                    "$ref": "#/components/schemas/ProblemDetails"}}}, (where, status)
                named = {c for c in CODES if f"`{c}`" in response["description"]}
                assert named and {str(CODES[c][0]) for c in named} == {status}, (where, status)
        if path.startswith(("/v1", "/codec")):
            assert {"401", "403"} <= statuses and op["security"], where
        if_match = [p for p in op.get("parameters", []) if p["name"] == "If-Match"]
        if method == "POST" and "{case_id}/" in path:  # every step
            assert if_match and if_match[0]["required"], where
            assert {"404", "409", "410", "428"} <= statuses, where
            assert "ETag" in op["responses"]["200"]["headers"], where
        else:
            assert not if_match, where
    opened = contract["paths"]["/v1/cases"]["post"]["responses"]
    assert {"ETag", "Location"} <= set(opened["201"]["headers"]) and "200" in opened


def test_the_problem_schema_lists_every_code(contract: dict[str, Any]) -> None:
    schema = contract["components"]["schemas"]["ProblemDetails"]
    assert schema["properties"]["code"]["enum"] == sorted(c.value for c in CODES)
    assert set(schema["required"]) == {"type", "title", "status", "detail", "instance", "code"}


def test_every_body_has_a_description_and_an_example_that_is_valid(
        contract: dict[str, Any]) -> None:
    schemas = contract["components"]["schemas"]
    bodies = 0
    for method, path, op in operations(contract):
        if "requestBody" not in op:
            continue
        bodies += 1
        form = op["requestBody"]["content"].get("multipart/form-data")
        if form is not None:  # a document: its file, what it is and why, as a form
            name = form["schema"]["$ref"].rsplit("/", 1)[-1]
            assert {"file", "caption", "reason"} <= set(schemas[name]["required"])
            continue
        content = op["requestBody"]["content"]["application/json"]
        assert op["requestBody"]["description"], f"{method} {path}"
        ref = content["schema"].get("$ref")
        if ref is None:  # the codec's payloads: an example of their own
            assert content["schema"]["examples"], f"{method} {path}"
            continue
        name = ref.rsplit("/", 1)[-1]
        (example,) = schemas[name]["examples"]
        model = getattr(requests, name, None) or getattr(consultations, name)
        model.model_validate(example)  # raises if it is not valid
    assert bodies == len(STEPS) + 5  # each step's, both referrals', a consultation's, codec's 2


async def test_invalid_json_is_reported_at_the_body_with_its_place(
        http: httpx.AsyncClient) -> None:
    r = await http.post("/v1/cases", content=b'{"reason": "x",,}',
                        headers={**CASEWORKER, "Content-Type": "application/json"})
    assert assert_problem(r, 422, "InvalidRequest")["errors"] == [{
        "field": "body", "type": "json_invalid", "message": "not valid JSON at character 15: "
        "Expecting property name enclosed in double quotes"}]


def generate_client(folder: Path) -> Any:
    """openapi-python-client, as an agency's developer would run it, on the committed file."""
    config = folder / "config.json"
    # The timeline picture is SVG text; the generator knows text/plain, not image/svg+xml; and
    # a document's file is bytes whatever its kind.
    config.write_text(json.dumps({"content_type_overrides": {
        "image/svg+xml": "text/plain",
        **dict.fromkeys(map(str, DocumentType), "application/octet-stream")}}))
    done = subprocess.run(
        [BIN / "openapi-python-client", "generate", "--path", COMMITTED, "--output-path",
         folder / "casework_client", "--meta", "none", "--config", config],
        capture_output=True, text=True, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        timeout=120)
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("casework_client")
    finally:
        sys.path.remove(str(folder))


async def test_a_generated_client_takes_a_case_through_its_first_step(
        api_app: FastAPI, tmp_path: Path) -> None:
    generated = generate_client(tmp_path)
    from casework_client.api.cases import decide_admission, list_cases, open_case
    from casework_client.models import AdmissionDecision, CaseView, ProblemDetails, Referral

    def client(headers: dict[str, str]) -> Any:
        return generated.Client(base_url="http://api", headers=headers, httpx_args={
            "transport": httpx.ASGITransport(app=api_app)})

    caseworker = client(CASEWORKER)
    opened = await open_case.asyncio_detailed(
        client=caseworker, body=Referral.from_dict(body(f.referral())), idempotency_key="gen-1")
    assert opened.status_code == 201 and isinstance(opened.parsed, CaseView)
    case_id, etag = opened.parsed.case_id, opened.headers["ETag"]

    admitted = await decide_admission.asyncio_detailed(
        case_id, client=caseworker, body=AdmissionDecision.from_dict(body(f.admission())),
        if_match=etag)
    assert admitted.status_code == 200 and admitted.parsed.phase == "admitted"
    assert admitted.parsed.version == 2 and admitted.headers["ETag"] == '"2"'

    again = await decide_admission.asyncio_detailed(
        case_id, client=caseworker, body=AdmissionDecision.from_dict(body(f.admission())),
        if_match=etag)
    assert isinstance(again.parsed, ProblemDetails) and again.parsed.code == "StaleVersion"

    listed = await list_cases.asyncio(client=client(OPERATOR))
    assert case_id in {row.case_id for row in listed.items}
