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

import workflows
from worker.main import DEFINITIONS, PURE, WORKFLOW_RUNNER


def defines_a_workflow(name: str) -> bool:
    module = importlib.import_module(f"workflows.{name}")
    return any(hasattr(value, "__temporal_workflow_definition")
               for _, value in inspect.getmembers(module, inspect.isclass)
               if value.__module__ == module.__name__)


def test_only_the_definitions_are_reloaded_per_run() -> None:
    names = {m.name for m in pkgutil.iter_modules(workflows.__path__)}
    passed = WORKFLOW_RUNNER.restrictions.passthrough_modules
    assert {f"workflows.{name}" for name in names - DEFINITIONS} == set(PURE) <= passed
    # A module that defines a workflow is reloaded, never shared; the mixin of its updates,
    # which only delegates to it, is shared (and checked below like every shared module).
    assert {name for name in names if defines_a_workflow(name)} == DEFINITIONS
    assert not any(f"workflows.{name}" in passed for name in DEFINITIONS)


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
