"""The Web UI's codec endpoint: authenticated, audited, CORS for the UI's origin only."""

from __future__ import annotations

import base64

import httpx

from tests.support.http import assert_problem
from tests.support.identities import AUDITOR, OPERATOR

PLAIN = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                       "data": base64.b64encode(b'{"surname": "Vasquez-Testperson"}').decode()}]}


async def test_the_codec_round_trip_for_an_authorised_user(http: httpx.AsyncClient) -> None:
    r = await http.post("/codec/encode", json=PLAIN, headers=AUDITOR)
    assert r.status_code == 200, r.text
    sealed = r.json()
    assert "VmFzcXVleg" not in r.text and "Vasquez" not in r.text  # neither base64 nor plain
    r = await http.post("/codec/decode", json=sealed, headers=AUDITOR)
    assert r.status_code == 200 and r.json() == PLAIN

    assert_problem(await http.post("/codec/decode", json=sealed), 401, "Unauthenticated")
    assert_problem(await http.post("/codec/decode", json=sealed, headers=OPERATOR), 403,
                   "Forbidden")
    tampered = {"payloads": [{**sealed["payloads"][0], "data": PLAIN["payloads"][0]["data"]}]}
    assert_problem(await http.post("/codec/decode", json=tampered, headers=AUDITOR), 422,
                   "InvalidRequest")
    assert_problem(await http.post("/codec/decode", json={"payloads": "x"}, headers=AUDITOR),
                   422, "InvalidRequest")


async def test_cross_origin_calls_only_from_the_web_ui(http: httpx.AsyncClient) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {"Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type"}

    ui = await http.options("/codec/decode", headers=preflight("http://127.0.0.1:8233"))
    assert ui.headers.get("access-control-allow-origin") == "http://127.0.0.1:8233"
    other = await http.options("/codec/decode", headers=preflight("https://evil.example"))
    assert "access-control-allow-origin" not in other.headers
    # Nothing but the codec: the UI's origin cannot read a case with someone's credentials.
    case = await http.get("/v1/cases", headers={**AUDITOR, "Origin": "http://127.0.0.1:8233"})
    assert case.status_code == 200 and "access-control-allow-origin" not in case.headers
