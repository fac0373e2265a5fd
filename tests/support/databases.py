"""Databases for tests and benchmarks: a fresh PostgreSQL database, and faults of the
databases as another process causes them."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url

from infra.database import engine_for


@contextmanager
def fresh_postgres(server: str, prefix: str) -> Iterator[str]:
    """The URL of a new database on the PostgreSQL server `server` reaches, dropped (with any
    connection still open to it) when the block ends."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


@contextmanager
def locked(database_url: str) -> Iterator[None]:
    """Another process holding the database's write lock (SQLite), until the block ends."""
    connection = sqlite3.connect(make_url(database_url).database, check_same_thread=False)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        connection.rollback()
        connection.close()
