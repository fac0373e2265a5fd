"""Copies of closed runs' histories: archivers racing on one run (several workers, or a round
overlapping a retried one) leave exactly one copy and fail none of them. SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, select
from sqlmodel import Session
from temporalio.api.history.v1 import HistoryEvent as Event

from infra.database import engine_for
from store.history import archived_runs, store_run
from store.tables import ArchivedRun, HistoryEvent

CASE = "case-aaaaaaaaaaaaaaaaaaaa"


def closed_run(run_id: str) -> Any:
    """A closed run as the SDK's visibility lists it (the fields the copy reads)."""
    now = datetime.now(UTC)
    return SimpleNamespace(id=CASE, run_id=run_id, start_time=now, close_time=now,
                           status=SimpleNamespace(name="COMPLETED"))


def events(n: int) -> list[Event]:
    at = Timestamp()
    at.FromDatetime(datetime.now(UTC))
    return [Event(event_id=i, event_time=at) for i in range(1, n + 1)]


def test_racing_archivers_store_a_run_once(any_database: str) -> None:
    engine = engine_for(any_database)
    runs = [closed_run(f"run-{i}") for i in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:  # each run stored by eight at once
        list(pool.map(lambda job: store_run(engine, runs[job % 4], events(5)), range(32)))
    with Session(engine) as db:
        assert db.execute(select(func.count()).select_from(ArchivedRun)).scalar_one() == 4
        assert db.execute(select(func.count()).select_from(HistoryEvent)).scalar_one() == 20
    assert sorted(archived_runs(engine, CASE)) == [f"run-{i}" for i in range(4)]
