"""Signing in to the console: a server-side session behind an HttpOnly, SameSite cookie, with a
form token (CSRF) every form sends back. The person comes from the identity provider (OpenID
Connect) or, on the embedded defaults only, from the development sign-in; from then on the
console acts with the same role table and need-to-know rules as the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from fastapi import Request, Response
from sqlalchemy import Engine, delete
from sqlmodel import Session as DB

from infra.codec import KeyShredded
from store.keys import CaseKeys
from store.tables import ConsoleSession
from workflows.model.requests import Actor

COOKIE = "casework_session"
PENDING_COOKIE = "casework_sign_in"
PENDING = "pending"
LIFETIME = timedelta(hours=8)
# A break-glass reason in the session: sealed under the case's key for this purpose.
REASON, SEALED = "console-reason", "sealed:"


class SignInRequired(Exception):
    """No session, or an expired one: the console answers with the sign-in page."""


def token(request: Request, cookie: str = COOKIE) -> str | None:
    """The session's token from its cookie, if it can be one."""
    found = request.cookies.get(cookie)
    return found if found and len(found) < 100 else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(engine: Engine, actor: Actor, language: str) -> str:
    token = secrets.token_urlsafe(32)
    with DB(engine) as db:
        db.add(ConsoleSession(token_hash=_hash(token), actor=actor.model_dump(mode="json"),
                              csrf=secrets.token_urlsafe(24), language=language,
                              expires_at=datetime.now(UTC) + LIFETIME))
        db.commit()
    return token


def find(engine: Engine, token: str) -> ConsoleSession | None:
    with DB(engine) as db:
        row = db.get(ConsoleSession, _hash(token))
        if row is None or row.expires_at <= datetime.now(UTC) or PENDING in row.actor:
            return None
        db.expunge(row)
        return row


def create_pending(engine: Engine, pending: dict[str, str], language: str) -> str:
    """A sign-in under way at the identity provider: what its return must match, for 10
    minutes at most."""
    token = secrets.token_urlsafe(32)
    with DB(engine) as db:
        db.add(ConsoleSession(token_hash=_hash(token), actor={PENDING: pending},
                              csrf=pending["state"], language=language,
                              expires_at=datetime.now(UTC) + timedelta(minutes=10)))
        db.commit()
    return token


def take_pending(engine: Engine, token: str) -> tuple[dict[str, str], str] | None:
    """The pending sign-in and its language, once: the row goes as it is read."""
    with DB(engine) as db:
        row = db.get(ConsoleSession, _hash(token))
        if row is None or PENDING not in row.actor:
            return None
        db.delete(row)
        db.commit()
        if row.expires_at <= datetime.now(UTC):
            return None
        return row.actor[PENDING], row.language


def set_language(engine: Engine, token: str, language: str) -> None:
    with DB(engine) as db:
        row = db.get(ConsoleSession, _hash(token))
        if row is not None:
            row.language = language
            db.add(row)
            db.commit()


def give_reason(engine: Engine, keys: CaseKeys, token: str, case_id: str, reason: str) -> None:
    """The person reaches this case, outside their office, for this reason (this session). The
    reason is free text that may name someone: kept sealed under the case's key, so shredding
    the case erases it here too (as in the audit log); none is kept for a case with no key."""
    try:
        sealed = SEALED + base64.b64encode(
            keys.seal(case_id, REASON, reason.encode(), create=False)).decode()
    except KeyShredded:
        return
    with DB(engine) as db:
        row = db.get(ConsoleSession, _hash(token))
        if row is not None:
            row.reasons = {**row.reasons, case_id: sealed}
            db.add(row)
            db.commit()


def reason_for(keys: CaseKeys, session: ConsoleSession, case_id: str) -> str | None:
    """The reason this session gave for reaching the case, opened; None if it gave none (or
    the case was shredded since, or the row predates sealing: the person says why again)."""
    kept = session.reasons.get(case_id)
    if not kept or not kept.startswith(SEALED):
        return None
    try:
        return keys.open(case_id, REASON, base64.b64decode(kept.removeprefix(SEALED))).decode()
    except (KeyShredded, InvalidTag, ValueError):
        return None


def end(engine: Engine, token: str) -> None:
    """This session only: the expired ones go on the API's schedule (`store.sessions`)."""
    with DB(engine) as db:
        db.exec(delete(ConsoleSession).where(  # type: ignore[call-overload]
            ConsoleSession.token_hash == _hash(token)))
        db.commit()


def same_form_token(session: ConsoleSession, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf.encode(), given.encode())


def secure(request: Request) -> bool:
    """HTTPS only, always in production (behind a proxy the request may look like HTTP)."""
    return request.url.scheme == "https" or (
        request.app.state.settings.environment == "production")


def set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=secure(request), path="/")


def actor_of(session: ConsoleSession) -> Actor:
    return Actor.model_validate(session.actor)
