"""Every refusal of the rules says what it says in constant words with named details, so that
the console can word it in the reader's language: no refusal is built from pieces."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import workflows
from console.catalogue import refusals
from workflows.rules.step import NO_SUCH

ROOT = Path(workflows.__file__).parent
# The calendar's own refusals (a rule's maximum extension, say) are constant words too.
PASSED_THROUGH = {"err.says"}


def calls() -> Iterator[tuple[str, ast.Call]]:
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("StepRejected", "RuleRefusal")):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_every_refusal_is_constant_words_with_named_details() -> None:
    found = list(calls())
    assert len(found) > 40
    for where, call in found:
        says = call.args[-1] if len(call.args) < 2 else call.args[1]
        if ast.unparse(says) in PASSED_THROUGH or ast.unparse(says) == "NO_SUCH[key]":
            continue
        assert isinstance(says, ast.Constant) and isinstance(says.value, str), where
        named = {name for _, name, _, _ in string.Formatter().parse(says.value) if name}
        given = {k.arg for k in call.keywords}
        assert None in given or named <= given, f"{where}: {named - given} not given"


def test_the_catalogue_has_every_refusal() -> None:
    assert set(NO_SUCH.values()) <= refusals()
    assert "{field} {value} is after {latest}" in refusals()
