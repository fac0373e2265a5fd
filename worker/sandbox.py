"""The sandbox the worker runs workflows in: which modules each run shares, and the runner."""

from __future__ import annotations

import functools
import pkgutil
from types import CodeType
from typing import Any

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

import workflows

# Everything in `workflows` but the workflow definitions is pure (the "deterministic" import
# contract; `tests/workflows/engine/test_sandbox.py` checks it reads no clock, chance or
# environment, which the sandbox no longer sees there) and keeps no state of its own: configured
# here, it is imported once outside the sandbox and shared read-only by every run, instead of being
# executed again for each run that starts or is replayed (a fifth of a worker's CPU, when passed
# through only by `imports_passed_through`, which `from workflows import x` slips past). The
# modules that define workflows are reloaded per run, as the SDK intends; the case's update surface
# (`engine.updates`, delegation only) is shared like the rest: its 25 update decorators were a third
# of what opening a run (a new case, or a replay) cost. The deadline calendar's holiday table,
# filled at import with locale look-ups the sandbox forbids, is shared too.
DEFINITIONS = {"workflows.engine.case_workflow", "workflows.engine.archiving"}
MODULES = [m.name for m in pkgutil.walk_packages(workflows.__path__, "workflows.")]
# The SDK passes a package's modules through with it: a package holding a definition is not.
PURE = [name for name in MODULES
        if name not in DEFINITIONS and not any(d.startswith(f"{name}.") for d in DEFINITIONS)]


@functools.lru_cache(maxsize=64)
def _compiled(code: str) -> CodeType:
    return compile(code, "<string>", "exec")


class _CompiledOnce(_Instance):
    """Runs the SDK's snippets compiled once. The SDK enters a run's sandbox by `exec` of a
    two-line snippet given as text, compiled anew at every call: for every activation, and for
    every payload a workflow task carries (to find its serialization context), a tenth of a
    worker's CPU in compiling alone (temporalio 1.35.0). The snippets are constants but for the
    workflow class a run imports; executing the same code object in the same namespace is what
    `exec` of its text does."""

    def _run_code(self, code: str | CodeType, **extra_globals: Any) -> None:
        super()._run_code(_compiled(code) if isinstance(code, str) else code,  # type: ignore[arg-type]
                          **extra_globals)


class Runner(SandboxedWorkflowRunner):
    """The SDK's sandbox, its entry code compiled once. `_CompiledOnce` leans on the SDK's
    private `_Instance`: `tests/workflows/engine/test_sandbox.py` fails should an upgrade change
    how a run enters its sandbox."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _CompiledOnce(det, self.runner_class, self.restrictions)


WORKFLOW_RUNNER = Runner(restrictions=SandboxRestrictions.default.with_passthrough_modules(
    *PURE, "holidays", "dateutil"))
