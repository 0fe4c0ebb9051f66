"""Every JSON body is checked against its schema in the OpenAPI document before a view uses it
(issue 12, item 20): a body that is not JSON, NaN or Infinity, a wrong type, a number out of
range or an unknown field is a 400 naming the field, never a 500 or a wrong value stored.
Views read bodies only through ``json_body()`` (``tests/app/test_bad_input.py`` checks).

The document (``app.openapi``) is the one home of each body's shape: what clients read is
what the server enforces. The checker below covers the part of JSON Schema those schemas use
(``KEYWORDS`` and ``ANNOTATIONS``; ``tests/app/test_bad_input.py`` fails on a schema using
anything else), plus one rule of the database's: no string holds a NUL. Swapping in
``jsonschema`` later means replacing ``problem``.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app.api import bp
from app.openapi import OPENAPI
from core.errors import N_

MAX_JSON_BYTES = 64 * 1024  # the largest body a JSON route reads (a rubric, an announcement)
KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "maxProperties",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "maxItems",
    }
)
# Words that describe and check nothing (JSON Schema's annotations).
ANNOTATIONS = frozenset({"description", "default", "examples", "format", "title", "deprecated"})
TYPE_NAMES = {
    "object": N_("an object"),
    "array": N_("a list"),
    "string": N_("text"),
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "boolean": N_("true or false"),
    "null": N_("null"),
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a body: where (``scores.3``; ``body`` for the whole), an English
    template (translated when shown) and its parameters."""

    where: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return _(self.template, field=self.where, **self.params)


def _is(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):  # JSON's true is not the number 1
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return kind == "number" and isinstance(value, int | float)


# Bounds: the keyword, the values it measures (numbers themselves, the rest by length), the
# comparison that must hold, and what is said when it does not.
BOUNDS: dict[str, tuple[type | tuple[type, ...], Callable[[Any, Any], bool], str]] = {
    "minimum": ((int, float), operator.ge, N_("%(field)s must be at least %(limit)s.")),
    "maximum": ((int, float), operator.le, N_("%(field)s must be at most %(limit)s.")),
    "minLength": (str, operator.ge, N_("%(field)s needs at least %(limit)s characters.")),
    "maxLength": (str, operator.le, N_("%(field)s holds at most %(limit)s characters.")),
    "maxItems": (list, operator.le, N_("%(field)s holds at most %(limit)s items.")),
    "maxProperties": (dict, operator.le, N_("%(field)s holds at most %(limit)s items.")),
}


def problem(value: Any, schema: dict[str, Any], where: str = "body") -> Problem | None:
    """The first way ``value`` breaks ``schema``, or None."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            expected = " / ".join(_(TYPE_NAMES[k]) for k in kinds)
            return Problem(where, N_("%(field)s must be %(expected)s."), {"expected": expected})
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(c, ensure_ascii=False) for c in schema["enum"])
        return Problem(where, N_("%(field)s must be one of %(choices)s."), {"choices": choices})
    if isinstance(value, float) and not math.isfinite(value):  # 1e400 reads as infinity
        return Problem(where, N_("%(field)s must be a finite number."))
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL stores no NUL in any text
        return Problem(where, N_("%(field)s must not contain NUL characters."))
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        return Problem(where, N_("%(field)s is not in the expected form."))
    for keyword, (measured, holds, template) in BOUNDS.items():
        if keyword in schema and isinstance(value, measured) and not isinstance(value, bool):
            size = len(value) if isinstance(value, str | list | dict) else value
            if not holds(size, schema[keyword]):
                return Problem(where, template, {"limit": schema[keyword]})
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = problem(item, schema.get("items", {}), f"{where}[{i}]")
            if found:
                return found
    if isinstance(value, dict):
        return _object_problem(value, schema, where)
    return None


def _object_problem(value: dict[str, Any], schema: dict[str, Any], where: str) -> Problem | None:
    inner = (lambda key: key) if where == "body" else (lambda key: f"{where}.{key}")
    for key in schema.get("required", []):
        if key not in value:
            return Problem(inner(key), N_("%(field)s is required."))
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for key, item in value.items():
        found = problem(key, names, inner(key)) if names else None
        if found is None and key in properties:
            found = problem(item, properties[key], inner(key))
        elif found is None and extra is False:
            found = Problem(inner(key), N_("%(field)s is not a field of this request."))
        elif found is None and isinstance(extra, dict):
            found = problem(item, extra, inner(key))
        if found:
            return found
    return None


def keywords_in(schema: Any) -> Iterator[str]:
    """Every keyword a schema uses, nested ones too (property names are not keywords)."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        yield key
        if key == "properties":
            for item in value.values():
                yield from keywords_in(item)
        elif key in ("items", "additionalProperties", "propertyNames"):
            yield from keywords_in(value)


def openapi_path(rule: Rule) -> str:
    """``/api/v1/events/<event_slug>/criteria`` → ``/events/{}/criteria``, as documented."""
    return re.sub(r"<[^>]+>", "{}", rule.rule.removeprefix(bp.url_prefix or ""))


@cache
def _documented_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    """(path with ``{}`` placeholders, METHOD) → the JSON body's schema, for each operation
    that declares one. Built once: the document is complete when the first request comes."""
    bodies = {}
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                key = (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
                bodies[key] = content["application/json"]["schema"]
    return bodies


def body_schema(rule: Rule | None, method: str) -> dict[str, Any] | None:
    if rule is None:
        return None
    return _documented_bodies().get((openapi_path(rule), method))


class _NotJson(ValueError):
    """NaN, Infinity and -Infinity: Python's json reads them, JSON has no such numbers."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def parse_body(raw: bytes) -> Any:
    """Strict JSON: raises ValueError on anything else (NaN, too deep, bad UTF-8, or a lone
    surrogate such as ``"\\ud800"``, which no database column or UTF-8 reply can hold)."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:  # thousands of nested brackets
        raise ValueError("nested too deeply") from exc
    json.dumps(body, ensure_ascii=False).encode()  # UnicodeEncodeError is a ValueError
    return body


class BodyRefused(HTTPException):
    """A request body refused: its status, the API's error code and a message naming what is
    wrong (``app.api.http_error_json`` answers it in the API's error shape)."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = error_code


def json_body() -> Any:
    """The request's JSON body, checked against the operation's schema in the OpenAPI
    document; raises ``BodyRefused`` (400, or 415 for another content type) otherwise.

    The one way a view reads a JSON body, called once it knows the caller may act (a 403
    comes before a 400). No body at all reads as ``{}``: every field at its default.
    """
    schema = body_schema(request.url_rule, request.method)
    if schema is None:  # a programming error: the document must say what the view reads
        raise LookupError(f"no JSON body documented for {request.method} {request.url_rule}")
    request.max_content_length = MAX_JSON_BYTES  # a larger body is a 413 while it streams in
    raw = request.get_data(cache=True)
    if not raw.strip():
        body: Any = {}
    elif not request.is_json:
        message = _("Send the body as JSON, with Content-Type: application/json.")
        raise BodyRefused(415, "unsupported_media_type", message)
    else:
        try:
            body = parse_body(raw)
        except _NotJson as exc:
            message = _("%(value)s is not a JSON number.", value=exc.args[0])
            raise BodyRefused(400, "invalid_json", message) from None
        except ValueError:
            raise BodyRefused(400, "invalid_json", _("The body is not valid JSON.")) from None
    found = problem(body, schema)
    if found is not None:
        raise BodyRefused(400, "invalid_field", found.message())
    return body
