"""What the worker's sandbox reloads for every run, and what it shares: the modules that
define workflows are reloaded (isolated per run, as the SDK intends); every other module of
`workflows` is pure and passed through, once for all runs."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

import workflows
from infra.temporal import DATA_CONVERTER
from tests.histories import RECORDED
from tests.support.workflow import client_of, unbound
from worker.main import WORKFLOWS
from worker.sandbox import DEFINITIONS, PURE, WORKFLOW_RUNNER, _compiled


def defines_a_workflow(name: str) -> bool:
    module = importlib.import_module(name)
    return any(hasattr(value, "__temporal_workflow_definition")
               for _, value in inspect.getmembers(module, inspect.isclass)
               if value.__module__ == module.__name__)


def test_only_the_definitions_are_reloaded_per_run() -> None:
    """Every module of `workflows`, in every sub-package, is either reloaded or shared."""
    names = {m.name for m in pkgutil.walk_packages(workflows.__path__, "workflows.")}
    assert {"workflows.model.state", "workflows.rules.lifecycle"} <= names  # it walks them all
    passed = WORKFLOW_RUNNER.restrictions.passthrough_modules
    assert set(PURE) <= passed
    # A module that defines a workflow is reloaded, never shared, nor is the package holding
    # it (the SDK would pass its modules through with it); the mixin of its updates, which only
    # delegates to it, is shared (and checked below like every shared module).
    assert {name for name in names if defines_a_workflow(name)} == DEFINITIONS
    assert names - set(PURE) == DEFINITIONS | {"workflows.engine"}
    runner = WORKFLOW_RUNNER.restrictions
    assert not any(_passed(runner, name) for name in DEFINITIONS)


def _passed(restrictions: object, name: str) -> bool:
    """As the SDK decides: the module, or a package above it, is passed through."""
    passed = restrictions.passthrough_modules  # type: ignore[attr-defined]
    parts = name.split(".")
    return any(".".join(parts[:n]) in passed for n in range(1, len(parts) + 1))


async def test_a_run_enters_its_sandbox_by_code_compiled_once() -> None:
    """The SDK enters a run's sandbox by executing snippets of code, which the runner compiles
    once: a replay of a whole case uses them again and again and compiles none anew."""
    path = RECORDED[-1]
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER,
                        workflow_runner=WORKFLOW_RUNNER)
    assert (await replayer.replay_workflow(history)).replay_failure is None
    before = _compiled.cache_info()
    assert (await replayer.replay_workflow(history)).replay_failure is None
    after = _compiled.cache_info()
    assert after.currsize == before.currsize <= 8
    tasks = sum(e.HasField("workflow_task_completed_event_attributes") for e in history.events)
    assert after.hits - before.hits > tasks > 10


# What the sandbox would refuse in a module it loads, and no longer sees in one passed through.
UNSAFE_MODULES = {"random", "secrets", "uuid", "time", "os", "socket", "threading", "subprocess"}
UNSAFE_CALLS = {"now", "today", "utcnow", "utcfromtimestamp", "fromtimestamp"}


def unsafe(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] if node.module.split(".")[0] in UNSAFE_MODULES else []
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in UNSAFE_CALLS
              and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "workflow")):
            found.append(f"{ast.unparse(node.func)}()")
    return found


def test_the_shared_modules_read_no_clock_chance_or_environment() -> None:
    for name in PURE:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        assert unsafe(Path(spec.origin).read_text()) == [], name


def test_the_check_finds_what_it_looks_for() -> None:
    assert unsafe("import random\nfrom time import sleep\nx = datetime.now(UTC)\n"
                  "y = workflow.now()\nz = date.today()") == [
        "random", "time", "datetime.now()", "date.today()"]


async def test_the_sdk_s_private_fields_the_tests_use_are_still_there(
        env: WorkflowEnvironment) -> None:
    """`tests/support/workflow.client_of` and `unbound` reach into the SDK's handle: an
    upgrade that renames its fields fails here, by name, not in a hundred tests at once."""
    handle = env.client.get_workflow_handle("case-x", run_id="r1")
    assert client_of(handle) is env.client
    assert handle.run_id == "r1" and unbound(handle).run_id is None  # type: ignore[arg-type]
