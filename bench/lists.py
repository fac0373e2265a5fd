"""Operations lists over a large read model: latency of each list query, SQLite and PostgreSQL.

Fills a fresh database with N synthetic case rows (no personal data, a fixed seed), then times
each list the API serves: the first page, a filtered page, a page deep into the keyset, the due
and overdue deadlines, the failed deliveries. Prints p50/p95 per query.

    .venv/bin/python -m bench.lists --cases 50000
    .venv/bin/python -m bench.lists --cases 50000 --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, make_url

from infra.database import engine_for, migrate
from store import queries
from store.tables import CaseRow
from tests.support.databases import fresh_postgres
from workflows.model.vocabulary import (
    DeadlineKind,
    Office,
    Phase,
)

RUNS = 50


def fill(engine: Engine, cases: int) -> None:
    rnd = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(cases):
        referred = start + timedelta(minutes=rnd.randrange(60 * 24 * 365 * 6))
        phase = rnd.choice(list(Phase))
        has_deadline = not phase.closed and rnd.random() < 0.8
        rows.append({
            "case_id": f"case-{i:020d}", "revision": 1, "version": 1, "phase": str(phase),
            "office": str(rnd.choice(list(Office))), "caseworker_id": f"cw-{rnd.randrange(60)}",
            "minor": rnd.random() < 0.15, "admitted": None, "closed": phase.closed,
            "criminal_stage": "none", "referred_at": referred, "exited_on": None,
            "next_deadline_at": (datetime(2026, 11, 1, tzinfo=UTC)
                                 + timedelta(hours=rnd.randrange(24 * 400))
                                 if has_deadline else None),
            "next_deadline_kind": str(DeadlineKind.ASSESSMENT_START) if has_deadline else None,
            "overdue": int(rnd.random() < 0.03), "pending_notifications": int(rnd.random() < 0.02),
            "failed_notifications": int(rnd.random() < 0.01), "last_step_at": referred})
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            conn.execute(insert(CaseRow), rows[chunk:chunk + 5000])


def timed(name: str, query: Callable[[], Any]) -> None:
    query()  # warm
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        query()
        samples.append((time.perf_counter() - began) * 1000)
    q = statistics.quantiles(samples, n=20)
    print(f"  {name:<40} p50 {statistics.median(samples):6.2f} ms   p95 {q[18]:6.2f} ms")


def run(engine: Engine) -> None:
    token = None
    for _ in range(200):  # page 200 of 50: 10,000 cases in
        token = queries.list_cases(engine, phase=None, office=None, caseworker_id=None,
                                   page_size=50, page_token=token).next_page_token
    lists: dict[str, Callable[[], Any]] = {
        "cases, first page": lambda: queries.list_cases(
            engine, phase=None, office=None, caseworker_id=None, page_size=50, page_token=None),
        "cases, office + phase": lambda: queries.list_cases(
            engine, phase=Phase.ASSISTANCE, office=Office.HELSINKI, caseworker_id=None,
            page_size=50, page_token=None),
        "cases, one caseworker's": lambda: queries.list_cases(
            engine, phase=None, office=None, caseworker_id="cw-7", page_size=50, page_token=None),
        "cases, page 201 (keyset)": lambda: queries.list_cases(
            engine, phase=None, office=None, caseworker_id=None, page_size=50, page_token=token),
        "deadlines overdue, one office": lambda: queries.list_due(
            engine, office=Office.TAMPERE, overdue=True, due_before=None, page_size=100,
            page_token=None),
        "deadlines due within a week": lambda: queries.list_due(
            engine, office=None, overdue=False,
            due_before=datetime(2026, 11, 8, tzinfo=UTC), page_size=100, page_token=None),
        "deliveries failed or retrying": lambda: queries.list_deliveries(
            engine, office=None, failed_only=False, page_size=100, page_token=None),
    }
    for name, query in lists.items():
        timed(name, query)


def bench(url: str, cases: int) -> None:
    migrate(url)
    engine = engine_for(url)
    began = time.perf_counter()
    fill(engine, cases)
    print(f"{make_url(url).get_backend_name()}: {cases} cases "
          f"(filled in {time.perf_counter() - began:.1f} s)")
    run(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to bench as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench(f"sqlite:///{Path(folder) / 'bench.db'}", args.cases)
    if args.postgres:
        with fresh_postgres(args.postgres, "casework_bench") as url:
            bench(url, args.cases)


if __name__ == "__main__":
    main()
