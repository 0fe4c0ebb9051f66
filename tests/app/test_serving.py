"""The production web server's connection handler (``app.serving``): pywsgi's, with Nagle's
algorithm off and a request's head read as headers only.

Each test hands a real TCP connection to the handler as ``hackjudge serve`` does, and reads the
answer from the client's end.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from gevent import socket as gsocket
from gevent.pywsgi import WSGIServer

from app.serving import MAX_HEADERS, _handler_class


def echo_app(served: Any) -> Any:
    """A WSGI app answering with what the server made of the request's head, and whether
    Nagle's algorithm was off on ``served`` (the server's end) as it answered."""

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return echo_headers(environ, start_response, served)

    return echo


def echo_headers(environ: dict[str, Any], start_response: Any, served: Any) -> list[bytes]:
    seen = {
        "nodelay": served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
        "content_type": environ.get("CONTENT_TYPE"),
        "content_length": environ.get("CONTENT_LENGTH"),
        "authorization": environ.get("HTTP_AUTHORIZATION"),
        "body": environ["wsgi.input"].read().decode(),
    }
    body = json.dumps(seen).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


@pytest.fixture
def connection() -> Iterator[tuple[Any, Any, WSGIServer]]:
    """A client socket, the server's end of its connection, and a (not started) server."""
    listener = gsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = gsocket.create_connection(listener.getsockname())
    served, _address = listener.accept()
    try:
        yield client, served, WSGIServer(listener, echo_app(served))
    finally:
        client.close()
        served.close()
        listener.close()


def answer(client: Any) -> tuple[str, bytes]:
    """The status line and body of the one answer the client gets before the server closes."""
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def serve_one(connection: tuple[Any, Any, WSGIServer], request: bytes) -> tuple[str, bytes]:
    client, served, server = connection
    client.sendall(request)
    handler = _handler_class()(served, served.getpeername(), server)
    handler.handle()
    served.close()
    return answer(client)


def test_a_multipart_upload_head_is_read_as_headers(
    connection: tuple[Any, Any, WSGIServer],
) -> None:
    body = b'--b0und4ry\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b0und4ry--\r\n'
    request = (
        b"POST /up HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hj_abc\r\n"
        b"Content-Type: multipart/form-data; boundary=b0und4ry\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    status, reply = serve_one(connection, request)
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(reply) == {
        "nodelay": True,  # the answer's head and body go out at once (no 40 ms stall)
        "content_type": "multipart/form-data; boundary=b0und4ry",
        "content_length": str(len(body)),
        "authorization": "Bearer hj_abc",
        "body": body.decode(),
    }


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"X-Long: " + b"a" * 70_000 + b"\r\n", "a header line over 64 KiB"),
        (b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADERS + 1)), "too many headers"),
    ],
)
def test_an_oversized_head_is_refused(
    connection: tuple[Any, Any, WSGIServer], head: bytes, why: str
) -> None:
    status, _reply = serve_one(connection, b"GET / HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
    assert status.startswith("HTTP/1.1 400"), why


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"Content-Length : 5\r\n", "whitespace between a name and its colon (RFC 9112 5.1)"),
        (b"X-A: 1\r\n folded\r\n", "a folded line (obs-fold)"),
        (b"no colon here\r\nContent-Length: 5\r\n", "a line that is no field line"),
        (b": empty name\r\n", "an empty name"),
        (b"X-A: 1\rContent-Length: 0\r\n", "a bare CR inside a value"),
        (b"X-A: 1\x002\r\n", "a NUL inside a value"),
        # Read in linear time: an expression with blanks around an optional value backtracked
        # for seconds on a thousand spaces.
        (b"X-A:" + b" " * 60_000 + b"\x00\r\n", "60,000 blanks before a NUL"),
    ],
)
def test_a_head_with_a_line_that_is_no_header_is_refused(
    connection: tuple[Any, Any, WSGIServer], head: bytes, why: str
) -> None:
    request = b"POST / HTTP/1.1\r\nHost: x\r\n" + head + b"Connection: close\r\n\r\nhello"
    status, _reply = serve_one(connection, request)
    assert status.startswith("HTTP/1.1 400"), why


def test_header_values_are_read_without_their_surrounding_whitespace(
    connection: tuple[Any, Any, WSGIServer],
) -> None:
    head = (
        b"POST /up HTTP/1.1\r\nHost: x\r\nAuthorization:\t Bearer  hj_a b \t\r\n"
        b"Content-Type:text/plain\r\nContent-Length:   5  \r\nConnection: close\r\n\r\nhello"
    )
    status, reply = serve_one(connection, head)
    assert status == "HTTP/1.1 200 OK"
    seen = json.loads(reply)
    assert (seen["authorization"], seen["content_type"]) == ("Bearer  hj_a b", "text/plain")
    assert (seen["content_length"], seen["body"]) == ("5", "hello")


def test_as_many_headers_as_allowed_are_read(connection: tuple[Any, Any, WSGIServer]) -> None:
    filler = b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADERS - 3))
    last = b"Authorization: last\r\nConnection: close\r\n\r\n"
    request = b"GET / HTTP/1.1\r\nHost: x\r\n" + filler + last
    status, reply = serve_one(connection, request)
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(reply)["authorization"] == "last"
