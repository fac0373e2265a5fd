"""Floods are absorbed (api/floods.py), over HTTP through the whole application: rate limits per
client address and per person, stricter on the sign-in, the codec and the chain check, 429
problems with Retry-After; counted in Redis that two API processes share (the real server on
this machine), and per process when it does not answer; refusals of nobody kept out of the
audit chain, a person's kept; the hosts the API answers to; expired sessions swept."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlmodel import Session, func, select
from temporalio.testing import WorkflowEnvironment
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.floods import client_of, digest
from api.main import create_app
from console.app import create_app as create_console
from infra.database import engine_for
from infra.settings import Settings
from store.tables import AuditEntry, ConsoleSession
from tests.support.http import assert_problem
from tests.support.identities import AUDITOR, CASEWORKER, TAMPERE_CASEWORKER, bearer
from tests.support.unhurried import UNHURRIED
from tests.support.waiting import eventually

REDIS = "redis://127.0.0.1:6379/0"
# The limits as shipped (the suite's own settings raise them: tests.support.unhurried).
DEFAULTS = {name: Settings.model_fields[name].default for name in UNHURRIED}
Apps = Callable[..., Any]


def peer() -> str:
    """An address of this test's own (documentation range, never reached: only a label the
    transport hands the app), so tests sharing the Redis never count together."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::7"


@pytest.fixture
async def apps(settings: Settings, dev_env: WorkflowEnvironment) -> AsyncIterator[Apps]:
    """Started applications (`console=True`: with the console) with the default limits and
    hosts (refusals not held, unless `changes` say so), and `changes`; each call a process of
    its own."""
    async with AsyncExitStack() as stack:
        async def start(console: bool = False, **changes: Any) -> FastAPI:
            configured = settings.model_copy(update={
                **DEFAULTS, "rate_limit_delay_seconds": 0, **changes})
            app = (create_console if console else create_app)(configured, dev_env.client)
            await stack.enter_async_context(app.router.lifespan_context(app))
            return app
        yield start


def client(app: Any, address: str = "127.0.0.1", host: str = "127.0.0.1",
           **options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)),
                             base_url=f"http://{host}", **options)


def entries(settings: Settings) -> list[AuditEntry]:
    with Session(engine_for(settings.audit_database)) as db:
        return list(db.exec(select(AuditEntry).order_by(AuditEntry.seq)))


def retry_after(r: httpx.Response, most: int) -> int:
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= most, wait
    return wait


async def test_a_client_over_its_limit_is_refused_with_retry_after(apps: Apps) -> None:
    app = await apps(rate_limit_per_client="5/minute")
    address = peer()
    async with client(app, address) as http:
        answers = [await http.get("/v1/cases") for _ in range(5)]
        assert [r.status_code for r in answers] == [401] * 5
        refused = await http.get("/v1/cases", headers=CASEWORKER)  # a token does not help
        assert_problem(refused, 429, "TooManyRequests")
        retry_after(refused, 60)
        assert len(refused.headers.get_list("X-Request-ID")) == 1
        assert refused.headers["Cache-Control"] == "no-store"
        assert refused.headers["X-Content-Type-Options"] == "nosniff"
        assert "camera=()" in refused.headers["Permissions-Policy"]  # as on every answer
        for health in ("/healthz", "/readyz"):  # never counted, never refused
            assert (await http.get(health)).status_code == 200
    async with client(app, peer()) as other:  # another address has its own count
        assert (await other.get("/v1/cases", headers=CASEWORKER)).status_code == 200


async def test_a_refusal_is_held_before_it_is_answered(apps: Apps) -> None:
    """A flooding client gets its refusals slowly: on a few connections, a few a second."""
    app = await apps(rate_limit_per_client="2/minute", rate_limit_per_person="1/minute",
                     rate_limit_delay_seconds=0.3)
    async with client(app, peer()) as http:
        timed = []
        for headers in ({}, CASEWORKER, CASEWORKER, {}):  # the person's limit, then the client's
            started = asyncio.get_running_loop().time()
            timed.append(((await http.get("/v1/cases", headers=headers)).status_code,
                          asyncio.get_running_loop().time() - started >= 0.3))
    assert timed == [(401, False), (200, False), (429, True), (429, True)]


async def test_an_ipv6_client_is_one_client_across_its_64(apps: Apps) -> None:
    app = await apps(rate_limit_per_client="2/minute")
    block = peer().rsplit("::", 1)[0]
    for host in ("1", "2", "3"):
        async with client(app, f"{block}::{host}") as http:
            statuses = (await http.get("/healthz")).status_code, (
                await http.get("/v1/cases")).status_code
    assert statuses == (200, 429)


async def test_the_address_is_the_connections_not_a_header(apps: Apps) -> None:
    """Behind uvicorn's proxy handling (`casework api`, FORWARDED_ALLOW_IPS): X-Forwarded-For
    is heard only from the proxy it trusts; anyone else's counts against their own address."""
    app = await apps(rate_limit_per_client="3/minute")
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")  # type: ignore[arg-type]
    async with client(proxied, "203.0.113.7") as http:
        statuses = [(await http.get("/v1/cases", headers={"X-Forwarded-For": f"10.0.0.{n}"})
                     ).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    async with client(proxied, "127.0.0.1") as proxy:  # each client behind the proxy
        statuses = [(await proxy.get("/v1/cases", headers={"X-Forwarded-For": f"10.0.1.{n}"})
                     ).status_code for n in range(5)]
    assert statuses == [401] * 5


async def test_sign_in_codec_and_chain_check_have_stricter_limits(apps: Apps) -> None:
    app = await apps(console=True, rate_limit_sign_in="2/minute", rate_limit_codec="2/minute",
                     rate_limit_audit_verify="1/minute")
    async with client(app, peer(), cookies={"casework_language": "fi"}) as http:
        pages = [await http.get("/sign-in") for _ in range(3)]
        assert [p.status_code for p in pages] == [200, 200, 429]
        # The console's refusal is its page, in the reader's language.
        assert "text/html" in pages[2].headers["content-type"]
        assert "Liian monta pyyntöä" in pages[2].text
        assert "Odota hetki ja yritä uudelleen." in pages[2].text  # not the API's English
        assert "too many requests" not in pages[2].text
        retry_after(pages[2], 60)
        assert (await http.get("/cases")).status_code == 303  # other pages: the client's limit
        decodes = [await http.post("/codec/decode", json={"payloads": []}, headers=AUDITOR)
                   for _ in range(3)]
        assert [r.status_code for r in decodes[:2]] == [200, 200]
        assert_problem(decodes[2], 429, "TooManyRequests")  # the API's: a problem document
        verified = [await http.get("/v1/audit/verify", headers=AUDITOR) for _ in range(2)]
        assert verified[0].status_code == 200
        assert_problem(verified[1], 429, "TooManyRequests")
        retry_after(verified[1], 60)
        assert (await http.get("/v1/cases", headers=AUDITOR)).status_code == 200


async def test_a_person_over_their_limit_is_refused_and_audited_once_a_minute(
        apps: Apps, settings: Settings) -> None:
    app = await apps(rate_limit_per_person="3/minute")
    async with client(app, peer()) as http:
        statuses = [(await http.get("/v1/cases", headers=CASEWORKER)).status_code
                    for _ in range(6)]
        assert statuses == [200, 200, 200, 429, 429, 429]
        assert_problem(await http.get("/v1/cases", headers=CASEWORKER), 429, "TooManyRequests")
        # Another person from the same address is not held up by this one.
        assert (await http.get("/v1/cases", headers=TAMPERE_CASEWORKER)).status_code == 200
    refused = [e for e in entries(settings) if e.outcome == "429 TooManyRequests"]
    assert [(e.actor_id, e.action) for e in refused] == [("cw-anna", "list_cases")]


async def test_a_console_person_over_their_limit_gets_the_page(apps: Apps) -> None:
    app = await apps(console=True, rate_limit_per_person="2/minute")
    async with client(app, peer(), cookies={"casework_language": "sv"}) as browser:
        signed = await browser.post("/sign-in", data={"user_id": "cw-x", "role": "caseworker",
                                                      "office": "helsinki"})
        assert signed.status_code == 303
        pages = [await browser.get("/work") for _ in range(3)]
        assert [p.status_code for p in pages] == [200, 200, 429]
        assert "För många förfrågningar" in pages[2].text
        retry_after(pages[2], 60)


async def test_refusals_of_nobody_are_counted_not_chained(apps: Apps,
                                                          settings: Settings) -> None:
    """A thousand requests without a token, with a bad one, with no session, over a limit:
    not one entry; a person's refusal (403) and a sign-in still have theirs."""
    app = await apps(console=True, rate_limit_per_client="1000000/second",
                     rate_limit_sign_in="1000000/second")
    before = len(entries(settings))
    async with client(app, peer()) as http:
        statuses = set()
        for n in range(250):
            statuses |= {(await http.get("/v1/cases")).status_code,
                         (await http.get("/v1/cases", headers={
                             "Authorization": f"Bearer x.{n}.y"})).status_code,
                         (await http.get("/v1/audit/verify")).status_code,  # 3, then 429s
                         (await http.get("/work")).status_code}
        assert statuses == {303, 401, 429}
        assert len(entries(settings)) == before
        forbidden = await http.get("/v1/deadlines",
                                   headers=bearer("pol-1", "police", "police-helsinki"))
        assert forbidden.status_code == 403
        signed = await http.post("/sign-in", data={"user_id": "cw-y", "role": "caseworker",
                                                   "office": "tampere"})
        assert signed.status_code == 303
    written = [(e.actor_id, e.action, e.outcome) for e in entries(settings)[before:]]
    assert written == [("pol-1", "list_due", "403 Forbidden"),
                       ("cw-y", "console_sign_in", "303")]


async def test_only_the_hosts_it_answers_to(apps: Apps) -> None:
    app = await apps(trusted_hosts=["casework.example.fi", "*.joutseno.example.fi"])
    for host in ("casework.example.fi", "casework.example.fi:8443", "api.joutseno.example.fi"):
        async with client(app, peer(), host) as http:
            assert (await http.get("/v1/cases")).status_code == 401, host
    for host in ("evil.example", "joutseno.example.fi", "127.0.0.1:8000", "xcasework.example.fi"):
        async with client(app, peer(), host) as http:
            refused = await http.get("/v1/cases")
            problem = assert_problem(refused, 400, "UnknownHost")
            assert host not in problem["detail"]
            assert len(refused.headers.get_list("X-Request-ID")) == 1
            assert (await http.get("/readyz")).status_code == 200  # a probe names the pod
    default = await apps()  # the embedded defaults: this machine's names
    for host, status in (("127.0.0.1:8000", 401), ("localhost", 401), ("[::1]:8000", 401),
                         ("api", 400), ("casework.example.fi", 400)):
        async with client(default, peer(), host) as http:
            assert (await http.get("/v1/cases")).status_code == status, host


@pytest.fixture
def redis_keys() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS}")
    yield connection
    connection.close()


async def test_processes_sharing_redis_count_together(apps: Apps,
                                                      redis_keys: redis.Redis) -> None:
    first = await apps(rate_limit_per_client="4/minute", rate_limit_storage=REDIS)
    second = await apps(rate_limit_per_client="4/minute", rate_limit_storage=REDIS)
    address = peer()
    async with client(first, address) as one, client(second, address) as other:
        statuses = [(await http.get("/v1/cases")).status_code
                    for http in (one, other, one, other, other, one)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    # Keyed by a digest, never the address; gone two windows after the last request.
    keys = [k.decode() for k in redis_keys.keys("casework-limits*")]
    assert not any(address.split("::")[0] in k for k in keys)
    ours = [k for k in keys if digest(client_of({"client": (address, 1)})) in k]
    assert ours and all(0 < redis_keys.ttl(k) <= 120 for k in ours)


@pytest.mark.parametrize("answers", ["refused", "silent"])
async def test_without_redis_each_process_counts_on_its_own(apps: Apps, answers: str) -> None:
    """A Redis refusing connections, or one that takes them and never answers: the limits hold
    in the process, and only the first request waits (for the Redis's 0.5 s)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel takes the connections; nobody ever reads them
        port = silent.getsockname()[1] if answers == "silent" else 1
        app = await apps(rate_limit_per_client="3/minute",
                         rate_limit_storage=f"redis://127.0.0.1:{port}")
        async with client(app, peer()) as http:
            started = time.monotonic()
            statuses = [(await http.get("/v1/cases")).status_code for _ in range(5)]
            took = time.monotonic() - started
    assert statuses == [401, 401, 401, 429, 429]
    assert took < 1.5


async def test_expired_sessions_and_abandoned_sign_ins_are_swept(
        apps: Apps, settings: Settings) -> None:
    now = datetime.now(UTC)
    engine = engine_for(settings.database)
    with Session(engine) as db:
        for n in range(30):
            pending = {"pending": {"state": "s"}} if n % 2 else {"user_id": f"cw-{n}"}
            db.add(ConsoleSession(token_hash=f"old-{n}", actor=pending, csrf="c", language="fi",
                                  expires_at=now - timedelta(minutes=n + 1)))
        db.add(ConsoleSession(token_hash="current", actor={"user_id": "cw-now"}, csrf="c",
                              language="fi", expires_at=now + timedelta(hours=8)))
        db.commit()
    await apps(session_sweep_seconds=0.2)

    def left() -> list[str]:
        with Session(engine) as db:
            return list(db.exec(select(ConsoleSession.token_hash)))

    await eventually(lambda: left() == ["current"])
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(ConsoleSession)).one() == 1


@pytest.mark.parametrize("changes", [
    {"rate_limit_per_client": "5/fortnight"}, {"rate_limit_per_person": "0/minute"},
    {"rate_limit_sign_in": ""}, {"rate_limit_storage": "memcached://127.0.0.1:11211"},
    {"rate_limit_delay_seconds": -1}])
def test_a_limit_that_is_not_one_is_refused_at_start(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Settings(_env_file=None, **changes)
