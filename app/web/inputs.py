"""What any request may carry into the app: ids the database can hold, path names and form
values without NUL, file names safe to show and to store (issue 12, item 20).

Installed on the app before any route is added (``init_app``), so every ``<int:…>`` and
``<name>`` of every blueprint, and every form or query value, goes through it: a view never
sees an id PostgreSQL would refuse ("integer out of range", a 500) nor a NUL ("A string
literal cannot contain NUL", a 500 too). JSON bodies are checked against their schemas in
``app.api.validate``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from flask import Flask, Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from app.web.multipart import FastFormDataParser

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER: every id column
FILENAME_MAX_BYTES = 200  # file systems allow 255 bytes in a name; room for a temp prefix
NUL = "\x00"
Pairs = Iterable[tuple[str, Any]]


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>``: a number the database's ids can hold; a larger one matches no route (404)."""

    def __init__(
        self,
        map: Map,  # noqa: A002 - werkzeug's signature
        fixed_digits: int = 0,
        min: int | None = None,  # noqa: A002
        max: int | None = DB_INT_MAX,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class PrintableConverter(UnicodeConverter):
    """``<name>``: one path segment without control characters (``%00`` is no event's slug:
    404, not a database error)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(map, *args, **kwargs)
        # werkzeug's pattern is "[^/]" plus a length; the same length, fewer characters.
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


def display_filename(name: str | None) -> str | None:
    """A client's file name as shown and stored: its last path part, without control or
    format characters (NUL, bidi overrides), at most ``FILENAME_MAX_BYTES`` in UTF-8 with the
    extension kept; "upload" when nothing is left ("..", "/", a name of NULs)."""
    if name is None:
        return None
    printable = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    last = printable.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not last.strip("."):
        return "upload" if name else ""
    if len(last.encode()) <= FILENAME_MAX_BYTES:
        return last
    suffix = PurePosixPath(last).suffix
    suffix = suffix if len(suffix.encode()) <= 16 else ""
    room = FILENAME_MAX_BYTES - len(suffix.encode())
    stem = last[: len(last) - len(suffix)].encode()[:room].decode(errors="ignore")
    return stem + suffix


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, FileStorage):
        value.filename = display_filename(value.filename)
    return value


class CleanMultiDict(ImmutableMultiDict):
    """Query and form values and uploads as parsed, with NUL removed from names and values
    (PostgreSQL cannot store it) and every upload's file name made displayable."""

    def __init__(self, mapping: Pairs | Mapping[str, Any] | None = None) -> None:
        # werkzeug builds these from a list of (key, value) pairs, or from nothing.
        if mapping is None:
            pairs: list[tuple[str, Any]] = []
        elif isinstance(mapping, Mapping):
            pairs = list(MultiDict(mapping).items(multi=True))
        else:
            pairs = list(mapping)
        super().__init__([(_clean(key), _clean(value)) for key, value in pairs])


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict
    form_data_parser_class = FastFormDataParser  # python-multipart's parse (issue 14)


def init_app(app: Flask) -> None:
    """Before any route is added: the converters are looked up when a rule is compiled."""
    app.url_map.converters.update(
        int=DatabaseIntConverter, default=PrintableConverter, string=PrintableConverter
    )
    app.request_class = CleanRequest
