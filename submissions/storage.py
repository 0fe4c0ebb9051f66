"""Submission files on disk under random names, hashed while they are written.

A file is written as ``.part``, flushed to the disk (fsync), then renamed to ``.upload``, and
only then may a row name it: a row never points at half a file, even after a power cut. What a
crash leaves between the two (a ``.part``, an ``.upload`` no row names) is found by
``orphans`` and removed by the reconciler's sweep once older than a grace period.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16
FOLDER = "submissions"
# Files spread over 256 folders (two hex digits): all made within the first ~1,500 uploads, so
# an upload after that makes none; 100,000 files are ~400 a folder, which ext4's hashed
# directories take in their stride. 65,536 folders (four digits: older rows name such paths,
# which stay valid) had nearly every upload of an event's first tens of thousands make its
# folder: a mkdir and a new directory's metadata to the disk (~1% of a web node's CPU in a
# rush, issue 14).
FOLDER_BYTES = 1  # random bytes of a folder's name (two hex digits)
PART, UPLOAD = ".part", ".upload"
# No room left: the disk (ENOSPC), a quota (EDQUOT), or a file-size limit (EFBIG, RLIMIT_FSIZE).
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class TooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""


class StorageFull(Exception):
    """The storage has no room for the file; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    relative_path: str  # under the storage dir
    sha256: str
    size: int
    head: bytes  # the first bytes, for the header check


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Folders this process made or found: an upload's file opens without a mkdir first (a system
# call each upload, ~1% of a web node's CPU in a rush: issue 14). One gone since is made again.
_FOLDERS: set[Path] = set()


def _opened(partial: Path) -> BinaryIO:
    folder = partial.parent
    if folder not in _FOLDERS:
        folder.mkdir(parents=True, exist_ok=True)
        _FOLDERS.add(folder)
    try:
        return partial.open("wb")
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return partial.open("wb")


def store_stream(stream: BinaryIO, storage_dir: Path, limit: int) -> StoredFile:
    """Copy ``stream`` to a new random file, refusing past ``limit`` bytes; durable on return."""
    relative = Path(FOLDER) / secrets.token_hex(FOLDER_BYTES) / f"{secrets.token_hex(16)}{UPLOAD}"
    target = storage_dir / relative
    partial = target.with_suffix(PART)
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with _opened(partial) as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                if len(head) < CHUNK:
                    head += chunk[: CHUNK - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # the data, before any row may name the file
        partial.replace(target)
        _fsync_dir(target.parent)  # the rename
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            raise StorageFull(str(exc)) from exc
        raise
    return StoredFile(str(relative), digest.hexdigest(), size, head)


def hash_stream(stream: BinaryIO, limit: int) -> str:
    """The sha256 of ``stream`` without keeping it (a retried upload is compared, not stored)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        digest.update(chunk)
    return digest.hexdigest()


def discard(storage_dir: Path, stored: StoredFile) -> None:
    (storage_dir / stored.relative_path).unlink(missing_ok=True)


@dataclass(frozen=True)
class Orphans:
    """Files older than the grace: ``.part`` ones (always stale by then) and uploads, which
    are orphans unless a row names them (relative paths, as rows store them)."""

    parts: list[Path]
    uploads: list[str]


def orphans(storage_dir: Path, older_than_s: float, now: float | None = None) -> Orphans:
    """Candidates for the sweep: files not written to for ``older_than_s`` seconds."""
    cutoff = (time.time() if now is None else now) - older_than_s
    parts: list[Path] = []
    uploads: list[str] = []
    root = storage_dir / FOLDER
    if not root.is_dir():
        return Orphans(parts, uploads)
    for folder in os.scandir(root):
        if not folder.is_dir(follow_symlinks=False):
            continue
        for entry in os.scandir(folder.path):
            try:
                if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:  # removed meanwhile (another node's sweep)
                continue
            if entry.name.endswith(PART):
                parts.append(Path(entry.path))
            elif entry.name.endswith(UPLOAD):
                uploads.append(f"{FOLDER}/{folder.name}/{entry.name}")
    return Orphans(parts, uploads)


def free_bytes(storage_dir: Path) -> tuple[int, int]:
    """(free, total) bytes of the storage's file system."""
    usage = shutil.disk_usage(storage_dir)
    return usage.free, usage.total
