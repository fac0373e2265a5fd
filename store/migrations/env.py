"""Alembic environment: migrations run on the engine `infra.database.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.tables  # noqa: F401 - registers the tables on the metadata

target_metadata = SQLModel.metadata

with context.config.attributes["engine"].connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
