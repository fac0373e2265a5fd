"""Talking to the API as its clients do: a referral, a step with its If-Match, a problem's
shape checked (and that it names no one)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import factories as f
from tests.support.identities import CASEWORKER

PROBLEM = "application/problem+json"

def body(model: Any, **changes: Any) -> dict[str, Any]:
    return {**model.model_dump(mode="json"), **changes}

async def open_case(http: httpx.AsyncClient, key: str | None = None,
                    headers: dict[str, str] = CASEWORKER, **changes: Any) -> dict:
    headers = {**headers, **({"Idempotency-Key": key} if key else {})}
    r = await http.post("/v1/cases", json=body(f.referral(**changes)), headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()

async def post(http: httpx.AsyncClient, path: str, payload: Any, version: int | str | None,
               key: str | None = None, headers: dict[str, str] = CASEWORKER) -> httpx.Response:
    extra = {"If-Match": f'"{version}"'} if version is not None else {}
    if key:
        extra["Idempotency-Key"] = key
    data = payload if isinstance(payload, dict) else body(payload)
    return await http.post(path, json=data, headers={**headers, **extra})

async def step(http: httpx.AsyncClient, case: dict, path: str, payload: Any,
               headers: dict[str, str] = CASEWORKER) -> dict:
    r = await post(http, f"/v1/cases/{case['case_id']}{path}", payload, case["version"],
                   headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    return r.json()

def assert_problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == code and problem["status"] == status and problem["detail"]
    assert "Vasquez" not in r.text and "Traceback" not in r.text
    return problem
