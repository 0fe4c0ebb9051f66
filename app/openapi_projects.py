"""The OpenAPI document's project parts (issue 17): a team's project, its files and their
thumbnails; awards."""

from __future__ import annotations

from typing import Any

from app import openapi_bodies as bodies
from app.openapi import _PATH_EVENT, _PATH_TEAM, OPENAPI, _errors, _json

_PROJECT = {
    "type": "object",
    "description": "A team's project: its members see the last save, staff the version as of "
    "the event's project deadline. `description_html` is the Markdown rendered and sanitised; "
    "`video_embed` the player address of an allowed video host (YouTube, Vimeo), else null; "
    "`missing` lists what the project still lacks.",
    "properties": {
        "team_id": {"type": "integer"},
        "team": {"type": "string"},
        "members": {"type": "array", "items": {"type": "string"}},
        "version": {"type": "integer"},
        "saved_at": {"type": ["string", "null"]},
        "deadline": {"type": "string"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "description": {"type": "string"},
        "description_html": {"type": "string"},
        "repo_url": {"type": "string"},
        "video_url": {"type": "string"},
        "video_embed": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "files": {"type": "array", "items": {"type": "object"}},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
}
_INT = {"type": "integer"}
_AWARDS = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "published": {"type": "boolean"},
        "awards": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _INT,
                    "name": {"type": "string"},
                    "rank": {"type": ["integer", "null"]},
                    "team_id": {"type": ["integer", "null"]},
                    "team": {"type": ["string", "null"]},
                    "given_at": {"type": ["string", "null"]},
                },
            },
        },
    },
}
_GALLERY = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "published": {"type": "boolean"},
        "projects": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "team_id": _INT,
                    "team": {"type": "string"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "rank": {"type": ["integer", "null"]},
                    "awards": {"type": "array", "items": {"type": "string"}},
                    "thumbnail_url": {"type": ["string", "null"]},
                    "project_url": {"type": "string"},
                    "page_url": {"type": "string"},
                },
            },
        },
    },
}
_PATH_FILE = {"name": "file_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_UPLOAD = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "kind"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "kind": {"enum": ["slides", "screenshot"]},
                },
            }
        }
    }
}


def _document() -> None:
    base = "/events/{event}/teams/{team_id}/project"
    read_errors = _errors(401, 404)
    write_errors = _errors(400, 401, 403, 404, 409)
    paths: dict[str, Any] = {
        base: {
            "get": {
                "summary": "A team's project (its members and staff; everyone once the final "
                "ranking is published)",
                "parameters": [_PATH_EVENT, _PATH_TEAM],
                "responses": {"200": _json(_PROJECT, "the project"), **read_errors},
            },
            "put": {
                "summary": "The team's members: save the project's text (a new version), until "
                "the project deadline",
                "parameters": [_PATH_EVENT, _PATH_TEAM],
                "requestBody": {"content": {"application/json": {"schema": bodies.PROJECT}}},
                "responses": {"200": _json(_PROJECT, "saved"), **write_errors},
            },
        },
        f"{base}/files": {
            "post": {
                "summary": "The team's members: add slides (a PDF, replacing any; 20 MB) or a "
                "screenshot (PNG, JPEG, WebP or GIF, 10 MB, 40 megapixels; up to 6)",
                "parameters": [_PATH_EVENT, _PATH_TEAM],
                "requestBody": _UPLOAD,
                "responses": {
                    "201": _json({"type": "object"}, "added"),
                    **_errors(400, 401, 403, 404, 409, 413, 422),
                },
            }
        },
        f"{base}/files/{{file_id}}": {
            "get": {
                "summary": "A project's file (a PDF as a download, an image re-encoded as PNG)",
                "parameters": [_PATH_EVENT, _PATH_TEAM, _PATH_FILE],
                "responses": {"200": {"description": "the file"}, **read_errors},
            },
            "delete": {
                "summary": "The team's members: remove a file (earlier versions keep it)",
                "parameters": [_PATH_EVENT, _PATH_TEAM, _PATH_FILE],
                "responses": {"200": _json(_PROJECT, "removed"), **write_errors},
            },
        },
        f"{base}/files/{{file_id}}/thumbnail": {
            "get": {
                "summary": "A file's thumbnail: an image reduced, a PDF's first page",
                "parameters": [_PATH_EVENT, _PATH_TEAM, _PATH_FILE],
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {}}},
                    **read_errors,
                },
            }
        },
    }
    OPENAPI["paths"].update(paths)
    _PATH_AWARD = {"name": "award_id", "in": "path", "required": True, "schema": _INT}
    OPENAPI["paths"].update(
        {
            "/events/{event}/awards": {
                "get": {
                    "summary": "The awards: staff always, everyone once the final ranking is "
                    "published (then only those given)",
                    "parameters": [_PATH_EVENT],
                    "responses": {"200": _json(_AWARDS, "the awards"), **_errors(401, 403, 404)},
                },
                "post": {
                    "summary": "Organizers: give awards by the final ranking (`by_rank`: the "
                    "first name to rank 1…, replacing the last giving by rank) or one by hand "
                    "(`name`, `team_id`; no team: defined, not given yet)",
                    "parameters": [_PATH_EVENT],
                    "requestBody": {"content": {"application/json": {"schema": bodies.AWARD}}},
                    "responses": {
                        "201": _json(_AWARDS, "the awards"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                },
            },
            "/events/{event}/projects": {
                "get": {
                    "summary": "The gallery: every titled project's card (title, summary, tags, "
                    "thumbnail, rank, awards), by rank; staff always, everyone once the final "
                    "ranking is published (before: a participant 403, anonymous 401)",
                    "parameters": [_PATH_EVENT],
                    "responses": {
                        "200": _json(_GALLERY, "the cards"),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/events/{event}/certificates/{team_id}.pdf": {
                "get": {
                    "summary": "A team's certificates (a PDF page per award and member; a "
                    "participation certificate without an award): the team's members once the "
                    "final ranking is published, staff always",
                    "parameters": [_PATH_EVENT, _PATH_TEAM],
                    "responses": {
                        "200": {"description": "PDF", "content": {"application/pdf": {}}},
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/events/{event}/projects.zip": {
                "get": {
                    "summary": "Organizers: every project (as of the project deadline) with its "
                    "files, in one zip (team-<id>/project.md and the files)",
                    "parameters": [_PATH_EVENT],
                    "responses": {
                        "200": {"description": "zip", "content": {"application/zip": {}}},
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/events/{event}/awards/{award_id}": {
                "delete": {
                    "summary": "Organizers: take an award back",
                    "parameters": [_PATH_EVENT, _PATH_AWARD],
                    "responses": {
                        "200": _json(_AWARDS, "the awards"),
                        **_errors(401, 403, 404),
                    },
                }
            },
        }
    )


_document()
