"""Faults of the databases, as another process causes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url


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
