"""The floor of the deadline rush (issue 14): the least a judging web node and worker can do.

A minimal Flask app on hackjudge's own server stack (gevent, Flask-SocketIO with the Redis
message queue) that streams the upload to disk, inserts one row and enqueues an RQ job; the job
(in a plain ``rq`` SimpleWorker, as ``hackjudge worker`` is) reads the file, computes ROC AUC
against the truth with scikit-learn, updates the row and emits ``leaderboard`` through
``SocketIO(message_queue=...)``. ``bench/rush.py`` runs it beside the platform, with the same
load, to give every figure a baseline measured in the same run.

    python bench/rush_floor.py PORT          # the web node (env: FLOOR_* below)
    rq worker -w rq.worker.SimpleWorker ...  # the workers, jobs by dotted path (this module)
"""

from __future__ import annotations

import os
import sys
import time

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = os.environ.get("FLOOR_DATABASE_URL", "")
REDIS = os.environ.get("FLOOR_REDIS_URL", "")
QUEUE = os.environ.get("FLOOR_QUEUE", "floor")
CHANNEL = os.environ.get("FLOOR_CHANNEL", "floor")
STORAGE = Path(os.environ.get("FLOOR_STORAGE", "/tmp/floor"))
TRUTH = os.environ.get("FLOOR_TRUTH", "")

SCHEMA = """
CREATE TABLE IF NOT EXISTS floor_uploads (
    id serial PRIMARY KEY,
    team text NOT NULL,
    path text NOT NULL,
    status text NOT NULL DEFAULT 'queued',
    score double precision,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


def create_app() -> Any:
    """The floor's web node: one upload route."""
    from flask import Flask, jsonify, request
    from flask_socketio import SocketIO
    from redis import Redis
    from rq import Queue
    from sqlalchemy import create_engine, text

    app = Flask(__name__)
    socketio = SocketIO(
        app, message_queue=REDIS, channel=CHANNEL, async_mode="gevent", cors_allowed_origins="*"
    )
    engine = create_engine(DATABASE.replace("postgresql://", "postgresql+psycopg://", 1))
    queue = Queue(QUEUE, connection=Redis.from_url(REDIS))
    STORAGE.mkdir(parents=True, exist_ok=True)

    @app.post("/upload")
    def upload() -> Any:
        """Stream the file to disk, insert its row, enqueue its job."""
        team = request.form["team"][:100]
        path = STORAGE / f"{os.urandom(8).hex()}.csv"
        request.files["file"].save(path)
        with engine.begin() as conn:
            upload_id = conn.execute(
                text("INSERT INTO floor_uploads (team, path) VALUES (:team, :path) RETURNING id"),
                {"team": team, "path": str(path)},
            ).scalar_one()
        queue.enqueue(
            "bench.rush_floor.score_upload",
            upload_id,
            str(path),
            team,
            job_id=f"floor-{upload_id}",
            job_timeout=60,
        )
        return jsonify({"id": upload_id}), 202

    app.extensions["floor_socketio"] = socketio
    return app


_truth: Any = None
_emitter: Any = None
_db: Any = None


def warm() -> None:
    """Load the truth, the libraries and the connections once per worker, before the rush (as
    ``hackjudge worker`` does at its start)."""
    global _truth, _emitter, _db
    import pandas as pd
    import psycopg
    import sklearn.metrics  # noqa: F401
    from flask_socketio import SocketIO

    if _truth is None:
        time.sleep(0.5)  # each worker takes one of the warm-up jobs
        _truth = pd.read_csv(TRUTH, dtype={"id": str}).set_index("id")["target"]
        _emitter = SocketIO(message_queue=REDIS, channel=CHANNEL)
        _db = psycopg.connect(DATABASE, autocommit=True)


def score_upload(upload_id: int, path: str, team: str) -> float:
    """The job: read the file, align it to the truth, ROC AUC, store and push."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    warm()
    pred = pd.read_csv(path, dtype={"id": str}).set_index("id")["target"]
    score = float(roc_auc_score(_truth.to_numpy(), pred.reindex(_truth.index).to_numpy()))
    _db.execute(
        "UPDATE floor_uploads SET status = 'scored', score = %s WHERE id = %s", (score, upload_id)
    )
    _emitter.emit("leaderboard", {"id": upload_id, "team": team, "score": score})
    return score


if __name__ == "__main__":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    application = create_app()
    application.extensions["floor_socketio"].run(
        application, host="127.0.0.1", port=int(sys.argv[1]), log_output=False
    )
