"""The OpenAPI 3.1 document served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from app import openapi_bodies as bodies

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(c): {"description": "error", "content": {"application/json": {"schema": _ERROR}}}
        for c in codes
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_SUBMISSION = {"$ref": "#/components/schemas/Submission"}
_BOARD = {"$ref": "#/components/schemas/Leaderboard"}
_PATH_EVENT = {"name": "event", "in": "path", "required": True, "schema": {"type": "string"}}
_PATH_TASK = {"name": "task", "in": "path", "required": True, "schema": {"type": "string"}}
_QUERY_TASK = {"name": "task", "in": "query", "schema": {"type": "string"}}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": "Any unique text per upload (the CLI sends a random one per invocation).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
}
_OBJECT = {"type": "object"}
_REVEAL = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "task": {"type": "string"},
        "started": {"type": "boolean"},
        "finished": {"type": "boolean"},
        "step": {"type": "integer"},
        "total": {"type": "integer"},
        "team": {"type": ["string", "null"]},
        "from_rank": {"type": ["integer", "null"]},
        "to_rank": {"type": ["integer", "null"]},
        "private_score": {"type": ["number", "null"]},
        "standings": {"type": "array", "items": {"type": "object"}},
    },
}
_PATH_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
# A submission as its reader names it (app.serialize): a team never sees the global id.
_PATH_SUBMISSION = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The opaque id of the team's replies; staff may give the global id too.",
    "schema": {"type": "string", "pattern": "^([a-z2-7]{16}|[0-9]{1,10})$"},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "hackjudge", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                        "required": ["code", "message"],
                    }
                },
            },
            "Submission": {
                "type": "object",
                "properties": {
                    "id": {
                        "type": ["string", "integer"],
                        "description": "Opaque for the team; the global id for staff.",
                    },
                    "number": {
                        "type": ["integer", "null"],
                        "description": "1, 2, 3, … in the team's own upload order.",
                    },
                    "public_id": {"type": "string", "description": "Staff: the team's id."},
                    "task": {"type": "string"},
                    "team": {"type": "string"},
                    "filename": {"type": "string"},
                    "status": {"enum": ["queued", "scoring", "scored", "invalid", "failed"]},
                    "error": {"type": "string"},
                    "public_score": {"type": ["number", "null"]},
                    "final": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "Leaderboard": {
                "type": "object",
                "properties": {
                    "event": {"type": "string"},
                    "task": {"type": "string"},
                    "board": {"enum": ["public", "staff", "private"]},
                    "version": {"type": "integer"},
                    "frozen": {"type": "boolean"},
                    "freeze_at": {"type": ["string", "null"], "format": "date-time"},
                    "end_at": {"type": "string", "format": "date-time"},
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "rank": {"type": "integer"},
                                "team": {"type": "string"},
                                "score": {"type": "number"},
                                "submissions": {"type": "integer"},
                                "last_submission_at": {"type": "string", "format": "date-time"},
                                "awards": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "the final board: the team's awards",
                                },
                            },
                        },
                    },
                    "left_out": {
                        "type": "array",
                        "description": "the final board: teams the event's rule left out",
                        "items": {
                            "type": "object",
                            "properties": {
                                "team": {"type": "string"},
                                "reason": {"enum": ["no_project"]},
                            },
                        },
                    },
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/events/{event}/tasks/{task}/submissions": {
            "post": {
                "summary": "Upload a prediction file",
                "description": "Send `Idempotency-Key` to retry safely: the same key with the "
                "same upload answers with the first submission (header `Idempotent-Replayed: "
                "true`), with another upload 422. 503 (database or queue away) and 507 (storage "
                "full) come with `Retry-After`.",
                "parameters": [_PATH_EVENT, _PATH_TASK, _IDEMPOTENCY_KEY],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "note": {"type": "string"},
                                },
                                "required": ["file"],
                            }
                        }
                    }
                },
                "responses": {
                    "202": _json(_SUBMISSION, "accepted, queued for scoring"),
                    **_errors(400, 401, 403, 404, 409, 413, 422, 429, 503, 507),
                },
            }
        },
        "/submissions/{id}": {
            "get": {
                "summary": "One submission as its team or staff may see it",
                "parameters": [_PATH_SUBMISSION],
                "responses": {"200": _json(_SUBMISSION, "the submission"), **_errors(401, 404)},
            }
        },
        "/submissions/{id}/final": {
            "post": {
                "summary": "Pick as final",
                "parameters": [_PATH_SUBMISSION],
                "responses": {"200": _json(_SUBMISSION, "picked"), **_errors(401, 403, 404, 409)},
            },
            "delete": {
                "summary": "Unpick",
                "parameters": [_PATH_SUBMISSION],
                "responses": {"200": _json(_SUBMISSION, "unpicked"), **_errors(401, 403, 404)},
            },
        },
        "/events/{event}/leaderboard": {
            "get": {
                "summary": "A task's board",
                "security": [],
                "parameters": [
                    _PATH_EVENT,
                    {"name": "task", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "board",
                        "in": "query",
                        "schema": {"enum": ["public", "staff", "private"]},
                    },
                ],
                "responses": {"200": _json(_BOARD, "the board"), **_errors(400, 401, 403, 404)},
            }
        },
        "/events/{event}/tasks/{task}/rescore": {
            "post": {
                "summary": "Organizers: rescore every submission of the task in the background",
                "parameters": [_PATH_EVENT, _PATH_TASK],
                "responses": {"202": _json(_OBJECT, "the run"), **_errors(401, 403, 404, 409)},
            }
        },
        "/rescore-runs/{id}": {
            "get": {
                "summary": "Staff: progress of a rescore run",
                "parameters": [_PATH_ID],
                "responses": {"200": _json(_OBJECT, "the run"), **_errors(401, 403, 404)},
            }
        },
        "/events/{event}/reveal": {
            "get": {
                "summary": "The reveal of a task: step, total, standings (revealed teams only)",
                "security": [],
                "parameters": [_PATH_EVENT, _QUERY_TASK],
                "responses": {"200": _json(_REVEAL, "the reveal state"), **_errors(404)},
            },
            "post": {
                "summary": "Organizers, after the end: start the reveal or reveal the next team",
                "parameters": [_PATH_EVENT],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "task": {"type": "string", "maxLength": 100},
                                    "all": {"type": "boolean"},
                                },
                                "additionalProperties": False,
                            }
                        }
                    }
                },
                "responses": {"200": _json(_REVEAL, "the step"), **_errors(401, 403, 404, 409)},
            },
        },
        "/events/{event}/announcements": {
            "get": {
                "summary": "The latest announcements, newest first",
                "security": [],
                "parameters": [_PATH_EVENT],
                "responses": {"200": _json(_OBJECT, "announcements")},
            },
            "post": {
                "summary": "Organizers: push an announcement to every page and projector",
                "parameters": [_PATH_EVENT],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "message": {
                                        "type": "string",
                                        # Checked by the server with its own message, on the
                                        # text with runs of spaces joined; the body is capped.
                                        "description": "at most 500 characters",
                                    }
                                },
                                "required": ["message"],
                                "additionalProperties": False,
                            }
                        }
                    }
                },
                "responses": {"201": _json(_OBJECT, "announced"), **_errors(400, 401, 403, 404)},
            },
        },
        "/events/{event}/history": {
            "get": {
                "summary": "Best public score over time of the top teams (frozen like the board)",
                "security": [],
                "parameters": [
                    _PATH_EVENT,
                    _QUERY_TASK,
                    {"name": "top", "in": "query", "schema": {"type": "integer", "maximum": 10}},
                ],
                "responses": {"200": _json(_OBJECT, "series per team"), **_errors(404)},
            }
        },
        "/events/{event}/tasks/{task}/sample-submission": {
            "get": {
                "summary": "Sample submission CSV",
                "security": [],
                "parameters": [_PATH_EVENT, _PATH_TASK],
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}},
            }
        },
    },
}


def _simple(
    summary: str, *params: dict[str, Any], body: dict[str, Any] | None = None, ok: str = "200"
) -> dict:
    """A plain JSON operation: its summary, path parameters, optional JSON body's schema
    (every body is checked against it before the view runs: app.api.validate)."""
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": list(params),
        "responses": {ok: _json(_OBJECT, "ok"), **_errors(400, 401, 403, 404, 409)},
    }
    if body is not None:
        operation["requestBody"] = {"content": {"application/json": {"schema": body}}}
    return operation


_PATH_TEAM = {"name": "team_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PATH_ACTION = {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}
_PATH_FMT = {"name": "fmt", "in": "path", "required": True, "schema": {"enum": ["xlsx", "csv"]}}
_E, _T = _PATH_EVENT, _PATH_TEAM

# Organizer console, review and judging (docs/organizers.md, docs/judges.md).
OPENAPI["paths"].update(
    {
        "/events": {
            "post": _simple("Organizers: create an event", body=bodies.EVENT_NEW, ok="201")
        },
        "/events/{event}": {
            "patch": _simple("Organizers: edit the event's settings", _E, body=bodies.EVENT_EDIT)
        },
        "/events/{event}/{action}": {
            "post": _simple("Organizers: freeze or unfreeze (action)", _E, _PATH_ACTION)
        },
        "/events/{event}/tasks": {
            "post": _simple("Organizers: create a task (multipart truth)", _E, ok="201")
        },
        "/events/{event}/tasks/preview": {
            "post": _simple("Organizers: preview a ground truth (multipart truth)", _E)
        },
        "/events/{event}/teams/import": {
            "post": _simple("Organizers: import teams (multipart file) → credentials CSV", _E)
        },
        "/events/{event}/teams/{team_id}/{action}": {
            "post": _simple("Organizers: hide or show a team (action)", _E, _T, _PATH_ACTION)
        },
        "/users": {
            "post": _simple("Organizers: add a judge or organizer", body=bodies.USER_NEW, ok="201")
        },
        "/metrics": {"get": _simple("The available metrics")},
        "/events/{event}/dashboard": {"get": _simple("Staff: queue, workers, throughput", _E)},
        "/submissions/{id}/rejudge": {"post": _simple("Organizers: rejudge", _PATH_ID)},
        "/events/{event}/tasks/{task}/rejudge-failed": {
            "post": _simple("Organizers: rejudge every failed submission", _E, _PATH_TASK)
        },
        "/events/{event}/criteria": {
            "get": _simple("Staff: the rubric", _E),
            "post": _simple("Organizers: add a criterion", _E, body=bodies.CRITERION, ok="201"),
        },
        "/events/{event}/assignments": {
            "get": _simple("Judges: theirs; organizers: all", _E),
            "post": _simple("Organizers: assign judges (per_team, top)", _E, body=bodies.ASSIGN),
        },
        "/events/{event}/assignments/{team_id}": {
            "put": _simple("Organizers: move an assignment (remove, add)", _E, _T, body=bodies.MOVE)
        },
        "/events/{event}/teams/{team_id}/scores": {
            "get": _simple("The assigned judge: their scores", _E, _T),
            "put": _simple("The assigned judge: set scores", _E, _T, body=bodies.SCORES),
        },
        "/events/{event}/teams/{team_id}/comments": {
            "get": _simple("Comments (a judge's own until the lock)", _E, _T),
            "post": _simple("The assigned judge: comment", _E, _T, body=bodies.COMMENT, ok="201"),
        },
        "/events/{event}/teams/{team_id}/conflict": {
            "post": _simple("A judge declares a conflict of interest", _E, _T, body=bodies.REASON)
        },
        "/events/{event}/teams/{team_id}/disqualify": {
            "post": _simple("Organizers: disqualify with a reason", _E, _T, body=bodies.REASON),
            "delete": _simple("Organizers: reinstate", _E, _T),
        },
        "/submissions/{id}/flags": {
            "post": _simple(
                "The assigned judge: flag a submission", _PATH_ID, body=bodies.FLAG, ok="201"
            )
        },
        "/events/{event}/flags": {"get": _simple("Organizers: every flag", _E)},
        "/events/{event}/review/lock": {"post": _simple("Organizers: lock review", _E)},
        "/events/{event}/review/weights": {
            "put": _simple("Organizers: w_auto, w_review", _E, body=bodies.WEIGHTS)
        },
        "/events/{event}/final": {"get": _simple("The final ranking and why (staff)", _E)},
        "/events/{event}/final/publish": {"post": _simple("Organizers: publish", _E)},
        "/events/{event}/statistics": {"get": _simple("Staff: shake-up, rank intervals", _E)},
        "/events/{event}/audit": {"get": _simple("Organizers: the audit log", _E)},
        "/events/{event}/export.{fmt}": {"get": _simple("Organizers: XLSX or CSV", _E, _PATH_FMT)},
    }
)

# One's own API tokens (docs/api.md, "Sessions, tokens and sign-in limits"); secrets never listed.
_TOKEN = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "scope": {"enum": ["full", "submit"]},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "expired": {"type": "boolean"},
    },
}
_NEW_TOKEN = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 100},
        "scope": {"enum": ["full", "submit"], "default": "full"},
        "expires": {"type": "string", "pattern": "^[0-9]+[mhdw]$", "examples": ["7d"]},
    },
    "additionalProperties": False,
}
OPENAPI["paths"].update(
    {
        "/tokens": {
            "get": {
                "summary": "The caller's API tokens (never their secrets)",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"tokens": {"type": "array", "items": _TOKEN}},
                        },
                        "tokens",
                    ),
                    **_errors(401, 403),
                },
            },
            "post": {
                "summary": "A new token for the caller; the secret is in this answer only "
                "(submit scope: participants)",
                "requestBody": {"content": {"application/json": {"schema": _NEW_TOKEN}}},
                "responses": {
                    "201": _json(
                        {"allOf": [_TOKEN, {"properties": {"token": {"type": "string"}}}]},
                        "the token, with its secret",
                    ),
                    **_errors(400, 401, 403),
                },
            },
        },
        "/tokens/{id}": {
            "delete": {
                "summary": "Revoke one of the caller's tokens",
                "parameters": [_PATH_ID],
                "responses": {"200": _json(_OBJECT, "revoked"), **_errors(401, 403, 404)},
            }
        },
    }
)


# The code tasks' parts (issue 16), teams' projects (issue 17).
from app import openapi_code, openapi_projects  # noqa: E402,F401
