"""Payload compression with preset dictionaries: frozen once written, free of any case's text,
and worth its place on a case it was not built from."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest

from infra.compression import METHODS, NEWEST, compressed, expanded
from infra.settings import Settings
from tests.histories.dictionary import WORD, payloads

HISTORIES = Path(__file__).parents[1] / "histories"

# The checksum of each dictionary as the payloads written with it name it in their deflate
# header: a dictionary changed after it was used leaves every such payload unreadable.
FROZEN = {b"zlib-d1": 0xB559693F}


def test_a_dictionary_is_never_changed_once_written() -> None:
    dictionaries = {method: d for method, d in METHODS.items() if d is not None}
    assert {m: zlib.adler32(d) for m, d in dictionaries.items()} == FROZEN
    assert NEWEST in METHODS


@pytest.mark.parametrize("method", [m for m, d in METHODS.items() if d is not None])
def test_a_dictionary_holds_no_text_of_a_case(method: bytes) -> None:
    text = METHODS[method].decode()  # type: ignore[union-attr]
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', text[text.index("{"):])
    assert strings
    assert [s for s in strings if s and not WORD.fullmatch(s)] == []


def test_the_dictionary_pays_off_on_a_case_it_was_not_built_from() -> None:
    # Recorded before the one the dictionary came from (`tests.histories.dictionary`).
    history = json.loads((HISTORIES / "lifecycle-v5-hardening.json").read_text())
    large = [p for p in payloads(history) if len(p) >= 256]
    plain = sum(len(compressed(p, b"zlib")) for p in large)
    preset = sum(len(compressed(p, NEWEST)) for p in large)
    assert preset < 0.75 * plain
    assert all(expanded(compressed(p, NEWEST), NEWEST, len(p)) == p for p in large)


def test_the_former_switch_still_configures_compression() -> None:
    def method(value: str) -> bytes | None:
        return Settings(payload_compression=value, _env_file=None).compression

    assert (method("true"), method("false"), method("zlib"), method("off")) == (
        NEWEST, None, b"zlib", None)
    with pytest.raises(ValueError, match="payload_compression"):
        method("gzip")
