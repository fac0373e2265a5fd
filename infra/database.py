"""The read model's database: one engine per URL, SQLite tuned for concurrent use, migrations.

SQLite (a file under the data folder) by default; PostgreSQL in production through
CASEWORK_DATABASE_URL. The schema changes only through the Alembic migrations in
`store/migrations`, which `casework run` and `casework setup` apply.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url

from infra.keyfiles import make_private

# One writer at a time, readers alongside it (WAL); a writer waits for the lock instead of
# failing at once; synchronous=normal is durable across process crashes in WAL mode.
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal", "busy_timeout=10000",
                  "foreign_keys=on")


@lru_cache
def engine_for(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10)
    private_sqlite(url)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions begin in `_begin` below
        for pragma in SQLITE_PRAGMAS:
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A transaction that will write takes the write lock at its start: one that reads first
        # and writes later could otherwise fail at once when another process wrote in between.
        immediate = conn.get_execution_options().get("write_lock", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def private_sqlite(url: str) -> None:
    """The database file, the owner's only (0600): made so before SQLite makes it, since its
    journal, WAL and shared-memory files take the database file's mode; tightened if an older
    one was readable by others."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.parent.is_dir():
        return  # SQLite says so when it opens it
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm",
                                                                       "-journal"))):
        make_private(file)


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking the write lock up front (SQLite; PostgreSQL
    locks rows as they are written)."""
    return engine.execution_options(write_lock=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "store:migrations")
    config.attributes["engine"] = engine_for(url)
    return config


def migrate(url: str) -> None:
    """Bring the schema up to the newest migration; idempotent."""
    command.upgrade(alembic_config(url), "head")
