"""Bearer tokens: every way a token can be wrong gives 401; the identity provider's JWKS (served
over HTTP here) is honoured, keys it does not list are not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from infra.database import engine_for
from infra.settings import Settings
from infra.tokens import key_id, signing_key
from store.audit import entries_for
from tests.support.http import assert_problem, open_case
from tests.support.identities import KEYED, bearer


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": KEYED.auth_issuer, "aud": KEYED.auth_audience, "sub": "cw-anna", "iat": now,
            "nbf": now, "exp": now + 600, "casework_role": "caseworker",
            "casework_office": "helsinki"}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def signed(payload: dict[str, Any], key: Any = None, kid: str | None = None,
           algorithm: str = "ES256") -> dict[str, str]:
    key = key or signing_key(KEYED)
    kid = kid or key_id(signing_key(KEYED).public_key())
    token = jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})
    return {"Authorization": f"Bearer {token}"}


OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_PEM = signing_key(KEYED).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

def hmac_with_public_key() -> str:
    """The algorithm-confusion attack: HS256 "signed" with the verifier's public key. PyJWT
    refuses to make one, so it is made by hand."""
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    kid = key_id(signing_key(KEYED).public_key())
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims()).encode())
    mac = hmac.new(PUBLIC_PEM, head + b"." + body, hashlib.sha256).digest()
    return (head + b"." + body + b"." + b64(mac)).decode()


REFUSED = {
    "missing": {},
    "not bearer": {"Authorization": "Basic Y3ctYW5uYTpzZWNyZXQ="},
    "not a jwt": {"Authorization": "Bearer not-a-token"},
    "expired": signed(claims(iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200,
                             exp=int(time.time()) - 3600)),
    "not yet valid": signed(claims(nbf=int(time.time()) + 3600)),
    "wrong issuer": bearer("cw-anna", "caseworker", auth_issuer="https://idp.elsewhere.example"),
    "wrong audience": bearer("cw-anna", "caseworker", auth_audience="another-api"),
    "unknown key id": signed(claims(), key=OTHER_KEY, kid="0123456789abcdef"),
    "forged signature": signed(claims(), key=OTHER_KEY),
    "alg none": {"Authorization": "Bearer " + jwt.encode(
        claims(), None, algorithm="none",
        headers={"kid": key_id(signing_key(KEYED).public_key())})},
    "public key as HMAC secret": {"Authorization": f"Bearer {hmac_with_public_key()}"},
    "no expiry": signed(claims(exp=None)),
    "no subject": signed(claims(sub=None)),
    "unknown role": signed(claims(casework_role="superuser")),
    "the public form's role, which no person has": signed(claims(casework_role="public")),
    "valid until 9999": signed(claims(exp=253402300799)),
    "valid for a week": signed(claims(exp=int(time.time()) + 7 * 86400)),
    "issued in the future": signed(claims(iat=int(time.time()) + 3600)),
    "agency role without an agency": signed(claims(casework_role="police")),
    "caseworker without an office": signed(claims(casework_office=None)),
    "office lead without an office": signed(claims(casework_role="office_lead",
                                                   casework_office=None)),
    "an office that does not exist": signed(claims(casework_office="stockholm")),
    # Malformed claims, signed by the right key (each was a 500 while PyJWT let it through).
    "iat a string of digits": signed(claims(iat=str(int(time.time())))),
    "iat a word": signed(claims(iat="yesterday")),
    "iat true": signed(claims(iat=True)),
    "exp a string of digits": signed(claims(exp=str(int(time.time()) + 600))),
    "exp a list": signed(claims(exp=[int(time.time()) + 600])),
    "nbf a string of digits": signed(claims(nbf=str(int(time.time())))),
    "sub a number": signed(claims(sub=12345)),
    "sub an object": signed(claims(sub={"id": "cw-anna"})),
    "role a list": signed(claims(casework_role=["caseworker", "operator"])),
    "role a number": signed(claims(casework_role=1)),
    "office an object": signed(claims(casework_office={"name": "helsinki"})),
    "agency a number": signed(claims(casework_role="police", casework_agency=7)),
}


@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
async def test_a_bad_token_is_refused(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    r = await http.get("/v1/cases", headers=headers)
    problem = assert_problem(r, 401, "Unauthenticated")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    token = headers.get("Authorization", " ").split(" ", 1)[1]
    assert not token or token not in problem["detail"]


async def test_the_token_names_the_actor(http: httpx.AsyncClient, settings: Settings) -> None:
    headers = bearer("cw-ville", "caseworker", office="helsinki")
    case = await open_case(http, headers=headers)
    assert case["steps"][0]["actor"] == {"user_id": "cw-ville", "role": "caseworker",
                                         "agency": None, "office": "helsinki"}
    entries = entries_for(engine_for(settings.audit_database), case["case_id"])
    assert [(e.actor_id, e.role, e.outcome) for e in entries] == [
        ("cw-ville", "caseworker", "intent"), ("cw-ville", "caseworker", "201")]


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, ec.EllipticCurvePrivateKey]]:
    """An identity provider's JWKS endpoint on loopback, listing one key."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": "idp-key-1",
           "use": "sig", "alg": "ES256"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", key
    server.shutdown()


@pytest.fixture
async def idp_http(dev_env: WorkflowEnvironment, settings: Settings,
                   provider: tuple[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings.model_copy(update={
        "auth_jwks_url": provider[0], "auth_issuer": "https://idp.example/realms/casework"})
    app = create_app(settings, dev_env.client)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://api") as client:
            yield client


async def test_tokens_of_the_identity_provider(idp_http: httpx.AsyncClient,
                                               provider: tuple[str, Any]) -> None:
    _, key = provider
    issued = claims(iss="https://idp.example/realms/casework", sub="ops-7",
                    casework_role="operator")
    r = await idp_http.get("/v1/cases", headers=signed(issued, key=key, kid="idp-key-1"))
    assert r.status_code == 200, r.text
    for headers in (signed(issued, key=key, kid="idp-key-2"),  # a key the provider does not list
                    signed(issued, key=OTHER_KEY, kid="idp-key-1"),  # forged
                    bearer("ops-7", "operator")):  # the local key means nothing here
        assert_problem(await idp_http.get("/v1/cases", headers=headers), 401, "Unauthenticated")
