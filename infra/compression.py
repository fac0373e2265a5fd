"""Payload compression, before a payload is sealed (`infra.codec`): deflate with a preset
dictionary.

A case's payloads are JSON of a few KB: its state, a step's input. Alone, each is too short for
deflate to learn the field names and values that every one of them repeats; a preset dictionary
of such JSON gives deflate that vocabulary up front, and the payloads of a recorded case then
take a little over half the bytes they take without (`tests/infra/test_compression.py`). The
dictionary is the JSON of a recorded history's payloads with every free-text and identifying
value blanked (`python -m tests.histories.dictionary`): it holds field names, enumerations and
structure, no text of any case.

A method, once written, is read forever (payloads stay in histories and archives for years):
a dictionary file is never changed; a better one is added under a new method name, and the
newest method is the one that writes. The method is named in each payload's metadata and bound
to its ciphertext; deflate's own header also carries the dictionary's checksum.
"""

from __future__ import annotations

import zlib
from pathlib import Path

# Method name -> preset dictionary (None: plain zlib, what the first release wrote).
_HERE = Path(__file__).parent
METHODS: dict[bytes, bytes | None] = {
    b"zlib": None,
    b"zlib-d1": (_HERE / "payload-dictionary-1.json").read_bytes(),
}
NEWEST = b"zlib-d1"


def compressed(data: bytes, method: bytes = NEWEST) -> bytes:
    dictionary = METHODS[method]
    deflate = zlib.compressobj(zdict=dictionary) if dictionary else zlib.compressobj()
    return deflate.compress(data) + deflate.flush()


def expanded(data: bytes, method: bytes, most: int) -> bytes:
    """Decompressed, at most `most` bytes of it: authentic payloads are ours, but the codec
    endpoint seals what a caller sends, and a few KB of zeros expand to gigabytes."""
    if method not in METHODS:
        raise ValueError("a payload is compressed by a method this release does not know")
    dictionary = METHODS[method]
    inflate = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
    out = inflate.decompress(data, most)
    if inflate.unconsumed_tail or not inflate.eof:
        raise ValueError("a compressed payload expands beyond what a payload may hold")
    return out
