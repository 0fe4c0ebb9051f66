"""Talking to a hackjudge server from the command line, in the terminal's language.

What ``hackjudge submit`` (``app.cli.submit``) needs for every request and every failure:
``call`` makes a request and turns a network failure into one line naming the server;
``expect`` and ``refusal`` turn a reply other than the one wanted into one line; ``say`` words
the command's own messages (``TEXTS``); ``headers`` sends the token and the language.

The server's messages (refusals, validation errors) come in the terminal's language: Korean
when ``HACKJUDGE_LANG``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` (the first one set) starts
with ``ko``, else English. The command's own messages (``TEXTS``) follow the same choice.

Every failure is one line on stderr (never a traceback, never the token), and the exit code
says whose move it is:

- 0: uploaded (without ``--wait``), or scored (with it);
- 1: the server refused (wrong token, no such event or task, a rejected file), the file was
  judged invalid or failed, it was not scored in time, or the settings are missing,
  malformed or unreadable (the config file);
- 2: the file cannot be read (click's own usage errors exit 2 too);
- 3: the server cannot be reached, did not answer in time, failed, or is not hackjudge.

``CliError`` is exit 1; ``Unreadable`` and ``Unreachable`` below are exits 2 and 3.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

from app.cli import CliError

DEFAULT_CONFIG = "~/.config/hackjudge/config.json"

# The command's own messages. Kept here rather than in the gettext catalogues: the CLI runs
# without Flask, and these few lines are all it says by itself. URLs and paths are followed
# by a space in Korean so that terminals do not take the particle as part of the link.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "no_settings": "give --server and --token, set HACKJUDGE_SERVER and HACKJUDGE_TOKEN, "
        'or write {{"server": ..., "token": ...}} to {path}',
        "bad_server": "the server address {server} is not a URL like https://judge.example.kr; "
        "check --server or HACKJUDGE_SERVER",
        "unreadable": "cannot read {file}: {reason}",
        "missing": "no such file",
        "folder": "it is a folder",
        "denied": "permission denied",
        "not_json": "it is not valid JSON",
        "token": "the token was refused by {server}; check --token, HACKJUDGE_TOKEN or {config}",
        "unreachable": "cannot reach the server {server}: {reason}; check --server or "
        "HACKJUDGE_SERVER, and that the server is running",
        "refused": "connection refused, nothing listens there",
        "unresolved": "the name {host} does not resolve",
        "no_answer": "no answer within {seconds:g} s",
        "broken": "the connection failed",
        "slow": "the server {server} did not answer within {seconds:g} s; try again later",
        "trouble": "talking to the server {server} failed ({reason}); try again later",
        "not_hackjudge": "{server} is not a hackjudge server (it answered HTTP {status}); "
        "check --server or HACKJUDGE_SERVER",
        "server_failed": "the server {server} failed (HTTP {status}); try again later",
        "too_large": "the server {server} refused the upload as too large (HTTP 413)",
        "live": "the live channel of {server} refused the connection ({reason}); submit "
        "without --wait and look the score up later",
        "unscored": "the platform failed to score it",
        "still": "still {status} after waiting; check it later with the API",
    },
    "ko": {
        "no_settings": "--server와 --token을 주거나, HACKJUDGE_SERVER와 HACKJUDGE_TOKEN을 "
        '설정하거나, {path} 에 {{"server": ..., "token": ...}}를 적으세요',
        "bad_server": "서버 주소 {server} 은(는) https://judge.example.kr 같은 URL이 아닙니다. "
        "--server 또는 HACKJUDGE_SERVER를 확인하세요",
        "unreadable": "{file} 을(를) 읽을 수 없습니다: {reason}",
        "missing": "파일이 없습니다",
        "folder": "폴더입니다",
        "denied": "읽기 권한이 없습니다",
        "not_json": "올바른 JSON이 아닙니다",
        "token": "토큰이 올바르지 않습니다: {server} 이(가) 거부했습니다. --token, "
        "HACKJUDGE_TOKEN 또는 {config} 을(를) 확인하세요",
        "unreachable": "서버 {server} 에 연결할 수 없습니다: {reason}. --server 또는 "
        "HACKJUDGE_SERVER와 서버가 실행 중인지 확인하세요",
        "refused": "연결 거부, 그 주소에서 기다리는 서버가 없습니다",
        "unresolved": "{host} 이름을 찾을 수 없습니다",
        "no_answer": "{seconds:g}초 안에 응답이 없습니다",
        "broken": "연결에 실패했습니다",
        "slow": "서버 {server} 이(가) {seconds:g}초 안에 답하지 않았습니다. 잠시 뒤 다시 "
        "시도하세요",
        "trouble": "서버 {server} 와(과) 통신하지 못했습니다({reason}). 잠시 뒤 다시 시도하세요",
        "not_hackjudge": "{server} 은(는) hackjudge 서버가 아닙니다(HTTP {status} 응답). "
        "--server 또는 HACKJUDGE_SERVER를 확인하세요",
        "server_failed": "서버 {server} 에서 오류가 났습니다(HTTP {status}). 잠시 뒤 다시 "
        "시도하세요",
        "too_large": "서버 {server} 이(가) 업로드를 너무 크다고 거부했습니다(HTTP 413)",
        "live": "{server} 의 실시간 채널이 연결을 거부했습니다({reason}). --wait 없이 제출하고 "
        "점수는 나중에 확인하세요",
        "unscored": "플랫폼이 채점하지 못했습니다",
        "still": "기다렸지만 아직 {status} 상태입니다. 나중에 API로 확인하세요",
    },
}


class Unreadable(CliError):
    """The file to upload cannot be read: exit 2."""

    exit_code = 2


class Unreachable(CliError):
    """The server cannot be reached, is too slow, failed, or is not hackjudge: exit 3."""

    exit_code = 3


def language() -> str:
    """``ko`` for a Korean terminal, else ``en``."""
    for name in ("HACKJUDGE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def say(key: str, **values: object) -> str:
    """The command's own message ``key``, in the terminal's language."""
    return TEXTS[language()][key].format(**values)


def one_line(text: str) -> str:
    # A server's message may span lines; the terminal gets one.
    return " ".join(text.split())


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": language(), **extra}


# Here rather than with the rest of the settings (app.cli.submit.resolve): a refused token's
# message names the config file, as the place the token may have come from.
def config_path() -> Path:
    return Path(os.environ.get("HACKJUDGE_CONFIG") or DEFAULT_CONFIG).expanduser()


def why_unreadable(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return say("missing")
    if isinstance(exc, IsADirectoryError):
        return say("folder")
    if isinstance(exc, PermissionError):
        return say("denied")
    return exc.strerror or str(exc)  # rarer errors: the system's own words


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and all it wraps: requests and urllib3 bury the socket's error a few levels in."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None))
        todo.extend(e for e in (*linked, *current.args) if isinstance(e, BaseException))


def why_unreachable(exc: requests.ConnectionError, server: str) -> str:
    for cause in causes(exc):
        if isinstance(cause, socket.gaierror | NameResolutionError):
            return say("unresolved", host=urlsplit(server).hostname)
        if isinstance(cause, ConnectionRefusedError):
            return say("refused")
    return say("broken")


def call(method: str, url: str, server: str, **options: Any) -> requests.Response:
    """``requests.request``, its network failures turned into one line naming ``server``."""
    timeout = options.get("timeout")
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    try:
        return requests.request(method, url, **options)
    except requests.ConnectTimeout:  # before both of its bases: Timeout and ConnectionError
        reason = say("no_answer", seconds=connect)
        raise Unreachable(say("unreachable", server=server, reason=reason)) from None
    except requests.Timeout:
        raise Unreachable(say("slow", server=server, seconds=read)) from None
    except requests.ConnectionError as exc:
        reason = why_unreachable(exc, server)
        raise Unreachable(say("unreachable", server=server, reason=reason)) from None
    except requests.RequestException as exc:  # redirect loops, broken encodings: rare
        raise Unreachable(say("trouble", server=server, reason=type(exc).__name__)) from None


def body_of(reply: requests.Response) -> dict[str, Any] | None:
    """The reply's JSON object, or None for an HTML page, an empty body or a bare value."""
    try:
        body = reply.json()
    except ValueError:  # requests.JSONDecodeError is a ValueError
        return None
    return body if isinstance(body, dict) else None


def refusal(reply: requests.Response, server: str) -> CliError:
    """Why the server did not do what was asked, as one line."""
    status = reply.status_code
    if status == 401:
        # The API's own 401 text speaks to browsers ("sign in"); here the token is the fix.
        return CliError(say("token", server=server, config=config_path()))
    error = (body_of(reply) or {}).get("error")
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str) and message.strip():
        # hackjudge's own words, already in the reader's language (Accept-Language).
        return (Unreachable if status >= 500 else CliError)(one_line(message))
    # Not hackjudge's JSON, so a proxy in front of it, or another server altogether.
    if status in (502, 503, 504):  # the proxy's gateway errors: hackjudge is down or restarting
        return Unreachable(say("server_failed", server=server, status=status))
    if status == 413:  # the proxy's own body limit (nginx's default is 1 MB)
        return CliError(say("too_large", server=server))
    return Unreachable(say("not_hackjudge", server=server, status=status))


def expect(reply: requests.Response, server: str, status: int) -> dict[str, Any]:
    """The JSON object of a reply with ``status``; any other reply raises its one line."""
    body = body_of(reply)
    if reply.status_code != status:
        raise refusal(reply, server)
    if body is None:  # the right status but not hackjudge's JSON
        raise Unreachable(say("not_hackjudge", server=server, status=reply.status_code))
    return body
