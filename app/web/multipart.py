"""Multipart bodies parsed by python-multipart, into what Werkzeug's parser gives a view.

Werkzeug's own parser compiles two regular expressions for each request's random boundary (~0.7
ms of a web node's CPU an upload, more than the rest of the parse); python-multipart scans with
``bytes.find`` and parsed a 0.16 MB upload in a third of the time (issue 14, bench/README.md).
Everything around the parse stays Werkzeug's: the body's cap (``max_content_length``) is
enforced by the stream, the parts' by the limits below, and ``request.form`` and
``request.files`` hold the same ``MultiDict`` and ``FileStorage`` objects as before (the app's
request class, ``app.web.inputs.CleanRequest``, names this parser).
"""

from __future__ import annotations

import io
import logging
import typing as t

from python_multipart.multipart import MultipartParser, MultipartState
from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.formparser import MultiPartParser as WerkzeugMultiPartParser
from werkzeug.http import parse_options_header

CHUNK_BYTES = 64 * 1024
# A body python-multipart refuses is read again by Werkzeug if it is no longer than this.
RETRY_MAX_BYTES = 1_000_000
# A malformed body is answered (400 or 413), not logged: anyone may send one, many times.
logging.getLogger("python_multipart").setLevel(logging.ERROR)
# Werkzeug's own choice of a text field's charset (the few it trusts, else UTF-8).
_part_charset = WerkzeugMultiPartParser().get_part_charset


class _Parts:
    """A body's fields and files, gathered from python-multipart's callbacks.

    Header lines are decoded as UTF-8 (a browser sends a Korean file name so), as Werkzeug's
    decoder does; the form limits are Werkzeug's: ``max_form_parts`` parts at most, a text
    field at most ``max_form_memory_size`` bytes (413 past either).
    """

    def __init__(
        self,
        stream_factory: t.Callable[..., t.IO[bytes]],
        total: int | None,
        max_form_memory_size: int | None,
        max_form_parts: int | None,
    ) -> None:
        self.stream_factory = stream_factory
        self.total = total
        self.max_memory = max_form_memory_size
        self.max_parts = max_form_parts
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.count = 0
        self._name = bytearray()
        self._value = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._part: tuple[Headers, str, str | None] | None = None
        self._text: list[bytes] = []
        self._size = 0
        self._file: t.IO[bytes] | None = None

    def callbacks(self) -> dict[str, t.Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": lambda data, start, end: self._name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.count += 1
        if self.max_parts is not None and self.count > self.max_parts:
            raise RequestEntityTooLarge()
        self._headers = []

    def on_header_end(self) -> None:
        name, value = bytes(self._name).decode().strip(), bytes(self._value).decode().strip()
        self._headers.append((name, value))
        self._name.clear()
        self._value.clear()

    def on_headers_finished(self) -> None:
        headers = Headers(self._headers)
        if "content-disposition" not in headers:
            raise ValueError("Missing Content-Disposition header")
        options = parse_options_header(headers.get("content-disposition"))[1]
        filename = options.get("filename")
        self._part = (headers, options.get("name", ""), filename)
        self._text, self._size, self._file = [], 0, None
        if filename is not None:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                length = 0
            self._file = self.stream_factory(
                total_content_length=self.total,
                content_type=headers.get("content-type"),
                filename=filename,
                content_length=length,
            )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
            return
        self._size += end - start
        if self.max_memory is not None and self._size > self.max_memory:
            raise RequestEntityTooLarge()
        self._text.append(data[start:end])

    def on_part_end(self) -> None:
        if self._part is None:
            raise ValueError("a part without headers")
        headers, name, filename = self._part
        if self._file is not None:
            self._file.seek(0)
            self.files.append((name, FileStorage(self._file, filename, name, headers=headers)))
        else:
            self.fields.append(
                (name, b"".join(self._text).decode(_part_charset(headers), "replace"))
            )
        self._part = None


def _past_preamble(stream: t.IO[bytes], delimiter: bytes) -> t.Iterator[bytes]:
    """The body's chunks, a preamble before the first delimiter in the first chunk left out:
    RFC 2046 allows one (Werkzeug's test client writes a CRLF), python-multipart refuses it."""
    first = stream.read(CHUNK_BYTES)
    at = first.find(delimiter)
    yield first[at:] if at > 0 else first
    yield from iter(lambda: stream.read(CHUNK_BYTES), b"")


class FastFormDataParser(FormDataParser):
    """Werkzeug's form parser with python-multipart for ``multipart/form-data`` bodies."""

    def _parse_multipart(
        self,
        stream: t.IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> tuple[t.IO[bytes], MultiDict[str, t.Any], MultiDict[str, t.Any]]:
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        parts = _Parts(
            self.stream_factory, content_length, self.max_form_memory_size, self.max_form_parts
        )
        parser = MultipartParser(boundary, callbacks=parts.callbacks())  # type: ignore[arg-type]
        kept: list[bytes] | None = []  # the body so far, while it is small (see below)
        kept_bytes = 0
        try:
            for chunk in _past_preamble(stream, b"--" + boundary):
                if kept is not None:
                    kept.append(chunk)
                    kept_bytes += len(chunk)
                    if kept_bytes > RETRY_MAX_BYTES:
                        kept = None
                parser.write(chunk)
            if parser.state != MultipartState.END:
                raise ValueError("Unexpected end of form data")  # no closing boundary
        except ValueError:
            # What python-multipart refuses and Werkzeug reads (an empty part without its
            # CRLF, as Werkzeug's test client writes it): a small body gets Werkzeug's parse
            # and its verdict; a large one is refused.
            if kept is None:
                raise
            kept.append(stream.read(RETRY_MAX_BYTES - kept_bytes + 1))
            body = b"".join(kept)
            if len(body) > RETRY_MAX_BYTES:
                raise
            return super()._parse_multipart(io.BytesIO(body), mimetype, content_length, options)
        return stream, self.cls(parts.fields), self.cls(parts.files)
