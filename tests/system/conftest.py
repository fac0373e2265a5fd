"""One `casework run` shared by the tests that only talk to it (the fuzzing run, the docs in a
browser); tests that stop, kill or restart parts start stacks of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(Path(tmp_path_factory.mktemp("stack")))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
