"""Signing in with OpenID Connect: the authorization code flow with PKCE (S256), a state and a
nonce, at the identity provider the API's tokens come from. The console is a client whose id is
the API's audience, so the ID token it receives is verified exactly as a bearer token is (the
provider's keys, issuer, audience, lifetime, and the claims that name role, office, agency),
and then its nonce. What the flow must remember between the two legs (state, verifier, nonce)
waits server-side in a short-lived pending session."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from api.problems import Code, Problem
from infra.settings import Settings

DISCOVERY_SECONDS = 300


class Provider:
    """The identity provider's endpoints, from its discovery document (cached)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._url = settings.console_oidc_discovery_url or (
            settings.auth_issuer.rstrip("/") + "/.well-known/openid-configuration")
        self._found: tuple[float, dict[str, Any]] | None = None

    def client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self._settings.auth_audience,
            client_secret=self._settings.console_oidc_client_secret,
            token_endpoint_auth_method="client_secret_basic"
            if self._settings.console_oidc_client_secret else "none",
            scope="openid profile", redirect_uri=redirect_uri, code_challenge_method="S256",
            timeout=10)

    async def endpoints(self) -> dict[str, Any]:
        if self._found is None or time.monotonic() - self._found[0] > DISCOVERY_SECONDS:
            async with httpx.AsyncClient(timeout=10) as http:
                try:
                    response = await http.get(self._url)
                    response.raise_for_status()
                    found = response.json()
                except Exception:
                    raise Problem(Code.IDENTITY_UNAVAILABLE, "the identity provider cannot be "
                                  "reached just now") from None
            self._found = (time.monotonic(), found)
        return self._found[1]

    async def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what to remember until it comes back."""
        endpoints = await self.endpoints()
        pending = {"state": generate_token(32), "nonce": generate_token(32),
                   "verifier": generate_token(64)}
        async with self.client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoints["authorization_endpoint"], state=pending["state"],
                nonce=pending["nonce"], code_verifier=pending["verifier"])
        return url, pending

    async def finish(self, redirect_uri: str, pending: dict[str, str], code: str,
                     state: str) -> str:
        """The ID token for the code the provider sent back, once state matches."""
        if state != pending["state"]:
            raise Problem(Code.UNAUTHENTICATED, "the sign-in came back with another state: "
                          "start again")
        endpoints = await self.endpoints()
        async with self.client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    endpoints["token_endpoint"], code=code, code_verifier=pending["verifier"],
                    grant_type="authorization_code")
            except Exception:
                raise Problem(Code.UNAUTHENTICATED, "the identity provider refused the sign-in: "
                              "start again") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Problem(Code.UNAUTHENTICATED, "the identity provider sent no ID token")
        return id_token


def nonce_of(id_token: str) -> str | None:
    """The nonce of an ID token whose signature was already verified."""
    return jwt.decode(id_token, options={"verify_signature": False}).get("nonce")
