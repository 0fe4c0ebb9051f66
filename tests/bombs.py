"""Archives of about 1 MB that expand past the 1 GiB cap, built in a fraction of a second.

Deflating a GiB takes many seconds; these deflate 64 MiB once and repeat the result. After a
full flush a deflate stream holds no reference back, so the same blocks can follow each other
(a zip member), and gzip members in a row are one gzip file (RFC 1952).
"""

from __future__ import annotations

import functools
import gzip
import struct
import zlib

MIB = 1 << 20
BLOCK = 64 * MIB
REPEATS = 17  # 17 × 64 MiB = 1.06 GiB
EXPANDED = REPEATS * BLOCK
HEADER = b"id,target\n"


@functools.cache
def zeros() -> bytes:
    return b"0" * BLOCK


def gzip_bomb() -> bytes:
    """A CSV header, then 1.06 GiB of ``0``: one line, as gzip."""
    return gzip.compress(HEADER, mtime=0) + gzip.compress(zeros(), 9, mtime=0) * REPEATS


@functools.cache
def _deflated() -> tuple[bytes, int]:
    """Raw deflate of 1.06 GiB of ``0`` and its CRC-32."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(zeros()) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty last block
    crc = 0
    for _ in range(REPEATS):
        crc = zlib.crc32(zeros(), crc)
    return block * REPEATS + final, crc


def zip_bomb(declared: int | None = None) -> bytes:
    """A zip of one deflated member of 1.06 GiB of ``0``; ``declared`` is the size its headers
    claim instead of the real one (a bomb that lies to a reader trusting them)."""
    data, crc = _deflated()
    size = EXPANDED if declared is None else declared
    name = b"p.csv"
    # Local header, data, central directory entry, end of central directory (APPNOTE 4.3).
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, 5, 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(data),
        size,
        5,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    offset = len(local) + len(name) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(name), offset, 0)
    return local + name + data + central + name + end
