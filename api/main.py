"""The FastAPI application. Run it with `casework api` (or `uvicorn --factory
api.main:create_app --http api.limits:BoundedHead`: the protocol that bounds headers as they
arrive, `api.limits`)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from api import contract, docs, problems
from api.audit_trail import AuditWriter
from api.auth import TokenVerifier
from api.budget import BudgetMiddleware
from api.deps import known_query
from api.floods import Floods, RateLimits, TrustedHosts, sweep_sessions
from api.headers import SecurityHeaders
from api.limits import RequestLimits
from api.metrics import watch_read_model
from api.routes import ROUTERS, health
from infra.codec import EnvelopeCodec
from infra.database import engine_for
from infra.settings import Settings, get_settings
from infra.temporal import connect
from store.keys import case_keys

# A client's request id is echoed and logged only if it is a plain token of modest length.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    floods = Floods(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.keys = case_keys(settings)
        app.state.keys.check()  # refuse to start when stored case keys cannot be opened
        app.state.temporal = client or await connect(settings, app.state.keys, lazy=True)
        app.state.engine = engine_for(settings.database)
        app.state.audit_engine = engine_for(settings.audit_database)
        # The audit chain's head is anchored in the read model's database.
        app.state.audit = AuditWriter(app.state.audit_engine, app.state.keys, app.state.engine)
        app.state.verifier = TokenVerifier(settings)
        app.state.codec = EnvelopeCodec(  # for the Web UI
            app.state.keys, compress=settings.compression)
        watch_read_model(app.state.engine)
        sweeping = asyncio.create_task(sweep_sessions(app.state.engine,
                                                      settings.session_sweep_seconds))
        try:
            yield
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            await floods.close()

    app = FastAPI(
        title="Casework API",
        version="1",
        summary="Case workflows of the assistance system for victims of human trafficking.",
        description="Errors are RFC 9457 problem details with a machine-readable `code`. "
                    "Steps need `If-Match` (the case ETag); POSTs take `Idempotency-Key`.",
        lifespan=lifespan,
        generate_unique_id_function=contract.operation_id,
        docs_url=None, redoc_url=None,  # served from our own files (`api.docs`)
        dependencies=[Depends(known_query)],
    )
    app.state.floods = floods
    problems.install(app)
    for router in (*ROUTERS, health.router):
        app.include_router(router)
    contract.install(app, (*ROUTERS, health.router))
    docs.install(app)

    # Outermost last: security headers, request id, then the catch-all, the host, CORS, size
    # limits, the time budget. Rate limits are outside all of them (below).
    app.add_middleware(BudgetMiddleware, seconds=settings.api_request_budget_seconds)
    app.add_middleware(RequestLimits)
    if settings.codec_cors_origins:  # the Web UI calls the codec endpoint from its own origin
        app.add_middleware(CodecCORS, allow_origins=settings.codec_cors_origins,
                           allow_methods=["POST"], allow_credentials=True,
                           allow_headers=["Authorization", "Content-Type", "X-Namespace"])
    app.add_middleware(TrustedHosts, hosts=settings.allowed_hosts)
    app.add_middleware(problems.CatchAll)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeaders)  # errors and the console's pages too
    # Per-message receive/send spans add cost and tell nothing for JSON requests.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz",
                                       exclude_spans=["receive", "send"])
    # Rate limits outermost, around the tracing too: a refusal costs about 60% of what it did
    # inside it (`api.floods`).
    instrumented = app.build_middleware_stack
    app.build_middleware_stack = (  # type: ignore[method-assign]
        lambda: RateLimits(instrumented(), floods))
    return app


class CodecCORS:
    """Cross-origin calls for the codec endpoint only: the Web UI's origin must not read the
    API's or the console's answers with the credentials of someone signed in."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app, self.cors = app, CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/codec/"):
            return await self.cors(scope, receive, send)
        return await self.app(scope, receive, send)


class RequestIdMiddleware:
    """Binds a request id to every log record of the request and echoes it in X-Request-ID.

    Plain ASGI rather than `@app.middleware("http")`, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if REQUEST_ID.match(given) else str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        await self.app(scope, receive, send_with_id)

