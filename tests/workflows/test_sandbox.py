"""What the worker's sandbox reloads for every run, and what it shares: the workflow
definitions are reloaded (isolated per run, as the SDK intends); every other module of
`workflows` is pure and passed through, once for all runs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

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
    # A module that defines a workflow is reloaded, never shared (its mixin of updates too).
    assert {name for name in names if defines_a_workflow(name)} == DEFINITIONS - {"case_updates"}
    assert not any(f"workflows.{name}" in passed for name in DEFINITIONS)
