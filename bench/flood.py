"""What people see during a flood: the latency of authenticated case reads by a few caseworkers,
alone; while one client floods the API with requests without a token, then with a bad token;
while one person floods it with valid reads; and alone again. With the shipped limits, or
`--unlimited` (the suite's, which nothing reaches: the flood unchecked).

Starts its own `casework run` (`--redis URL`: the limits counted there). The readers each have
an address of their own on loopback (127.0.0.10 and up) and read the office's cases at a
person's pace; the flood comes from another process, on 32 connections from 127.0.0.9, as fast
as the API answers. Everything stays on this machine and stops after `--seconds` a phase.
Prints each phase's reader p50/p95/max, what the flood got (answers a second, by status), the
audit entries the phase added, and the API's CPU seconds.

    .venv/bin/python -m bench.flood --seconds 20
    .venv/bin/python -m bench.flood --seconds 20 --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.procs import cpu_seconds, processes
from bench.stack import running
from infra.settings import Settings
from tests.support import factories as f
from tests.support.http import body
from tests.support.identities import bearer
from tests.support.unhurried import UNHURRIED_ENV

READERS = 8
PACE = 0.5  # seconds between one reader's reads: a person's, not a script's
FLOOD_CONNECTIONS = 32
FLOODER = "127.0.0.9"


async def flood(port: int, headers: dict[str, str], path: str, seconds: float) -> Counter[int]:
    """Requests on `FLOOD_CONNECTIONS` keep-alive connections from FLOODER, each sent as soon
    as the last is answered, for `seconds`: the statuses answered."""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    request, statuses = head.encode(), Counter[int]()
    stop = time.monotonic() + seconds

    async def connection() -> None:
        while time.monotonic() < stop:
            reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                           local_addr=(FLOODER, 0))
            try:
                while time.monotonic() < stop:
                    writer.write(request)
                    answer = await reader.readuntil(b"\r\n\r\n")
                    lines = answer.decode("latin-1").split("\r\n")
                    statuses[int(lines[0].split()[1])] += 1
                    length = next((int(ln.split(":")[1]) for ln in lines
                                   if ln.lower().startswith("content-length:")), 0)
                    await reader.readexactly(length)
                    if "connection: close" in answer.decode("latin-1").lower():
                        break
            except (ConnectionError, asyncio.IncompleteReadError):
                statuses[0] += 1  # dropped
            finally:
                writer.close()

    await asyncio.gather(*(connection() for _ in range(FLOOD_CONNECTIONS)))
    return statuses


def flood_process(port: int, headers: dict[str, str], path: str, seconds: float,
                  out: Any) -> None:
    out.put(dict(asyncio.run(flood(port, headers, path, seconds))))


async def read_as(url: str, n: int, cases: list[str], seconds: float) -> list[float]:
    """One caseworker at address 127.0.0.(10 + n) reading the office's cases, one every
    PACE seconds: the latencies in ms (a refusal or an error fails the benchmark)."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{10 + n}")
    headers = bearer(f"cw-reader-{n}", "caseworker", office="helsinki")
    took: list[float] = []
    async with httpx.AsyncClient(base_url=url, transport=transport, headers=headers,
                                 timeout=30) as http:
        stop = time.monotonic() + seconds
        await asyncio.sleep(PACE * n / READERS)  # spread over the pace
        while time.monotonic() < stop:
            started = time.perf_counter()
            r = await http.get(f"/v1/cases/{cases[len(took) % len(cases)]}")
            took.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, (r.status_code, r.text)
            await asyncio.sleep(max(0.0, PACE - took[-1] / 1000))
    return took


def audit_entries(data: Path) -> int:
    with sqlite3.connect(data / "audit.db") as db:
        return db.execute("SELECT count(*) FROM audit_log").fetchone()[0]


async def phase(name: str, url: str, cases: list[str], seconds: float, data: Path,
                api_pid: int, flooding: tuple[dict[str, str], str] | None = None) -> None:
    entries, cpu = audit_entries(data), cpu_seconds(api_pid)
    spawn = multiprocessing.get_context("spawn")
    out, process = spawn.Queue(), None
    if flooding:
        process = spawn.Process(target=flood_process, args=(
            int(url.rsplit(":", 1)[1]), *flooding, seconds + 1, out))
        process.start()
        await asyncio.sleep(1)  # the flood under way before the readers start
    took = sorted(t for done in await asyncio.gather(
        *(read_as(url, n, cases, seconds) for n in range(READERS))) for t in done)
    print(f"{name:<30} readers: {len(took):4} reads  p50 {statistics.median(took):6.1f}  "
          f"p95 {took[max(0, int(len(took) * 0.95) - 1)]:6.1f}  max {took[-1]:6.1f} ms")
    if process:
        statuses: dict[int, int] = await asyncio.to_thread(out.get, True, seconds + 60)
        process.join(30)
        answered = ", ".join(f"{status or 'dropped'}: {count / seconds:,.0f}/s"
                             for status, count in sorted(statuses.items()))
        print(f"{'':<30} flood: {sum(statuses.values()) / seconds:,.0f} answers/s "
              f"({answered})")
    print(f"{'':<30} audit entries added: {audit_entries(data) - entries}; API CPU "
          f"{cpu_seconds(api_pid) - cpu:.1f} s in {seconds + (1 if flooding else 0):.0f} s")


async def measure(seconds: float, env: dict[str, str], cases: int) -> None:
    async with running(**env) as (stack, _, _client):
        assert stack.proc is not None
        data, api_pid = Path(stack.env["CASEWORK_DATA_DIR"]), processes(stack.proc.pid)["api"]
        async with httpx.AsyncClient(base_url=stack.url, timeout=30,
                                     headers=bearer("cw-setup", "caseworker",
                                                    office="helsinki")) as http:
            opened = [await http.post("/v1/cases", json=body(f.referral()))
                      for _ in range(cases)]
        case_ids = [r.json()["case_id"] for r in opened]
        path = f"/v1/cases/{case_ids[0]}"
        valid = bearer("cw-flood", "caseworker", office="helsinki")
        print(f"{READERS} caseworkers reading a case every {PACE} s each; floods from one "
              f"client on {FLOOD_CONNECTIONS} connections; {seconds:.0f} s a phase")
        await phase("alone", stack.url, case_ids, seconds, data, api_pid)
        await phase("flood without a token", stack.url, case_ids, seconds, data, api_pid,
                    ({}, path))
        await phase("flood with a bad token", stack.url, case_ids, seconds, data, api_pid,
                    ({"Authorization": "Bearer not.a.token"}, path))
        await phase("flood of valid reads (1 person)", stack.url, case_ids, seconds, data,
                    api_pid, (valid, path))
        await phase("alone again", stack.url, case_ids, seconds, data, api_pid)


# The limits as shipped (the stack's are the suite's, which nothing reaches).
SHIPPED = {name: str(Settings.model_fields[name.removeprefix("CASEWORK_").lower()].default)
           for name in UNHURRIED_ENV}


def main(seconds: float, redis: str | None, unlimited: bool, cases: int) -> None:
    env = {} if unlimited else dict(SHIPPED)
    if redis:
        env["CASEWORK_RATE_LIMIT_STORAGE"] = redis
    print("limits: " + ("the suite's (none reached)" if unlimited else
                        "; ".join(f"{k.removeprefix('CASEWORK_RATE_LIMIT_').lower()} {v}"
                                  for k, v in SHIPPED.items()))
          + f"; counted in {redis or 'memory'}")
    asyncio.run(measure(seconds, env, cases))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="each phase (at most 120)")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--redis", help="count the limits in this Redis (redis://…)")
    parser.add_argument("--unlimited", action="store_true",
                        help="the suite's limits, which nothing reaches: the flood unchecked")
    args = parser.parse_args()
    main(min(args.seconds, 120), args.redis, args.unlimited, args.cases)
