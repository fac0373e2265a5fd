"""The migrations build exactly the schema the tables declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import store.tables  # noqa: F401 - the tables on the metadata
from infra.database import alembic_config, engine_for, migrate


def differences(url: str) -> list[object]:
    with engine_for(url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


def test_the_migrated_schema_is_the_declared_one(tmp_path: Path, postgres_url: str) -> None:
    sqlite = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(sqlite)
    migrate(sqlite)  # a second run finds nothing to do
    assert differences(sqlite) == []
    assert differences(postgres_url) == []


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    migrate(url)
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine_for(url)).get_table_names()) == {"alembic_version"}
    migrate(url)
    assert differences(url) == []
