"""``hackjudge submit --wait`` against a real running server: the score, or the error and a
non-zero exit; the server and token may come from the config file."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import HACKJUDGE, Proc, prediction_csv, seed_env, server_in, wait_for
from tests.services import free_port


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # The terminal's language is set by each call (English unless it says Korean).
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HACKJUDGE_") and k not in ("LANG", "LC_ALL", "LC_MESSAGES")
    }
    return subprocess.run(
        [HACKJUDGE, "submit", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_submit_wait_prints_the_score_or_the_error(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    good = tmp_path / "good.csv"
    good.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    # Server and token from the config file, as a participant would keep them.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"server": server.url, "token": contest.tokens["팀0"]}))
    done = run({"HACKJUDGE_CONFIG": str(config)}, contest.event, contest.task, str(good), "--wait")
    assert done.returncode == 0, done.stderr
    # Off a terminal there is no progress bar, nor its label: stderr is the queued line alone.
    assert re.fullmatch(r"submission \d+ queued\n", done.stderr), done.stderr
    listed = requests.get(
        f"{server.url}/api/v1/events/{contest.event}/leaderboard", timeout=10
    ).json()["rows"]
    assert done.stdout.strip() == f"scored: public score {listed[0]['score']!r}"

    # A file with a missing id becomes invalid: the message, and exit code 1.
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(good.read_text().splitlines()[:-1]) + "\n")
    failed = run(
        {"HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": contest.tokens["팀1"]},
        contest.event,
        contest.task,
        str(bad),
        "--wait",
    )
    assert failed.returncode == 1
    assert "Error: invalid: 1 ids are missing" in failed.stderr

    # In a Korean terminal the server's messages come in Korean.
    korean = {"HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": contest.tokens["팀1"]}
    failed = run({**korean, "LANG": "ko_KR.UTF-8"}, contest.event, contest.task, str(bad), "--wait")
    assert failed.returncode == 1
    assert "Error: invalid: 빠진 id가 1개 있습니다" in failed.stderr
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = run({**korean, "LC_ALL": "ko_KR.UTF-8"}, contest.event, contest.task, str(empty))
    assert refused.returncode == 1 and "파일이 비어 있습니다." in refused.stderr

    # A refused upload (wrong token) is one clear line too; no settings at all says what to do.
    refused = run(
        {}, contest.event, contest.task, str(good), "--server", server.url, "--token", "wrong"
    )
    assert refused.returncode == 1 and "Error:" in refused.stderr
    bare = run(
        {"HACKJUDGE_CONFIG": str(tmp_path / "none.json")}, contest.event, contest.task, str(good)
    )
    assert bare.returncode == 1 and "HACKJUDGE_SERVER" in bare.stderr


# --- failures: one line in the terminal's language, no traceback, a non-zero exit ----------

TERMINALS = {"en": "C.UTF-8", "ko": "ko_KR.UTF-8"}
WRONG_TOKEN = "hj_wrong-token-never-shown"
Case = tuple[str, bool]  # (language, --wait)
CASES: list[Case] = [(lang, wait) for lang in TERMINALS for wait in (False, True)]


def run_all(
    cases: dict[Any, tuple[dict[str, str], tuple[str, ...]]],
) -> dict[Any, subprocess.CompletedProcess[str]]:
    # Each run spends seconds importing; the cases are independent, so they run side by side.
    with ThreadPoolExecutor(max_workers=4) as pool:
        started = {key: pool.submit(run, env, *args) for key, (env, args) in cases.items()}
        return {key: future.result() for key, future in started.items()}


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    """The single line a failed ``submit`` printed (a traceback or a second line fails)."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), done.stderr
    assert done.returncode == code, done.stderr
    assert WRONG_TOKEN not in done.stderr  # a token is never echoed
    return lines[0]


def wait_flag(wait: bool) -> tuple[str, ...]:
    return ("--wait",) if wait else ()


def test_refusals_are_one_line_in_the_terminals_language(
    embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]
) -> None:
    contest = seed_env(embedded_env, tmp_path)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    good = tmp_path / "good.csv"
    good.write_bytes(prediction_csv(contest.truth, 0.3, 1))
    token = contest.tokens["팀0"]

    def case(lang: str, token: str, event: str, task: str, wait: bool) -> tuple:
        env = {"LANG": TERMINALS[lang], "HACKJUDGE_SERVER": server.url, "HACKJUDGE_TOKEN": token}
        return env, (event, task, str(good), *wait_flag(wait))

    # --wait opens the live channel before the upload: the token and the event are refused
    # there first, and must read the same as the upload's refusal.
    cases: dict[Any, tuple] = {
        ("token", lang, wait): case(lang, WRONG_TOKEN, contest.event, contest.task, wait)
        for lang, wait in CASES
    }
    # Each CLI run costs seconds: the other paths once each, the languages swapped between them.
    cases["event", "en", True] = case("en", token, "nope", contest.task, True)
    cases["event", "ko", False] = case("ko", token, "nope", contest.task, False)
    cases["task", "ko", True] = case("ko", token, contest.event, "nope", True)
    done = run_all(cases)

    expected = {
        ("token", "en"): ["the token was refused by", server.url, "HACKJUDGE_TOKEN"],
        ("token", "ko"): ["토큰이 올바르지 않습니다", server.url, "HACKJUDGE_TOKEN"],
        # The server's own words, already in the reader's language (Accept-Language).
        ("event", "en"): ["No event 'nope'."],
        ("event", "ko"): ["대회 'nope'이(가) 없습니다."],
        ("task", "ko"): ["'test-event' 대회에 'nope' 과제가 없습니다."],
    }
    for (what, lang, wait), result in done.items():
        line = one_line(result, 1)
        for words in expected[what, lang]:
            assert words in line, (what, lang, wait, line)


@pytest.mark.slow  # runs the CLI
def test_a_server_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,target\n1,0.5\n")
    nothing = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    nowhere = "http://no-such-host.invalid"  # .invalid never resolves (RFC 2606)
    cases: dict[Any, tuple] = {
        (url, lang, wait): (
            {"LANG": TERMINALS[lang], "HACKJUDGE_SERVER": url, "HACKJUDGE_TOKEN": WRONG_TOKEN},
            ("test-event", "t1", str(good), *wait_flag(wait)),
        )
        for lang, wait in CASES
        for url in (nothing, nowhere)
        if url == nothing or lang == ("ko" if wait else "en")  # the name: one run per language
    }
    for (url, lang, wait), result in run_all(cases).items():
        line = one_line(result, 3)
        if lang == "ko":
            assert f"서버 {url} 에 연결할 수 없습니다" in line, (wait, line)
            assert "연결 거부" in line if url == nothing else "이름을 찾을 수 없습니다" in line
        else:
            assert f"cannot reach the server {url}" in line, (wait, line)
            assert "connection refused" in line if url == nothing else "does not resolve" in line


def test_a_server_that_is_not_hackjudge_is_one_line(tmp_path: Path, spawned: list[Proc]) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,target\n1,0.5\n")
    (tmp_path / "www").mkdir()
    port = free_port()
    # Some other web server: HTML pages, 404 for /api/v1/..., 501 for a POST.
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path / "www",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group, so Proc.stop ends it
    )
    spawned.append(Proc(other, tmp_path / "http.log", f"http://127.0.0.1:{port}"))
    url = spawned[-1].url

    def answers() -> bool:
        try:
            return requests.get(url, timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_for(answers, 30, "python -m http.server")
    cases: dict[Any, tuple] = {
        (lang, wait): (
            {"LANG": TERMINALS[lang], "HACKJUDGE_SERVER": url, "HACKJUDGE_TOKEN": WRONG_TOKEN},
            ("test-event", "t1", str(good), *wait_flag(wait)),
        )
        for lang, wait in CASES
    }
    for (lang, wait), result in run_all(cases).items():
        line = one_line(result, 3)
        assert url in line, (lang, wait, line)
        words = "hackjudge 서버가 아닙니다" if lang == "ko" else "is not a hackjudge server"
        assert words in line, (lang, wait, line)


@pytest.mark.slow  # runs the CLI
def test_a_file_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    # Nothing listens at the server: the file is checked before anything is sent.
    server = f"http://127.0.0.1:{free_port()}"
    cases: dict[Any, tuple] = {
        (lang, name): (
            {"LANG": TERMINALS[lang], "HACKJUDGE_SERVER": server, "HACKJUDGE_TOKEN": WRONG_TOKEN},
            ("test-event", "t1", str(tmp_path / name), "--wait"),
        )
        for lang in TERMINALS
        for name in ("missing.csv", "")  # "" names the folder itself
    }
    expected = {
        ("en", "missing.csv"): ["cannot read", "missing.csv", "no such file"],
        ("ko", "missing.csv"): ["읽을 수 없습니다", "missing.csv", "파일이 없습니다"],
        ("en", ""): ["cannot read", str(tmp_path), "it is a folder"],
        ("ko", ""): ["읽을 수 없습니다", str(tmp_path), "폴더입니다"],
    }
    for key, result in run_all(cases).items():
        line = one_line(result, 2)
        for words in expected[key]:
            assert words in line, (key, line)


def test_a_silent_server_times_out_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import submit as cli_submit

    # Accepts connections (the kernel's backlog) but never answers: a hung server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        for lang, words in (("en", "did not answer within 0.5 s"), ("ko", "0.5초 안에")):
            monkeypatch.setenv("HACKJUDGE_LANG", lang)
            with pytest.raises(cli_submit.Unreachable) as caught:
                cli_submit.call("get", url + "/api/v1/submissions/0", url, timeout=0.5)
            assert caught.value.exit_code == 3
            assert words in caught.value.message and url in caught.value.message
