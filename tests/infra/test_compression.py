"""Payload compression with preset dictionaries: frozen once written, free of any case's
personal data and text, worth its place on a case it was not built from, and strict on what it
is given to expand."""

from __future__ import annotations

import json
import re
import zlib

import pytest

from infra.compression import METHODS, NEWEST, UnknownCompression, compressed, expanded
from infra.settings import Settings
from tests.histories import FOLDER
from tests.histories.dictionary import kept, payloads

DICTIONARIES = {method: d for method, d in METHODS.items() if d is not None}

# The checksum of each dictionary, as the payloads written with it name it in their deflate
# header: a dictionary changed after it was used leaves every such payload unreadable.
FROZEN = {b"zlib-d1": 0xEB63C55B}


def test_a_dictionary_is_never_changed_once_written() -> None:
    assert {m: zlib.adler32(d) for m, d in DICTIONARIES.items()} == FROZEN
    assert NEWEST in METHODS


@pytest.mark.parametrize("method", DICTIONARIES)
def test_a_dictionary_holds_no_personal_data_or_text(method: bytes) -> None:
    text = DICTIONARIES[method].decode()
    # Every string that is a value, not a key: a word of the vocabulary, an instant, or blank.
    literals = re.finditer(r'"((?:[^"\\]|\\.)*)"(:?)', text[text.index("{"):])
    values = [m[1] for m in literals if not m[2]]
    assert len(values) > 100
    assert [v for v in values if v and not kept(v)] == []
    # And none of what the recorded case it was made from says about its person or in words.
    opening = json.loads(next(payloads(json.loads(
        (FOLDER / "lifecycle-v6-client-work.json").read_text()))))["opening"]["referral"]
    person = opening["person"]
    personal = [person["surname"], person["given_names"], person["date_of_birth"],
                person["nationality"], opening["reason"][:20], *person["languages"]]
    assert all(personal) and [p for p in personal if f'"{p}' in text] == []


def test_the_dictionary_pays_off_on_a_case_it_was_not_built_from() -> None:
    # Recorded before the one the dictionary came from (`tests.histories.dictionary`).
    history = json.loads((FOLDER / "lifecycle-v5-hardening.json").read_text())
    large = [p for p in payloads(history) if len(p) >= 256]
    plain = sum(len(compressed(p, b"zlib")) for p in large)
    preset = sum(len(compressed(p, NEWEST)) for p in large)
    assert preset < 0.75 * plain
    assert all(expanded(compressed(p, NEWEST), NEWEST, len(p)) == p for p in large)


def test_expanding_refuses_what_is_not_its_method_s_or_beyond_the_bound() -> None:
    data = b'{"kind":"admission_decision","status":"met"}' * 20
    with pytest.raises(UnknownCompression, match="'zstd'"):
        expanded(compressed(data), b"zstd", 10_000)
    with pytest.raises(ValueError, match="not what its method writes"):
        expanded(compressed(data, NEWEST), b"zlib", 10_000)  # the dictionary its header names
    with pytest.raises(ValueError, match="not what its method writes"):
        expanded(b"not deflate", NEWEST, 10_000)
    for room in (len(data) - 1, 0):
        with pytest.raises(ValueError, match="expands beyond"):
            expanded(compressed(data), NEWEST, room)
    assert expanded(compressed(data), NEWEST, len(data)) == data


def test_the_setting_names_a_method_and_still_takes_a_yes_or_no() -> None:
    def method(value: str) -> bytes | None:
        return Settings(payload_compression=value, _env_file=None).compression

    for yes in ("true", "TRUE", "1", "yes", "on", " True "):
        assert method(yes) == NEWEST
    for no in ("false", "0", "no", "off", "Off"):
        assert method(no) is None
    assert [method(m.decode()) for m in METHODS] == list(METHODS)
    assert Settings(_env_file=None).compression == NEWEST
    with pytest.raises(ValueError, match="a compression method"):
        method("gzip")
