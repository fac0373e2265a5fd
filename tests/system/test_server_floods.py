"""Floods against the real server: `casework api` (uvicorn as the command runs it) on a loopback
port, counting in the Redis on this machine, with its metrics served for Prometheus. A header of
64 MiB is refused once the head passes its bound, without the server holding it; made-up host
names are refused and leave the metrics' series as they were; a client over a limit gets 429
with Retry-After, and the refusals are counted in bounded metrics."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from api.limits import HEAD_BYTES
from tests.support.identities import SIGNING_KEY
from tests.support.receivers import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"
BIG = 64 * 1024 * 1024


class Api:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, metrics_port: int) -> None:
        self.proc, self.port, self.metrics_port = proc, port, metrics_port
        self.url = f"http://127.0.0.1:{port}"

    def rss(self) -> int:
        """The server's resident memory, in bytes."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        line = next(ln for ln in status.splitlines() if ln.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    def series(self) -> dict[str, set[tuple[tuple[str, str], ...]]]:
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10).text
        found: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                found.setdefault(sample.name, set()).add(tuple(sorted(sample.labels.items())))
        return found


@pytest.fixture(scope="module")
def api(migrated_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS}")
    data = tmp_path_factory.mktemp("floods")
    for name in ("casework.db", "audit.db"):
        shutil.copyfile(migrated_db, data / name)
    port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env.update(CASEWORK_DATA_DIR=str(data), CASEWORK_API_PORT=str(port),
               CASEWORK_METRICS_PORT=str(metrics_port), CASEWORK_LOG_FORMAT="json",
               CASEWORK_AUTH_SIGNING_KEY=str(SIGNING_KEY),
               CASEWORK_DEV_SERVER_PORT=str(free_port()),  # nothing there: not needed here
               CASEWORK_RATE_LIMIT_STORAGE=REDIS,
               # Room for the hundreds of requests below; the sign-in keeps its default.
               CASEWORK_RATE_LIMIT_PER_CLIENT="100000/minute")
    with open(data / "api.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cli", "api"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    served = Api(proc, port, metrics_port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (data / "api.log").read_text()[-3000:]
            try:
                if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (data / "api.log").read_text()[-3000:]
            time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        proc.wait(30)


def huge_header(port: int, sent: list[int]) -> bytes:
    """Send a request whose one header is 64 MiB, as fast as the server takes it; what came
    back (empty if the server reset the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        chunk = b"a" * (1024 * 1024)
        try:
            for _ in range(BIG // len(chunk)):
                sock.sendall(chunk)
                sent.append(len(chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return sock.recv(4096)
        except (ConnectionResetError, TimeoutError):
            return b""


def test_a_64_mib_header_is_refused_without_being_held(api: Api) -> None:
    before = api.rss()
    sent: list[list[int]] = [[] for _ in range(4)]
    started = time.monotonic()
    threads = [threading.Thread(target=huge_header, args=(api.port, s)) for s in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    took = time.monotonic() - started
    # Each connection was closed after a few MiB at most (what the sockets' buffers held when
    # the server had refused), far from its 64, and the server holds no more than before.
    assert all(sum(s) < 16 * 1024 * 1024 for s in sent), [sum(s) for s in sent]
    assert took < 10
    assert api.rss() - before < 8 * 1024 * 1024, (before, api.rss())
    assert httpx.get(f"{api.url}/healthz").status_code == 200


def test_a_head_past_its_bound_gets_a_431_problem(api: Api) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/cases?page_size=5 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                     + b"a" * (HEAD_BYTES + 1024))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"content-type: application/problem+json" in head and b"connection: close" in head
    assert b'"code": "HeaderTooLarge"' in body and b'"instance": "/v1/cases"' in body
    # Within the bound, the application's own limits answer (a header over 8 KiB: 431 too).
    r = httpx.get(f"{api.url}/v1/cases", headers={"X-Big": "a" * 20_000})
    assert r.status_code == 431 and r.json()["code"] == "HeaderTooLarge"
    assert httpx.get(f"{api.url}/v1/cases", headers={"X-Fine": "a" * 4000}).status_code == 401
    # A body is not a head: a large one streams past the bound to the application.
    r = httpx.post(f"{api.url}/codec/decode", content=b"{" + b" " * 1_000_000 + b"}",
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 401


def test_made_up_hosts_are_refused_and_make_no_series(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as http:
        assert http.get("/v1/cases", headers={"Host": "warm-up.example"}).status_code == 400
        before = api.series()
        hosts = [f"{uuid.uuid4().hex}.example" for _ in range(500)]
        for host in hosts:
            r = http.get(f"/v1/cases/{uuid.uuid4().hex}", headers={"Host": host})
            assert r.status_code == 400 and r.json()["code"] == "UnknownHost"
    after = api.series()
    ours = {n for n in after if n.startswith(("http_", "casework_"))}
    assert {n: after[n] for n in ours} == {n: before.get(n) for n in ours}
    labels = {value for found in after.values() for series in found for _, value in series}
    assert not labels & set(hosts)
    assert not any("example" in value or value.startswith("/v1/cases/") and "{" not in value
                   for value in labels)


def test_over_the_sign_in_limit_429_counted_not_audited(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as http:
        statuses = [http.get("/sign-in").status_code for _ in range(31)]  # 30 a minute
        refused = http.get("/sign-in")
        for _ in range(20):
            assert http.get("/v1/cases").status_code == 401
    assert 429 in statuses and set(statuses[:statuses.index(429)]) <= {200}
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    series = api.series()
    assert has(series, "casework_rate_limited_total", limit="sign_in")
    assert has(series, "casework_unattributed_requests_total", operation="list_cases",
               outcome="Unauthenticated")


def has(series: dict[str, set[tuple[tuple[str, str], ...]]], name: str, **labels: str) -> bool:
    return any(set(labels.items()) <= set(found) for found in series.get(name, ()))
