"""Bearer-token authentication: a JWT verified against the identity provider's JWKS (or, on the
embedded defaults with the API on loopback only, the local signing key), for this API's audience
and the configured issuer.

Only asymmetric algorithms are accepted, so neither `alg: none` nor a token "signed" with a
public key as an HMAC secret gets through. The claims name the person (`sub`, pseudonymous),
their role, and their agency (agency staff must have one) or office (the assistance system's
caseworkers and office leads must have one). A token may live at most
`auth_max_token_hours`. Anything wrong gives 401, and the message never echoes the token.
"""

from __future__ import annotations

import math
from typing import Any

import jwt
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.problems import Code, Problem
from infra.settings import Settings
from infra.tokens import key_id, signing_key
from workflows.model.requests import Actor
from workflows.model.vocabulary import Role
from workflows.rules.guards import AGENCIES, STAFF

ALGORITHMS = ["ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "EdDSA"]
# Clock skew tolerated between the identity provider and us.
LEEWAY_SECONDS = 30


def unauthenticated(detail: str) -> Problem:
    return Problem(Code.UNAUTHENTICATED, detail,
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def numeric_date(claims: dict[str, Any], name: str, default: float = 0) -> float:
    """A time claim as RFC 7519 has it: a JSON number (seconds since the epoch), finite. PyJWT
    takes `"1700000000"` or `true` for one too, and the arithmetic on it then failed (500)."""
    value = claims.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise unauthenticated(f"the token's {name} claim is not a time")
    return value


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        # Without an identity provider, only the development sign-in's conditions (embedded
        # defaults, API on loopback): elsewhere the API refuses to start, saying what to set.
        settings.check_sign_in()
        self._settings = settings
        if settings.auth_jwks_url:
            self._jwks: jwt.PyJWKClient | None = jwt.PyJWKClient(
                settings.auth_jwks_url, cache_keys=True, lifespan=300, timeout=5)
            self._local: dict[str, Any] = {}
        else:
            public = signing_key(settings).public_key()
            self._jwks, self._local = None, {key_id(public): public}

    async def actor(self, token: str) -> Actor:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise unauthenticated("the bearer token is not a JWT") from None
        key = await self._key(kid)
        settings = self._settings
        try:
            claims = jwt.decode(token, key, algorithms=ALGORITHMS,
                                audience=settings.auth_audience, issuer=settings.auth_issuer,
                                leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise unauthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise unauthenticated("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise unauthenticated("the token is not for this API") from None
        except jwt.InvalidIssuerError:
            raise unauthenticated("the token is from an unknown issuer") from None
        except jwt.PyJWTError:
            raise unauthenticated("the token's signature or claims are not valid") from None
        numeric_date(claims, "nbf")
        lifetime = numeric_date(claims, "exp") - numeric_date(claims, "iat")
        if lifetime > settings.auth_max_token_hours * 3600:
            raise unauthenticated(f"the token is valid for more than "
                                  f"{settings.auth_max_token_hours:g} hours")
        return actor_of(claims, settings)

    async def _key(self, kid: str | None) -> Any:
        if not isinstance(kid, str):
            raise unauthenticated("the token names no signing key")
        if self._jwks is None:
            if kid not in self._local:
                raise unauthenticated("the token's signing key is unknown")
            return self._local[kid]
        try:  # the client caches the provider's keys; a miss fetches them again (blocking)
            return (await run_in_threadpool(self._jwks.get_signing_key, kid)).key
        except jwt.PyJWKClientError:
            raise unauthenticated("the token's signing key is unknown") from None


def actor_of(claims: dict[str, Any], settings: Settings) -> Actor:
    """The person a verified token names: a role (never the public form's), and the agency or
    office that role needs."""
    named = {"user_id": claims["sub"], "role": claims.get(settings.auth_role_claim),
             "agency": claims.get(settings.auth_agency_claim),
             "office": claims.get(settings.auth_office_claim)}
    if not all(value is None or isinstance(value, str) for value in named.values()):
        raise unauthenticated("the token names no valid role, user, agency or office")
    try:
        actor = Actor(**named)
        if actor.role is Role.PUBLIC:  # the public form's, never a person's
            raise ValueError(actor.role)
    except (ValidationError, TypeError, ValueError):
        raise unauthenticated("the token names no valid role, user, agency or office"
                              ) from None
    if actor.role in AGENCIES and actor.agency is None:
        raise unauthenticated(f"an agency's token must name its agency "
                              f"({settings.auth_agency_claim})")
    if actor.role in STAFF and actor.office is None:
        raise unauthenticated(f"a caseworker's or office lead's token must name their "
                              f"office ({settings.auth_office_claim})")
    return actor
