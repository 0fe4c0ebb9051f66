"""Where the sandbox (``judge.sandbox``) runs on the host: the runtime and the starter staged
where the sandbox's user can reach them, and the host uid each run holds alone."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# A root host's uids for its runs, one per run at a time: no user of the host has them (Linux's
# uids go to 2**32 - 2; systemd's ranges, containers' included, end below 1879048192).
HOST_UIDS = range(2_000_000_000, 2_000_000_000 + 1024)
INIT = Path(__file__).with_name("sandbox_init.py")
ROOT = Path(__file__).resolve().parents[1]
RUNTIME = Path(os.environ.get("HACKJUDGE_RUNTIME", ROOT / ".venv-runtime"))


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or fails its self-test: no team code may run on this worker."""


def _reachable(path: Path) -> bool:
    """Can any user (the sandbox's) reach ``path``: every folder above it searchable by others?"""
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.resolve().parents)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # the same file system: instant, and the same bytes
    except OSError:
        shutil.copy2(source, target)


def staged() -> tuple[Path, Path]:
    """The runtime and the init where the sandbox's user can reach them (bubblewrap binds as
    that user). A checkout in a private folder (a CI clone under a 0700 temporary folder) gets a
    copy of both, hard links where it can, in the system's temporary folder, made once per
    runtime and init, owned by this user and writable by no one else."""
    if os.geteuid() != 0 or (_reachable(RUNTIME) and _reachable(INIT)):
        return RUNTIME, INIT
    digest = hashlib.sha256(
        str(RUNTIME).encode() + (RUNTIME / "pyvenv.cfg").read_bytes() + INIT.read_bytes()
    ).hexdigest()[:16]
    stage = Path(tempfile.gettempdir()) / f"hackjudge-runtime-{digest}"
    if stage.is_dir() and not stage.is_symlink():
        info = stage.stat()
        if info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return stage / "runtime", stage / "init.py"
        raise SandboxUnavailable(f"{stage} is not ours: remove it")
    partial = Path(tempfile.mkdtemp(prefix=f"{stage.name}.", dir=stage.parent))
    shutil.copytree(RUNTIME, partial / "runtime", symlinks=True, copy_function=_link_or_copy)
    shutil.copy2(INIT, partial / "init.py")
    (partial / "init.py").chmod(0o644)
    partial.chmod(0o755)
    try:
        partial.rename(stage)
    except OSError:  # another worker staged it first
        shutil.rmtree(partial, ignore_errors=True)
    return stage / "runtime", stage / "init.py"


def drop_user(uid: int | None) -> list[str]:
    """A root host drops to the run's own uid first: the process limit then counts this run's
    processes alone, and the host's files are those of a user who owns none."""
    if uid is None:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _uid_locks() -> Path:
    """Where a root host's runs hold their uids: a folder of root's that only root may write."""
    folder = Path(tempfile.gettempdir()) / "hackjudge-sandbox-uids"
    with suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUnavailable(f"{folder} is not root's own folder: remove it")
    return folder


@contextmanager
def host_uid() -> Iterator[int | None]:
    """A host uid for one run that no other run holds meanwhile (a lock on a file per uid, which
    the kernel lets go if this process dies), held until the run's processes are gone; None on
    a host that is not root, where bubblewrap runs as the worker's own user."""
    if os.geteuid() != 0:
        yield None
        return
    folder = _uid_locks()
    for uid in HOST_UIDS:
        fd = os.open(
            folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.utime(fd)  # in use: never old enough for a cleaner of old temporary files to remove
        try:
            yield uid
        finally:
            os.close(fd)
        return
    raise SandboxUnavailable(f"all {len(HOST_UIDS)} sandbox uids are in use")
