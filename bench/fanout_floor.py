"""The floor of ``bench/fanout.py``: a bare Flask-SocketIO server relaying the Redis queue.

No database, no auth, no board: ``subscribe`` joins the event's public room and acks, and
whatever an emitter publishes on the channel goes to that room. It runs on the same web
server, with the same options, as ``hackjudge serve`` in the same async mode.

    python bench/fanout_floor.py --mode gevent --port 5001 --redis redis://... --channel c
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["threading", "gevent"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    if args.mode == "gevent":
        # Before anything below imports socket or threading, as the hackjudge launcher does.
        from gevent import monkey

        monkey.patch_all()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from flask import Flask
    from flask_socketio import SocketIO, join_room

    from app.serving import raise_open_files_limit, server_options, tune_garbage_collector
    from scoreboard.publish import NAMESPACE, public_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=args.mode, message_queue=args.redis, channel=args.channel)

    def subscribe(payload: dict[str, Any]) -> dict[str, Any]:
        join_room(public_room(payload["event"]))
        return {"ok": True}

    socketio.on_event("subscribe", subscribe, namespace=NAMESPACE)
    raise_open_files_limit()
    tune_garbage_collector()  # as hackjudge serve does
    print(f"floor serving on port {args.port}, async mode {args.mode}", file=sys.stderr)
    socketio.run(app, host="127.0.0.1", port=args.port, **server_options(args.mode))


if __name__ == "__main__":
    main()
