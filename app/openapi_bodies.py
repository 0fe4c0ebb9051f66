"""The JSON request bodies of the OpenAPI document (``app.openapi``): the shapes the server
enforces before a view acts (``app.api.validate.json_body``), so what clients read is what
they get held to. Lengths are the database columns'; every number is bounded, so no value
overflows a column; an unknown field is refused (a typo is not silently ignored).
"""

from __future__ import annotations

from typing import Any

from core.models import Role
from review.notes import FLAG_KINDS
from review.reviews import JUDGED_PARTS

_DB_INT_MAX = 2**31 - 1


def _text(max_length: int, **more: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, **more}


def _body(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these fields (an unknown one is refused: a typo is not ignored)."""
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_TIME = _text(40, description="ISO 8601; without an offset, in the event's timezone")
_OPTIONAL_TIME = {**_TIME, "type": ["string", "null"]}
_AMOUNT = {"type": "number", "minimum": 0, "maximum": 1_000_000}
_JUDGE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": _DB_INT_MAX}
EVENT_NEW = _body(
    ["slug", "title", "start", "end"],
    slug=_text(100),
    title=_text(300),
    start=_TIME,
    end=_TIME,
    freeze=_OPTIONAL_TIME,
    timezone={"type": ["string", "null"], "maxLength": 64},
)
EVENT_EDIT = _body(
    [],
    title=_text(300),
    start=_TIME,
    end=_TIME,
    freeze=_OPTIONAL_TIME,
    prize_places={"type": "integer", "minimum": 0, "maximum": 100},
    code_deadline=_OPTIONAL_TIME,
    project_deadline=_OPTIONAL_TIME,
    require_project={
        "type": "boolean",
        "description": "the final ranking leaves out teams with no project by the deadline",
    },
    verify_tolerance={"type": "number", "minimum": 0, "maximum": 1_000_000},
)
VERIFY = _body([], top={"type": "integer", "minimum": 1, "maximum": 1000})
USER_NEW = _body(
    ["email", "role"],
    email=_text(320),
    role={"enum": [Role.JUDGE.value, Role.ORGANIZER.value]},
    name=_text(200),
    affiliation=_text(200),
)
CRITERION = _body(
    ["name", "weight"],
    name=_text(100),
    weight=_AMOUNT,
    scale=_AMOUNT,
    description=_text(5000),
    judges={
        "enum": ["", *JUDGED_PARTS],
        "description": "the part of the team's work it judges; empty: the team as a whole",
    },
)
ASSIGN = _body(
    [],
    per_team={"type": "integer", "minimum": 1, "maximum": 100},
    top={"type": ["integer", "null"], "minimum": 1, "maximum": _DB_INT_MAX},
)
MOVE = _body([], remove=_JUDGE_ID, add=_JUDGE_ID)
SCORES = _body(
    ["scores"],
    scores={
        "type": "object",
        "description": "criterion id → score (0 to the criterion's scale)",
        "propertyNames": {"type": "string", "pattern": "^[0-9]{1,9}$"},
        "additionalProperties": _AMOUNT,
        "maxProperties": 100,
    },
)
COMMENT = _body(["text"], text=_text(5000))
REASON = _body([], reason=_text(2000))
FLAG = _body(["kind"], kind={"enum": list(FLAG_KINDS)}, note=_text(2000))
WEIGHTS = _body(["w_auto", "w_review"], w_auto=_AMOUNT, w_review=_AMOUNT)
# A team's project (issue 17); the server checks the addresses and trims the lines again.
PROJECT = _body(
    [],
    title=_text(200),
    summary=_text(300),
    description=_text(20_000, description="Markdown; raw HTML is shown as text"),
    repo_url=_text(500, description="http(s) address, or empty"),
    video_url=_text(
        500, description="http(s) address; YouTube and Vimeo ones are embedded, others linked"
    ),
    tags={"type": "array", "maxItems": 10, "items": _text(30)},
)
# Awards (issue 17): by the final ranking (names[i] to rank i + 1), or one by hand.
AWARD = _body(
    [],
    by_rank={"type": "array", "maxItems": 50, "items": _text(100)},
    name=_text(100),
    team_id={"type": ["integer", "null"], "minimum": 1, "maximum": _DB_INT_MAX},
)
