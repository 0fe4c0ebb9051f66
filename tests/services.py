"""Real PostgreSQL and Redis for the tests: the machine's own, or throwaway servers.

The suite creates and drops its own databases and uses its own Redis database number; when
nothing answers on the usual ports it starts private servers under a temporary folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

PG_URL = os.environ.get("HACKJUDGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HACKJUDGE_TEST_REDIS", "redis://127.0.0.1:6379/13")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # the server is still starting
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {timeout:.0f}s: {last}")


def pg_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


class Throwaway:
    """Private servers started when the machine's own do not answer; stopped at the end."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hackjudge-services-"))
        self.procs: list[subprocess.Popen] = []
        self.pg_data: Path | None = None
        self.pg_ctl: str | None = None

    def redis(self) -> str:
        server = RedisServer(self.folder, db=13).start()
        assert server.proc is not None
        self.procs.append(server.proc)
        return server.url

    def postgres(self) -> str:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL answers nowhere and no initdb is installed")
        bindir = Path(found[-1]).parent
        self.pg_data = self.folder / "pg"
        self.pg_ctl = str(bindir / "pg_ctl")
        port = free_port()
        # initdb refuses root: run the server as the postgres system user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if prefix:
            shutil.chown(self.folder, "postgres")
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(self.pg_data),
                "-U",
                "postgres",
                "--auth=trust",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                *prefix,
                self.pg_ctl,
                "-D",
                str(self.pg_data),
                "-l",
                str(self.folder / "pg.log"),
                "-o",
                f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._pg_prefix = prefix
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait(lambda: pg_answers(url), "throwaway postgres")
        return url

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(10)
        if self.pg_data is not None:
            subprocess.run(
                [*self._pg_prefix, self.pg_ctl, "-D", str(self.pg_data), "stop", "-m", "fast"],
                check=False,
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    """A private redis-server on its own port, which a test may stop and start again."""

    def __init__(self, folder: Path, db: int = 0) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/{db}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait(lambda: redis_answers(self.url), "private redis")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash would: nothing is saved
            self.proc.wait(10)
