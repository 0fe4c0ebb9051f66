"""The OpenAPI document's code-task parts (issue 16): programs through the upload route, the
dry run, a program's runs, the starter kit and the sandbox's packages."""

from __future__ import annotations

from typing import Any

from app import openapi_bodies as bodies
from app.openapi import _PATH_EVENT, _PATH_SUBMISSION, _PATH_TASK, OPENAPI, _errors, _json, _simple

_OBJECT = {"type": "object"}
_RUN = {
    "type": "object",
    "description": "A program's run. `log` (its stdout and stderr) only for staff, and for the "
    "team from a dry run: a program run on the hidden inputs can print them.",
    "properties": {
        "id": {"type": "string"},
        "purpose": {"enum": ["dry_run", "hidden"]},
        "status": {"enum": ["queued", "running", "done", "failed"]},
        "outcome": {
            "enum": [
                "exited", "time_limit", "memory_limit", "output_limit", "crashed",
                "no_report", None,
            ]
        },
        "exit_code": {"type": ["integer", "null"]},
        "signal": {"type": ["integer", "null"]},
        "elapsed_s": {"type": ["number", "null"]},
        "peak_memory_bytes": {"type": ["integer", "null"]},
        "message": {"type": "string"},
        "log": {"type": "string"},
        "log_truncated": {"type": "boolean"},
    },
}  # fmt: skip
_DRY_RUN = {
    "name": "dry_run",
    "in": "query",
    "description": "1: a code task's dry run on the public sample inputs (202 with the run; "
    "no quota, no board); poll GET /runs/{id}.",
    "schema": {"enum": ["1", "true"]},
}


def _document() -> None:
    upload: dict[str, Any] = OPENAPI["paths"]["/events/{event}/tasks/{task}/submissions"]["post"]
    upload["summary"] = "Upload a prediction file, or a code task's program"
    upload["description"] += (
        " A code task takes a program instead: a .py file, a .zip with main.py, or a notebook "
        "(.ipynb); it runs in the sandbox on the hidden inputs (status `running`), and its "
        "/output/submission.csv is scored like an upload. 503 `sandbox_unavailable` while no "
        "code worker's sandbox works."
    )
    upload["parameters"].append(_DRY_RUN)
    tasks = OPENAPI["paths"]["/events/{event}/tasks"]["post"]
    tasks["description"] = (
        "Multipart: `truth`, `metric`, `slug`, … For a code task: `kind=code`, `inputs` (the "
        "hidden inputs: the truth's ids with their features), optionally `sample_inputs`, "
        "`time_limit` (seconds) and `memory` (e.g. 2G)."
    )
    OPENAPI["paths"].update(
        {
            "/runs/{id}": {
                "get": {
                    "summary": "A program's run, as its team or staff may see it",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": _json(_RUN, "the run"), **_errors(401, 404)},
                }
            },
            "/events/{event}/tasks/{task}/starter.zip": {
                "get": {
                    "summary": "A code task's starter kit: main.py, sample inputs, packages",
                    "security": [],
                    "parameters": [_PATH_EVENT, _PATH_TASK],
                    "responses": {
                        "200": {"description": "zip", "content": {"application/zip": {}}},
                        **_errors(404),
                    },
                }
            },
            "/runtime": {
                "get": {**_simple("The packages programs run with (pinned)"), "security": []}
            },
            "/submissions/{id}/code": {
                "post": {
                    "summary": "Attach the code behind a final pick (winners' code verification)",
                    "description": "Multipart `file`: a .py, a .zip with main.py or a notebook; "
                    "a predictions task's final pick only, until the event's code deadline "
                    "(the end + 24 h unless the organizers set another). Again: replaced.",
                    "parameters": [_PATH_SUBMISSION],
                    "responses": {
                        "201": _json(_OBJECT, "attached"),
                        **_errors(400, 401, 403, 404, 409, 413, 422),
                    },
                }
            },
            "/events/{event}/verifications": {
                "get": _simple("Staff: every verdict of winners' code verification", _PATH_EVENT),
                "post": {
                    **_simple(
                        "Organizers: verify the code of the picks ranking the private boards' "
                        "top N",
                        _PATH_EVENT,
                        body=bodies.VERIFY,
                        ok="202",
                    )
                },
            },
            "/runtime/requirements.txt": {
                "get": {
                    "summary": "The same, for pip install -r",
                    "security": [],
                    "responses": {"200": {"description": "text", "content": {"text/plain": {}}}},
                }
            },
        }
    )


_document()
