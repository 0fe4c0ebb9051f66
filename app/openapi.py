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
