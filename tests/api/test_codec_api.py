"""The Web UI's codec endpoint: authenticated, audited, CORS for the UI's origin only."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from fastapi import FastAPI
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from infra.codec import COMPRESSION, ENCODING, KEY_REF, seal
from infra.compression import NEWEST
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


async def test_an_authentic_payload_the_release_cannot_expand_is_a_clear_422(
        http: httpx.AsyncClient, api_app: FastAPI) -> None:
    masters = api_app.state.keys.masters
    ref = f"master:{masters.newest_id}"

    def sealed(method: bytes, data: bytes) -> dict[str, Any]:
        payload = Payload(metadata={"encoding": ENCODING, KEY_REF: ref.encode(),
                                    COMPRESSION: method},
                          data=seal(masters[masters.newest_id], data, f"{ref};".encode() + method))
        return json_format.MessageToDict(Payloads(payloads=[payload]))

    newer = await http.post("/codec/decode", json=sealed(b"zstd-d9", b"\x28\xb5\x2f\xfd"),
                            headers=AUDITOR)
    assert_problem(newer, 422, "InvalidRequest")
    assert "'zstd-d9', which this release does not read" in newer.json()["detail"]
    broken = await http.post("/codec/decode", json=sealed(NEWEST, b"not deflate"),
                             headers=AUDITOR)
    assert_problem(broken, 422, "InvalidRequest")
