"""The ``hackjudge`` console script: patch for gevent first, then run ``app.cli``.

gevent's monkey-patching must come before anything imports socket, threading, select or ssl
(Flask, psycopg, redis-py, the app itself): psycopg picks its wait function when imported and
cooperates only if ``select`` is already patched, and locks created before patching block the
whole loop. So this module imports nothing but ``config`` (plain standard library) before
deciding, and ``app`` only afterwards.
"""

from __future__ import annotations

import os
import sys

from config import launch_with_gevent


def prepare(argv: list[str]) -> bool:
    """Patch the process for gevent if the command about to run wants it; whether it did."""
    command = argv[0] if argv else ""
    if not launch_with_gevent(command, os.environ):
        return False
    from gevent import monkey

    monkey.patch_all()
    return True


def main() -> None:
    prepare(sys.argv[1:])
    from app.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
