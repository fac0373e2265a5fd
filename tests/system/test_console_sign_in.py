"""Signing in to the console with OpenID Connect against a real provider on loopback: the
authorization code flow with PKCE (S256), state and nonce; the ID token verified like a bearer
token; and no development sign-in where a provider is configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import accessibility_problems, chromium, local_only
from tests.support.identity_provider import IdentityProvider
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def stack(idp: IdentityProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("oidc-stack")))
    stack.env.update(CASEWORK_AUTH_JWKS_URL=idp.jwks_url, CASEWORK_AUTH_ISSUER=idp.issuer,
                     # The provider is on loopback over plain HTTP; Authlib otherwise (rightly)
                     # refuses an OAuth exchange that is not over HTTPS.
                     AUTHLIB_INSECURE_TRANSPORT="1")
    stack.start()
    yield stack
    stack.stop()


def test_a_caseworker_signs_in_at_the_identity_provider(stack: Stack,
                                                          idp: IdentityProvider) -> None:
    with chromium() as browser:
        page = browser.new_page()
        tried = local_only(page)
        page.goto(f"{stack.url}/sign-in")
        assert page.locator("#user_id").count() == 0  # no development sign-in here
        assert accessibility_problems(page) == []
        page.locator("main a[href='/auth/start']").click()
        expect(page.locator(".me")).to_contain_text("cw-oidc")
        assert page.url.endswith("/work") and tried == []
        (asked,) = idp.authorized
        assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
        assert asked["client_id"] == "casework-api" and idp.refused == []


def test_a_sign_in_that_does_not_match_is_refused(stack: Stack, idp: IdentityProvider) -> None:
    with httpx.Client(base_url=stack.url, timeout=10) as http:
        # The development sign-in is refused where a provider is configured.
        r = http.post("/sign-in", data={"user_id": "cw-x", "role": "caseworker",
                                        "office": "helsinki"})
        assert r.status_code == 403 and "casework_session" not in r.cookies
        # A callback with no sign-in under way, or with another state, signs no one in.
        r = http.get("/auth/callback", params={"code": "x", "state": "y"})
        assert r.status_code == 401 and "no sign-in is under way" in r.text
        r = http.get("/auth/start")
        assert r.status_code == 303 and r.headers["location"].startswith(idp.issuer)
        back = httpx.get(r.headers["location"]).headers["location"]
        code = back.split("code=")[1].split("&")[0]
        r = http.get("/auth/callback", params={"code": code, "state": "forged"})
        assert r.status_code == 401 and "another state" in r.text
        assert "casework_session" not in r.cookies
        # The pending sign-in is spent: the right state no longer works either.
        r = http.get("/auth/callback", params={"code": code, "state": back.split("state=")[1]})
        assert r.status_code == 401 and "casework_session" not in r.cookies
