"""Payload compression, before a payload is sealed (`infra.codec`): deflate with a preset
dictionary.

A case's payloads are JSON of a few KB: its state, a step's input. Alone, each is too short for
deflate to learn the field names and values that every one of them repeats; a preset dictionary
of such JSON gives deflate that vocabulary up front, and the payloads of a recorded case then
take a little over half the bytes they take without (`tests/infra/test_compression.py`). The
dictionary is the JSON of a recorded synthetic case's payloads with every value blanked but the
words of the vocabulary and the instants the system recorded (`python -m
tests.histories.dictionary`): field names, enumerations and structure, no name, date or text.

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
    b"zlib-d1": (_HERE / "payload-dictionary-1.zdict").read_bytes(),
}
NEWEST = b"zlib-d1"


class UnknownCompression(ValueError):
    """An authentic payload compressed by a method this release does not know: written by a
    newer release (roll forward, or set the newer one's CASEWORK_PAYLOAD_COMPRESSION to a
    method this one reads)."""

    def __init__(self, method: bytes) -> None:
        known = ", ".join(m.decode() for m in METHODS)
        super().__init__(f"a payload is compressed by {method.decode(errors='replace')!r}, "
                         f"which this release does not read (it reads {known})")


def compressed(data: bytes, method: bytes = NEWEST) -> bytes:
    dictionary = METHODS[method]
    deflate = zlib.compressobj(zdict=dictionary) if dictionary else zlib.compressobj()
    return deflate.compress(data) + deflate.flush()


def expanded(data: bytes, method: bytes, most: int) -> bytes:
    """Decompressed, at most `most` bytes of it: authentic payloads are ours, but the codec
    endpoint seals what a caller sends, and a few KB of zeros expand to gigabytes."""
    if method not in METHODS:
        raise UnknownCompression(method)
    if most <= 0:  # zlib reads a limit of 0 as none
        raise ValueError("a compressed payload expands beyond what a payload may hold")
    dictionary = METHODS[method]
    try:
        inflate = zlib.decompressobj(zdict=dictionary) if dictionary else zlib.decompressobj()
        out = inflate.decompress(data, most)
    except zlib.error:
        raise ValueError("a compressed payload is not what its method writes") from None
    if inflate.unconsumed_tail or not inflate.eof:
        raise ValueError("a compressed payload expands beyond what a payload may hold")
    return out
