"""Floods are absorbed: what one client, or one person, may ask of the API in a while, the host
names it answers to, and what a flood would leave behind.

- `TrustedHosts`: a request naming a host the API does not answer to (`trusted_hosts`) gets a
  400 `UnknownHost` problem before anything reads it: its Host header would otherwise name the
  console's links and the sign-in's return address, and a label of the HTTP metrics.
- `RateLimits`: every request but the health checks counts against its client address (the
  connection's; X-Forwarded-For only where uvicorn trusts the proxy that sent it,
  `FORWARDED_ALLOW_IPS`), and the console's sign-in, the codec endpoint, the audit chain
  check and the public referral form against stricter limits of their own. Over a limit: 429
  `TooManyRequests` with `Retry-After`, before the token is read or the body received, and
  before anything else of the application runs (it wraps the whole of it, tracing included:
  a refusal then costs about 60% of what it did inside). The refusal is held
  `rate_limit_delay_seconds` first, so a client flooding on a few connections gets a few
  refusals a second, not thousands: the event loop stays free for everyone else.
- `Floods.person`: each person (a token's subject, a console session's person) against their
  own limit, once the token or session named them.
- The counts are kept in memory, or in a Redis all API processes share
  (`rate_limit_storage`). When Redis does not answer, each process counts in its own memory
  (trying Redis again every few seconds): the limits hold per process rather than not at all.
- `sweep_sessions`: expired console sessions and abandoned sign-ins deleted on a schedule.

A refusal over a limit is counted (`casework_rate_limited`), not written to the audit log one
by one; a person's first in a minute is (`Floods.first_refusal`). Keys are digests: neither an
address nor a person is kept in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter as Limiter
from limits.errors import StorageError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.headers import secure
from api.metrics import RATE_LIMITED
from api.problems import Code, Problem, problem_response
from infra.settings import Settings
from store.sessions import sweep_expired

log = structlog.get_logger(__name__)

HEALTH = frozenset({"/healthz", "/readyz"})
SIGN_IN = frozenset({"/sign-in", "/auth/start", "/auth/callback"})
CHAIN_CHECK = frozenset({"/v1/audit/verify", "/audit/verify"})
PUBLIC_REFERRAL = "/refer"
# Each limit and the setting that gives it.
LIMITS = {"client": "rate_limit_per_client", "person": "rate_limit_per_person",
          "sign_in": "rate_limit_sign_in", "codec": "rate_limit_codec",
          "audit_verify": "rate_limit_audit_verify",
          "public_referral": "rate_limit_public_referral"}
# Answered as problem documents; anything else may be answered with the console's page.
API_PATHS = ("/v1/", "/codec/", "/docs", "/openapi.json")
# A Redis that does not answer within this is down: the process counts on its own, and tries
# it again after RETRY_SECONDS.
REDIS_SECONDS = 0.5
RETRY_SECONDS = 5.0
WARN_EVERY = 60.0
PageMaker = Callable[[Request, Problem], Response]
T = TypeVar("T")


def group_of(path: str) -> str | None:
    """The stricter limit a path counts against besides its client's, if any."""
    if path in SIGN_IN:
        return "sign_in"
    if path.startswith("/codec/"):
        return "codec"
    if path in CHAIN_CHECK:
        return "audit_verify"
    if path == PUBLIC_REFERRAL:
        return "public_referral"
    return None


def client_of(scope: Scope) -> str:
    """The client's address as the limits count it: an IPv6 client by its /64, the block one
    host is usually given."""
    client = scope.get("client")
    if not client:
        return "local"
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return str(client[0])[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def storage_for(url: str) -> Storage:
    if url == "memory://":
        return MemoryStorage()
    return RedisStorage(f"async+{url}", implementation="redispy", wrap_exceptions=True,
                        key_prefix="casework-limits", socket_timeout=REDIS_SECONDS,
                        socket_connect_timeout=REDIS_SECONDS)


def too_many(wait: int, whose: str) -> Problem:
    return Problem(Code.TOO_MANY_REQUESTS, f"too many requests {whose}: retry in {wait} s",
                   headers={"Retry-After": str(wait)})


class Floods:
    """The rate limits of one API process, over the storage they share."""

    def __init__(self, settings: Settings) -> None:
        self._limits: dict[str, list[RateLimitItem]] = {
            name: parse_many(getattr(settings, setting)) for name, setting in LIMITS.items()}
        self._once = parse("1/minute")
        self._storage = storage_for(settings.rate_limit_storage)
        self._limiter = Limiter(self._storage)
        self._own: Limiter | None = None  # this process's counts, while Redis does not answer
        self._down_until = 0.0
        self._warned = -WARN_EVERY
        self.delay = settings.rate_limit_delay_seconds

    async def held(self, wait: int, whose: str = "from this address") -> Problem:
        """The refusal, after holding it (at most until the client may retry)."""
        if self.delay:
            await asyncio.sleep(min(self.delay, wait))
        return too_many(wait, whose)

    async def over(self, limit: str, key: str) -> int | None:
        """None while `key` (an address, a person) is within `limit`; else the seconds to wait
        before it is again."""
        ident, items = digest(key), self._limits[limit]
        return await self._counted(lambda limiter: self._check(limiter, items, limit, ident))

    async def person(self, user_id: str) -> None:
        """Raise 429 when this person is over their limit."""
        wait = await self.over("person", user_id)
        if wait is not None:
            RATE_LIMITED.add(1, {"limit": "person"})
            raise await self.held(wait, "of yours")

    async def first_refusal(self, user_id: str) -> bool:
        """Whether this is the person's first refusal over a limit this minute (the one the
        audit log records)."""
        ident = digest(user_id)
        return await self._counted(lambda limiter: limiter.hit(self._once, "refused", ident))

    async def _counted(self, call: Callable[[Limiter], Awaitable[T]]) -> T:
        """`call` on the shared counts; on this process's own while they do not answer (for
        `RETRY_SECONDS` after each failure, so a Redis that hangs holds up no request)."""
        if time.monotonic() >= self._down_until:
            try:
                return await call(self._limiter)
            except (StorageError, OSError, TimeoutError) as err:
                self._down_until = time.monotonic() + RETRY_SECONDS
                if time.monotonic() - self._warned > WARN_EVERY:
                    self._warned = time.monotonic()
                    log.warning("rate limit store unavailable: this process counts on its own",
                                error=type(err).__name__)
        if self._own is None:
            self._own = Limiter(MemoryStorage())
        return await call(self._own)

    async def _check(self, limiter: Limiter, items: list[RateLimitItem], limit: str,
                     ident: str) -> int | None:
        for item in items:
            if not await limiter.hit(item, limit, ident):
                stats = await limiter.get_window_stats(item, limit, ident)
                wait = math.ceil(stats.reset_time - time.time())
                return min(max(wait, 1), item.get_expiry())
        return None

    async def close(self) -> None:
        for limiter in (self._limiter, self._own):
            storage = limiter.storage if limiter else None
            timer = getattr(storage, "timer", None)
            if timer is not None:
                timer.cancel()
            client = getattr(getattr(storage, "bridge", None), "storage", None)
            if client is not None:
                await client.aclose()


class RateLimits:
    """Counts every request but the health checks against its client's limit, and the
    sign-in, codec, chain-check and public referral paths against their own; refuses with 429
    past them. The outermost layer (`api.main.create_app`): its answers carry their own
    security headers."""

    def __init__(self, app: ASGIApp, floods: Floods) -> None:
        self.app, self.floods = app, floods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH:
            return await self.app(scope, receive, send)
        client = client_of(scope)
        group = group_of(scope["path"])
        for limit in ("client", group) if group else ("client",):
            wait = await self.floods.over(limit, client)
            if wait is not None:
                RATE_LIMITED.add(1, {"limit": limit})
                return await answer(scope, receive, send, await self.floods.held(wait),
                                    outermost=True)
        await self.app(scope, receive, send)


class TrustedHosts:
    """Only requests for the host names the API answers to; the health checks for any (an
    orchestrator's probe names the pod's address)."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self.app = app
        names = [h.lower() for h in hosts]
        self.anything = "*" in names
        self.exact = frozenset(h for h in names if not h.startswith("*."))
        self.domains = tuple(h[1:] for h in names if h.startswith("*."))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.anything or scope["path"] in HEALTH:
            return await self.app(scope, receive, send)
        host = host_name(Headers(scope=scope).get("host", ""))
        if host in self.exact or (self.domains and host.endswith(self.domains)):
            return await self.app(scope, receive, send)
        await answer(scope, receive, send, Problem(
            Code.UNKNOWN_HOST, "the Host header names no host this service answers to"))


def host_name(header: str) -> str:
    """The host of a Host header, without its port: `[::1]` of `[::1]:8000`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header.partition("]")[0] + "]"
    return header.partition(":")[0]


async def answer(scope: Scope, receive: Receive, send: Send, problem: Problem,
                 outermost: bool = False) -> None:
    """The problem as a document, or, on the console's pages, as the console's page (in the
    reader's language) when the application has one (`app.state.problem_page`); `outermost`:
    with the headers the application's own layers would have given it."""
    request = Request(scope)
    page: PageMaker | None = None
    if "app" in scope and not scope["path"].startswith(API_PATHS):
        page = getattr(scope["app"].state, "problem_page", None)
    response = page(request, problem) if page else problem_response(request, problem)
    if outermost:
        response.headers["X-Request-ID"] = str(uuid.uuid4())
        secure(response.headers, scope)
    await response(scope, receive, send)


async def sweep_sessions(engine: Engine, every: float) -> None:
    """Every `every` seconds, expired console sessions and abandoned sign-ins deleted
    (`store.sessions`); a database that does not answer is tried again next time."""
    while True:
        await asyncio.sleep(every)
        try:
            deleted = await asyncio.to_thread(sweep_expired, engine)
        except SQLAlchemyError as err:
            log.warning("expired console sessions not deleted; next time",
                        error=type(err).__name__)
            continue
        if deleted:
            log.info("expired console sessions deleted", count=deleted)
