"""Submission files on disk under random names, hashed while they are written."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16


class TooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    relative_path: str  # under the storage dir
    sha256: str
    size: int
    head: bytes  # the first bytes, for the header check


def store_stream(stream: BinaryIO, storage_dir: Path, limit: int) -> StoredFile:
    """Copy ``stream`` to a new random file, refusing past ``limit`` bytes."""
    relative = Path("submissions") / secrets.token_hex(2) / f"{secrets.token_hex(16)}.upload"
    target = storage_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                if len(head) < CHUNK:
                    head += chunk[: CHUNK - len(head)]
                digest.update(chunk)
                out.write(chunk)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(str(relative), digest.hexdigest(), size, head)


def discard(storage_dir: Path, stored: StoredFile) -> None:
    (storage_dir / stored.relative_path).unlink(missing_ok=True)
