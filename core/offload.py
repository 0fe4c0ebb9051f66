"""CPU-heavy work run off the web node's event loop, in small bounded pools of real threads.

Under ``hackjudge serve``'s gevent loop a request that computes (a password hash, an XLSX
export, the statistics page's bootstrap over every team's file) stops every other request and
websocket of the node while it runs (issue 12). Here it runs in a real OS thread instead: the
loop keeps serving (scrypt, pandas and numpy release the GIL for most of their work; pure
Python shares it in 5 ms slices), and each pool's size caps the CPU and memory a flood of such
requests can take. Outside gevent (embedded mode, workers, the CLI) a standard executor does
the same. Only pure work goes to a pool: database reads stay on the calling greenlet, which
hands the pool plain values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from config import gevent_patched

T = TypeVar("T")


class Pool:
    """A named pool of ``threads`` real threads, made on first use (after gevent patching)."""

    def __init__(self, name: str, threads: int) -> None:
        self.name = name
        self.threads = max(1, threads)
        self._pool: Any = None
        self._lock = threading.Lock()

    def _threads(self) -> Any:
        # Under gevent, ``threading`` makes greenlets, so the pool must be gevent's own pool
        # of real threads.
        with self._lock:
            if self._pool is None:
                if gevent_patched():
                    from gevent.threadpool import ThreadPool

                    self._pool = ThreadPool(self.threads)
                else:
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
            return self._pool

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in this pool; only the calling greenlet or thread waits."""
        pool = self._threads()
        if isinstance(pool, ThreadPoolExecutor):
            return pool.submit(work, *args).result()
        return pool.apply(work, args)


# Exports and statistics: two at once per process; more wait their turn (they are staff's).
heavy = Pool("heavy-work", 2)
