"""The OpenAPI 3.1 document served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

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
                    "id": {"type": "integer"},
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
                "parameters": [_PATH_EVENT, _PATH_TASK],
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
                    **_errors(400, 401, 403, 404, 409, 413, 422, 429),
                },
            }
        },
        "/submissions/{id}": {
            "get": {
                "summary": "One submission as its team or staff may see it",
                "parameters": [_PATH_ID],
                "responses": {"200": _json(_SUBMISSION, "the submission"), **_errors(401, 404)},
            }
        },
        "/submissions/{id}/final": {
            "post": {
                "summary": "Pick as final",
                "parameters": [_PATH_ID],
                "responses": {"200": _json(_SUBMISSION, "picked"), **_errors(401, 403, 404, 409)},
            },
            "delete": {
                "summary": "Unpick",
                "parameters": [_PATH_ID],
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
                                    "task": {"type": "string"},
                                    "all": {"type": "boolean"},
                                },
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
                                "properties": {"message": {"type": "string", "maxLength": 500}},
                                "required": ["message"],
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


def _simple(summary: str, *params: dict[str, Any], body: bool = False, ok: str = "200") -> dict:
    """A plain JSON operation: its summary, path parameters, optional JSON body."""
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": list(params),
        "responses": {ok: _json(_OBJECT, "ok"), **_errors(400, 401, 403, 404, 409)},
    }
    if body:
        operation["requestBody"] = {"content": {"application/json": {"schema": _OBJECT}}}
    return operation


_PATH_TEAM = {"name": "team_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PATH_ACTION = {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}
_PATH_FMT = {"name": "fmt", "in": "path", "required": True, "schema": {"enum": ["xlsx", "csv"]}}
_E, _T = _PATH_EVENT, _PATH_TEAM

# Organizer console, review and judging (README: "The organizer console", "Human review").
OPENAPI["paths"].update(
    {
        "/events": {"post": _simple("Organizers: create an event", body=True, ok="201")},
        "/events/{event}": {"patch": _simple("Organizers: edit title and times", _E, body=True)},
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
        "/users": {"post": _simple("Organizers: add a judge or organizer", body=True, ok="201")},
        "/metrics": {"get": _simple("The available metrics")},
        "/events/{event}/dashboard": {"get": _simple("Staff: queue, workers, throughput", _E)},
        "/submissions/{id}/rejudge": {"post": _simple("Organizers: rejudge", _PATH_ID)},
        "/events/{event}/tasks/{task}/rejudge-failed": {
            "post": _simple("Organizers: rejudge every failed submission", _E, _PATH_TASK)
        },
        "/events/{event}/criteria": {
            "get": _simple("Staff: the rubric", _E),
            "post": _simple("Organizers: add a criterion", _E, body=True, ok="201"),
        },
        "/events/{event}/assignments": {
            "get": _simple("Judges: theirs; organizers: all", _E),
            "post": _simple("Organizers: assign judges (per_team, top)", _E, body=True),
        },
        "/events/{event}/assignments/{team_id}": {
            "put": _simple("Organizers: move an assignment (remove, add)", _E, _T, body=True)
        },
        "/events/{event}/teams/{team_id}/scores": {
            "get": _simple("The assigned judge: their scores", _E, _T),
            "put": _simple("The assigned judge: set scores", _E, _T, body=True),
        },
        "/events/{event}/teams/{team_id}/comments": {
            "get": _simple("Comments (a judge's own until the lock)", _E, _T),
            "post": _simple("The assigned judge: comment", _E, _T, body=True, ok="201"),
        },
        "/events/{event}/teams/{team_id}/conflict": {
            "post": _simple("A judge declares a conflict of interest", _E, _T, body=True)
        },
        "/events/{event}/teams/{team_id}/disqualify": {
            "post": _simple("Organizers: disqualify with a reason", _E, _T, body=True),
            "delete": _simple("Organizers: reinstate", _E, _T),
        },
        "/submissions/{id}/flags": {
            "post": _simple("The assigned judge: flag a submission", _PATH_ID, body=True, ok="201")
        },
        "/events/{event}/flags": {"get": _simple("Organizers: every flag", _E)},
        "/events/{event}/review/lock": {"post": _simple("Organizers: lock review", _E)},
        "/events/{event}/review/weights": {
            "put": _simple("Organizers: w_auto, w_review", _E, body=True)
        },
        "/events/{event}/final": {"get": _simple("The final ranking and why (staff)", _E)},
        "/events/{event}/final/publish": {"post": _simple("Organizers: publish", _E)},
        "/events/{event}/statistics": {"get": _simple("Staff: shake-up, rank intervals", _E)},
        "/events/{event}/audit": {"get": _simple("Organizers: the audit log", _E)},
        "/events/{event}/export.{fmt}": {"get": _simple("Organizers: XLSX or CSV", _E, _PATH_FMT)},
    }
)
