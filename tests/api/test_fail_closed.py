"""Nothing fails open: the development sign-in runs only on the embedded defaults with the API
on loopback (elsewhere the API refuses to start, saying what to set), and every answer, the
API's and the console's, errors included, carries the security headers; HSTS only over TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from console.app import create_app as create_console
from infra.settings import Settings
from tests.support.http import assert_problem
from tests.support.identities import CASEWORKER

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = {"auth_jwks_url": "https://idp.example/realms/casework/jwks",
            "auth_issuer": "https://idp.example/realms/casework"}

# Where no identity provider is configured, and what the refusal names to set.
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "a Temporal cluster": ({"temporal_address": "temporal.example:7233"},
                           "CASEWORK_TEMPORAL_ADDRESS"),
    "a Temporal server on loopback": ({"temporal_address": "127.0.0.1:7233"},
                                      "CASEWORK_TEMPORAL_ADDRESS"),
    "every interface": ({"api_host": "0.0.0.0"}, "CASEWORK_API_HOST"),
    "every IPv6 interface": ({"api_host": "::"}, "CASEWORK_API_HOST"),
    "a LAN address": ({"api_host": "192.168.1.10"}, "CASEWORK_API_HOST"),
    "a name, not an address": ({"api_host": "localhost"}, "CASEWORK_API_HOST"),
    "IPv4-mapped loopback": ({"api_host": "::ffff:127.0.0.1"}, "CASEWORK_API_HOST"),
}


@pytest.mark.parametrize(("changes", "setting"), REFUSED.values(), ids=REFUSED.keys())
async def test_no_development_sign_in_off_the_embedded_defaults_or_loopback(
        settings: Settings, dev_env: WorkflowEnvironment, changes: dict[str, Any],
        setting: str) -> None:
    refused = settings.model_copy(update=changes)
    assert not refused.dev_sign_in
    with pytest.raises(ValueError, match=setting) as raised:
        refused.check_sign_in()
    assert "CASEWORK_AUTH_JWKS_URL" in str(raised.value)
    # The application does not start: no page, no token of the local key, is ever served.
    app = create_console(refused, dev_env.client)
    with pytest.raises(ValueError, match="CASEWORK_AUTH_JWKS_URL"):
        async with app.router.lifespan_context(app):
            pass


@pytest.mark.parametrize("host", ["127.0.0.1", "127.10.0.2", "::1", "[::1]"])
def test_the_development_sign_in_on_the_embedded_defaults_on_loopback(settings: Settings,
                                                                      host: str) -> None:
    here = settings.model_copy(update={"api_host": host})
    assert here.embedded and here.dev_sign_in
    here.check_sign_in()
    # An identity provider configured: never the development sign-in, wherever the API is.
    for changes in REFUSED.values():
        provided = here.model_copy(update={**changes[0], **PROVIDER})
        provided.check_sign_in()
        assert not provided.dev_sign_in


async def test_with_an_identity_provider_the_console_has_no_development_sign_in(
        settings: Settings, dev_env: WorkflowEnvironment) -> None:
    deployed = settings.model_copy(update={"temporal_address": "temporal.example:7233",
                                           "api_host": "0.0.0.0", **PROVIDER})
    app = create_console(deployed, dev_env.client)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console") as http:
        page = await http.get("/sign-in")
        assert page.status_code == 200 and 'name="user_id"' not in page.text
        r = await http.post("/sign-in", data={"user_id": "cw-x", "role": "caseworker",
                                              "office": "helsinki"})
        assert r.status_code == 403 and "casework_session" not in r.headers.get("set-cookie", "")


def casework(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**clean, "CASEWORK_DATA_DIR": str(tmp_path / "data"), **env})


def test_the_commands_refuse_to_start_saying_what_to_set(tmp_path: Path) -> None:
    api = casework(tmp_path, "api", CASEWORK_API_HOST="0.0.0.0")
    assert api.returncode == 2
    assert "CASEWORK_API_HOST" in api.stderr and "CASEWORK_AUTH_JWKS_URL" in api.stderr
    run = casework(tmp_path, "run", CASEWORK_TEMPORAL_ADDRESS="127.0.0.1:1")
    assert run.returncode == 2 and "CASEWORK_TEMPORAL_ADDRESS" in run.stderr
    assert list((tmp_path / "data").iterdir()) == []  # nothing started, nothing written
    token = casework(tmp_path, "token", "cw-1", "--role", "caseworker", "--office", "helsinki",
                     CASEWORK_API_HOST="0.0.0.0")
    assert token.returncode == 2 and "CASEWORK_API_HOST" in token.stderr
    assert token.stdout == ""


# --- the headers of every answer -----------------------------------------------------------

@pytest.fixture
async def console(settings: Settings, dev_env: WorkflowEnvironment) -> AsyncIterator[FastAPI]:
    app = create_console(settings, dev_env.client)
    async with app.router.lifespan_context(app):
        yield app


def client(app: Any, base_url: str = "http://console",
           peer: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(peer, 50000)),
                             base_url=base_url)


def assert_secured(r: httpx.Response, *, cached: bool = False) -> None:
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    policy = r.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert r.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert (r.headers.get("Cache-Control") == "no-store") is not cached
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP here


async def test_every_answer_carries_the_security_headers(console: FastAPI) -> None:
    async with client(console) as http:
        answer = await http.get("/v1/cases", headers=CASEWORKER)
        assert answer.status_code == 200
        assert_secured(answer)
        assert answer.headers["Referrer-Policy"] == "no-referrer"

        page = await http.get("/sign-in")
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        assert_secured(page)
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "same-origin"  # the console's own choice

        for error in (await http.get("/v1/cases"), await http.get("/v1/no-such-thing"),
                      await http.get("/work")):  # refused, unknown, a page needing a session
            assert error.status_code in (303, 401, 404), error.text
            assert_secured(error)
        assert_problem(await http.get("/v1/cases"), 401, "Unauthenticated")

        # The packages' static files, the same for everyone, may be cached.
        for asset in ("/static/console.css", "/docs/assets/swagger-ui.css"):
            static = await http.get(asset)
            assert static.status_code == 200, asset
            assert_secured(static, cached=True)


async def test_hsts_only_over_tls(console: FastAPI) -> None:
    hsts = "max-age=31536000; includeSubDomains"
    async with client(console, "https://console") as http:
        for r in (await http.get("/sign-in"), await http.get("/v1/cases"),
                  await http.get("/v1/cases", headers=CASEWORKER)):
            assert r.headers["Strict-Transport-Security"] == hsts
    async with client(console) as http:
        # A client's own X-Forwarded-Proto counts for nothing.
        r = await http.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in r.headers
    # Behind uvicorn's proxy handling (`casework api`): the proxy it trusts (FORWARDED_ALLOW_IPS,
    # loopback by default) says the request came over TLS; anyone else saying so is not heard.
    proxied = ProxyHeadersMiddleware(console, trusted_hosts="127.0.0.1")  # type: ignore[arg-type]
    async with client(proxied, peer="127.0.0.1") as http:
        r = await http.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
        assert r.headers["Strict-Transport-Security"] == hsts
    async with client(proxied, peer="203.0.113.7") as http:
        r = await http.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in r.headers
