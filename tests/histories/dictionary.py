"""Build a preset dictionary for payload compression from a recorded history:

    python -m tests.histories.dictionary lifecycle-v6-client-work.json \\
        > infra/payload-dictionary-N.zdict

A dictionary, once a method writes with it, is never changed (`infra.compression`): this makes
the next one. It is the history's payloads as JSON (a case's input, steps, states, activity
inputs and results) with every value blanked that is not a word of the vocabulary
(`workflows.model.vocabulary`) or a moment the system recorded: it holds the field names,
enumerations and structure every payload repeats, and no name, date, text or identifier of the
recorded (synthetic) case. Deflate looks back at most 32 KiB, and nearer is cheaper: the
distinct payloads go smallest first, the fullest state last.
"""

from __future__ import annotations

import base64
import enum
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workflows.model import vocabulary

WINDOW = 32 * 1024
VOCABULARY = frozenset(member.value for kind in vars(vocabulary).values()
                       if isinstance(kind, type) and issubclass(kind, enum.StrEnum)
                       for member in kind)
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def kept(value: str) -> bool:
    """A value the dictionary may hold: a word of the vocabulary, or an instant (when the system
    recorded something; a person's dates are days, never instants)."""
    return value in VOCABULARY or MOMENT.fullmatch(value) is not None


def payloads(history: Any) -> Iterator[bytes]:
    if isinstance(history, dict):
        if isinstance(history.get("data"), str) and "metadata" in history:
            yield base64.b64decode(history["data"])
        for value in history.values():
            yield from payloads(value)
    elif isinstance(history, list):
        for value in history:
            yield from payloads(value)


def blanked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: blanked(v) for key, v in value.items()}
    if isinstance(value, list):
        return [blanked(v) for v in value]
    if isinstance(value, str) and not kept(value):
        return ""
    return value


def dictionary(history: Any) -> bytes:
    distinct: dict[bytes, None] = {}
    for data in payloads(history):
        try:
            distinct[json.dumps(blanked(json.loads(data)), separators=(",", ":")).encode()] = None
        except ValueError:
            continue  # not JSON (a binary payload): nothing to learn from
    return b"".join(sorted(distinct, key=len))[-WINDOW:]


if __name__ == "__main__":
    recorded = json.loads((Path(__file__).parent / sys.argv[1]).read_text())
    sys.stdout.buffer.write(dictionary(recorded))
