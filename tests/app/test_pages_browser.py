"""The board, the team page and the projector in a real Chromium, as people see them: on a
phone (390×844), a laptop (1440×900) and the hall's screen (1920×1080; the projector also at
1280×720 and 3840×2160). Screenshots go to ``screenshots`` (the CI run keeps them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from core.models import Event, Task
from organize.tasks import create_task
from tests.actions import Api, bearer
from tests.helpers import (
    Proc,
    browser_sign_in,
    cli,
    env_session,
    prediction_csv,
    seed_env,
    server_in,
    wait_for,
)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
HALL = {"width": 1920, "height": 1080}
SCREENS = {"phone": PHONE, "laptop": LAPTOP, "hall": HALL}
LONG_TITLE = "유방암 진단 예측 — 병리 영상에서 뽑은 서른 가지 특징으로 악성 종양을 가려내기"

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"


def edit_event(env: dict[str, str], tmp: Path, titles: list[str]) -> None:
    """The seeded task gets the first title; a task more for each further one."""
    with env_session(env) as session:
        event = session.scalars(select(Event)).one()
        first = session.scalars(select(Task)).one()
        first.title = titles[0]
        for i, title in enumerate(titles[1:], start=2):
            create_task(
                session,
                event,
                f"t{i}",
                metric=first.metric,
                truth=tmp / "truth.csv",
                storage_dir=Path(env["HACKJUDGE_STORAGE_DIR"]),
                title=title,
            )


def rect(page: Any, selector: str) -> dict[str, float]:
    return page.eval_on_selector(selector, "e => e.getBoundingClientRect().toJSON()")


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Do two boxes share any area (touching edges do not count)?"""
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
    )


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def axe_serious(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2 A/AA violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
           .filter(v => v.impact === 'serious' || v.impact === 'critical')
           .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return list(found)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def hall(embedded_env: dict[str, str], tmp_path: Path, spawned: list[Proc]) -> dict[str, Any]:
    """An event of 12 teams and two tasks (one with a long title), served, 10 teams scored."""
    contest = seed_env(embedded_env, tmp_path, teams=12)
    edit_event(embedded_env, tmp_path, [LONG_TITLE, "주택 가격"])
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    for i in range(10):
        api.entry(f"팀{i}", 0.05 + 0.08 * i, i)
    return {"contest": contest, "server": server, "api": api, "env": embedded_env}


def board_rows(page: Any, task: str = "t1") -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        f'section[data-task="{task}"] tbody tr',
        """rows => rows.map(r => ({team: r.dataset.team, rank: r.dataset.rank,
            move: r.querySelector('.move')?.textContent ?? null, cls: r.className,
            shown: !r.hidden}))""",
    )


def wait_scored(api: Api, contest: Any, count: int) -> None:
    """The public board of t1 shows ``count`` teams."""
    url = f"{api.base}/api/v1/events/{contest.event}/leaderboard?task=t1"
    wait_for(lambda: len(requests.get(url, timeout=10).json()["rows"]) == count, 60, "scores")


def test_board_on_a_phone_a_laptop_and_the_hall(
    hall: dict[str, Any], browser: Any, screenshots: Path
) -> None:
    contest, server = hall["contest"], hall["server"]
    wait_scored(hall["api"], contest, 10)
    # 팀9 scored worst: signed in, its row is ours.
    password = contest.passwords["p9@test.kr"]
    for name, size in SCREENS.items():
        page = browser_sign_in(browser, server, "p9@test.kr", password, viewport=size)
        page.goto(f"{server.url}/events/{contest.event}")
        page.wait_for_selector("#live-status.live")
        assert page.evaluate(NO_OVERFLOW), f"horizontal overflow on the {name}"
        # The score is the point of the board: visible on every screen, the phone included.
        score_head = page.locator('section[data-task="t1"] th.num').first
        assert score_head.is_visible() and score_head.inner_text() == "점수"
        first_score = page.locator('section[data-task="t1"] tbody tr td.num').first
        assert first_score.is_visible() and re.fullmatch(r"[01]\.\d{5}", first_score.inner_text())
        entries = page.locator('section[data-task="t1"] th.wide-only').first
        assert entries.is_visible() == (name != "phone")
        rows = board_rows(page)
        assert [r["cls"].count("prize") for r in rows[:4]] == [1, 1, 1, 0]  # the top 3
        mine = [r for r in rows if "mine" in r["cls"]]
        assert [r["team"] for r in mine] == ["팀9"]
        # Tabs per task, with the titles, leading to each task's board.
        assert page.locator(".task-tabs a").all_inner_texts() == [LONG_TITLE, "주택 가격"]
        page.screenshot(path=str(screenshots / f"board-{name}.png"), full_page=True)
        page.close()

    # A short screen (a phone in landscape), scrolled to the board's top: the table runs past
    # the fold, our row (the last) stays in view at the bottom of the screen.
    page = browser_sign_in(
        browser, server, "p9@test.kr", password, viewport={**PHONE, "height": 320}
    )
    page.goto(f"{server.url}/events/{contest.event}")
    page.wait_for_selector("#live-status.live")
    page.eval_on_selector('section[data-task="t1"] table', "t => t.scrollIntoView()")
    table = rect(page, 'section[data-task="t1"] table')
    assert table["bottom"] > 320, "the board fits the screen: nothing to keep in view"
    box = page.locator('section[data-task="t1"] tr.mine td').first.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 320.5

    # The keyboard reaches the task tabs and the filter box, and shows where it is.
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.className || e.tagName; }"
            )
        )
        if reached[-1] == "team-filter":
            break
    assert reached[-1] == "team-filter", reached
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    # Long boards get a filter box: 팀1 matches 팀1 only (and not 팀10, which has no score).
    page.fill("#team-filter", "팀1")
    shown = [r["team"] for r in board_rows(page) if r["shown"]]
    assert shown == ["팀1"]
    page.fill("#team-filter", "없는 팀")
    assert page.locator('section[data-task="t1"] .no-match').is_visible()
    page.close()


def test_board_movement_arrows_live_and_none_when_frozen(
    hall: dict[str, Any], browser: Any, screenshots: Path
) -> None:
    contest, server, api = hall["contest"], hall["server"], hall["api"]
    wait_scored(api, contest, 10)
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server.url}/events/{contest.event}")
    page.wait_for_selector("#live-status.live")
    before = {r["team"]: int(r["rank"]) for r in board_rows(page)}
    assert all(r["move"] is None for r in board_rows(page))  # nothing moved since the page came

    # 팀8 (9th) sends a near-perfect file: it jumps to 1st, the eight above it drop one place.
    api.entry("팀8", 0.0, 77)
    page.wait_for_function(
        '() => document.querySelector(\'section[data-task="t1"] tr[data-team="팀8"] .move\')'
    )
    moves = {r["team"]: r["move"] for r in board_rows(page)}
    after = {r["team"]: int(r["rank"]) for r in board_rows(page)}
    assert after["팀8"] < before["팀8"]
    assert moves["팀8"] == f"▲{before['팀8'] - after['팀8']}"
    for team, rank in after.items():
        if team != "팀8" and rank != before[team]:
            assert moves[team] == f"▼{rank - before[team]}"
    # A team's first score shows as new.
    api.entry("팀10", 0.9, 5)
    page.wait_for_function(
        '() => document.querySelector(\'section[data-task="t1"] tr[data-team="팀10"] .move.new\')'
    )
    page.screenshot(path=str(screenshots / "board-movement.png"), full_page=True)

    # The freeze: the board says so and shows no movement.
    cli(hall["env"], "freeze", contest.event)
    page.wait_for_selector('section[data-task="t1"] .badge.frozen:visible')
    assert all(r["move"] is None for r in board_rows(page))
    page.close()


def test_team_page_history_chart_toast_and_picks(
    hall: dict[str, Any], browser: Any, screenshots: Path
) -> None:
    contest, server = hall["contest"], hall["server"]
    wait_scored(hall["api"], contest, 10)
    # 팀11 has no submission yet: its first one makes the one-point chart.
    password = contest.passwords["p11@test.kr"]
    page = browser_sign_in(browser, server, "p11@test.kr", password, viewport=LAPTOP)
    page.goto(f"{server.url}/events/{contest.event}/team")
    page.wait_for_selector("#live-status.live")
    good = tmp_file(hall, "good.csv", prediction_csv(contest.truth, 0.2, 3))
    page.set_input_files('input[type="file"]', str(good))
    page.click('#upload button[type="submit"]')
    # The result lands while the page is open: a toast says so, with the score.
    toast = page.wait_for_selector(".toast.ok")
    shown = page.locator("#history tbody tr td.score").first.inner_text()
    assert re.match(r"#1 .*: " + re.escape(shown) + " ×$", toast.inner_text()), toast.inner_text()
    page.wait_for_function("() => Chart.getChart('team-chart')")
    ticks = page.evaluate(
        """() => { const x = Chart.getChart('team-chart').scales.x;
                   return {span: x.max - x.min, labels: x.ticks.map(t => x.getLabelForValue ?
                   x.options.ticks.callback(t.value) : t.label)}; }"""
    )
    assert ticks["span"] >= 3600e3, "one point: the axis spans an hour either side"
    assert len(set(ticks["labels"])) == len(ticks["labels"]) >= 2

    # The task by its title, the time as "… 전", the header on one line each.
    row = page.locator("#history tbody tr").first
    assert row.locator("td.task").inner_text() == LONG_TITLE
    assert row.locator("td.time").inner_text() in ("지금", "방금", "0초 전") or "전" in (
        row.locator("td.time").inner_text()
    )
    heads = page.eval_on_selector_all(
        "#history th", "hs => hs.map(h => h.getBoundingClientRect().height)"
    )
    assert max(heads) < 2 * min(heads), "a header wraps"

    # A file with the right header but most ids missing: accepted, then found invalid by
    # the worker; the toast gives the reason, in Korean.
    lines = prediction_csv(contest.truth, 0.2, 4).decode().splitlines()
    bad = tmp_file(hall, "bad.csv", "\n".join(lines[:6]).encode() + b"\n")
    page.set_input_files('input[type="file"]', str(bad))
    page.click('#upload button[type="submit"]')
    reason = page.wait_for_selector(".toast.error").inner_text()
    assert "#2" in reason and any("가" <= ch <= "힣" for ch in reason.split(":", 1)[1]), reason

    # Final picks: the summary says which.
    assert page.locator('#picks-summary li[data-task="t1"] .none').is_visible()
    page.locator("#history tbody tr.status-scored button.pick").first.click()
    page.wait_for_function(
        "() => document.querySelector('#picks-summary li[data-task=\"t1\"] .chosen')"
        ".textContent.includes('#1')"
    )
    assert not page.locator('#picks-summary li[data-task="t1"] .none').is_visible()
    page.screenshot(path=str(screenshots / "team-laptop.png"), full_page=True)

    # On a phone: no overflow, the status on one line, each value labelled.
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_OVERFLOW)
    status = page.locator("#history tbody tr td.status").first
    box = status.bounding_box()
    assert box is not None and box["height"] < 40, "the status wraps"
    label = page.evaluate(
        "() => getComputedStyle(document.querySelector('#history td.status'), '::before').content"
    )
    assert "상태" in label
    page.screenshot(path=str(screenshots / "team-phone.png"), full_page=True)
    page.close()


def tmp_file(hall: dict[str, Any], name: str, body: bytes) -> Path:
    path = Path(hall["env"]["HACKJUDGE_STORAGE_DIR"]).parent / name
    path.write_bytes(body)
    return path


PROJECTOR_SIZES = {
    "720p": {"width": 1280, "height": 720},
    "1080p": HALL,
    "4k": {"width": 3840, "height": 2160},
}
REGIONS = [".bar", ".standings", ".chart", ".ticker"]


def test_projector_layout_colours_and_badges(
    embedded_env: dict[str, str],
    tmp_path: Path,
    spawned: list[Proc],
    browser: Any,
    screenshots: Path,
) -> None:
    contest = seed_env(embedded_env, tmp_path, teams=4)
    titles = [LONG_TITLE, "주택 가격", "수요 예측", "이탈 예측", "사기 탐지", "추천"]
    edit_event(embedded_env, tmp_path, titles)
    server = server_in(embedded_env, spawned, tmp_path, "web")
    api = Api(server, contest)
    staff = bearer(contest.staff_tokens["organizer"])
    requests.post(
        f"{server.url}/api/v1/events/{contest.event}/announcements",
        json={"message": "결과 발표는 18시에 시작합니다. 모두 강당으로 모여 주세요."},
        headers=staff,
        timeout=10,
    )
    for name, size in PROJECTOR_SIZES.items():
        page = browser.new_page(viewport=size)
        page.goto(f"{server.url}/events/{contest.event}/projector?rotate=0")
        page.wait_for_selector("#live-status.live")
        boxes = {region: rect(page, region) for region in REGIONS}
        for i, a in enumerate(REGIONS):
            assert inside(boxes[a], {"left": 0, "top": 0, **_screen(size)}), (name, a)
            for b in REGIONS[i + 1 :]:
                assert not overlap(boxes[a], boxes[b]), (name, a, b)
        # The long title stays on its line, the metric under it, both inside the bar.
        for part in ("#task-title", "#task-metric", ".bar .event", ".bar .status"):
            assert inside(rect(page, part), boxes[".bar"]), (name, part)
        assert not overlap(rect(page, "#task-title"), rect(page, "#task-metric"))
        # Six task dots, the ticker's label and its text: side by side, none over another.
        ticker = [rect(page, s) for s in (".ticker .label", ".ticker .track", "#task-dots")]
        assert not overlap(ticker[0], ticker[1]) and not overlap(ticker[1], ticker[2])
        assert all(inside(t, boxes[".ticker"]) for t in ticker)
        assert page.locator("#task-dots li").count() == 6
        assert page.locator(".ticker .track").inner_text().startswith("결과 발표")
        # No score yet: the chart waits instead of drawing an axis of repeated times.
        assert page.locator("#chart-waiting").is_visible()
        assert not page.locator("#chart").is_visible()
        page.screenshot(path=str(screenshots / f"projector-empty-{name}.png"))
        page.close()

    page = browser.new_page(viewport=HALL)
    page.goto(f"{server.url}/events/{contest.event}/projector?rotate=0")
    page.wait_for_selector("#live-status.live")
    for i, noise in enumerate((2.0, 1.0, 0.7)):
        api.entry(f"팀{i}", noise, i)
    page.wait_for_function("() => document.querySelectorAll('#rows li').length === 3")
    page.wait_for_function("() => Chart.getChart('chart')")
    assert not page.locator("#chart-waiting").is_visible()
    colours = _colours(page)
    assert len(set(colours.values())) == 3
    # 팀0 (last) overtakes everyone: the ranks change, the colours do not.
    api.entry("팀0", 0.0, 9)
    page.wait_for_function("() => document.querySelector('#rows li').dataset.team === '팀0'")
    assert _colours(page) == colours
    page.reload()
    page.wait_for_selector("#rows li")
    assert {t: c for t, c in _colours(page).items() if t in colours} == colours  # kept
    # The chart agrees with the board: each line ends at the team's score.
    page.wait_for_function("() => Chart.getChart('chart')?.data.datasets.length === 3")
    ends = page.evaluate(
        "() => Object.fromEntries(Chart.getChart('chart').data.datasets"
        ".map(d => [d.label, d.data[d.data.length - 1].y]))"
    )
    scores = page.eval_on_selector_all(
        "#rows li", "ls => Object.fromEntries(ls.map(l => [l.dataset.team, l.dataset.score]))"
    )
    assert {t: pytest.approx(float(v)) for t, v in scores.items()} == ends
    labels = page.evaluate(
        "() => { const x = Chart.getChart('chart').scales.x;"
        " return x.ticks.map(t => x.options.ticks.callback(t.value, 0, x.ticks)); }"
    )
    assert len(set(labels)) == len(labels) >= 2, labels  # no time said twice
    page.screenshot(path=str(screenshots / "projector-live-1080p.png"))

    # One state badge at a time: frozen replaces live.
    assert page.locator("#live-status").is_visible()
    cli(embedded_env, "freeze", contest.event)
    page.wait_for_selector("#frozen-badge:visible")
    assert not page.locator("#live-status").is_visible()
    page.close()


def _screen(size: dict[str, int]) -> dict[str, float]:
    return {"right": size["width"], "bottom": size["height"]}


def _colours(page: Any) -> dict[str, str]:
    return dict(
        page.eval_on_selector_all(
            "#rows li", "ls => ls.map(l => [l.dataset.team, l.style.getPropertyValue('--team')])"
        )
    )


def test_no_serious_accessibility_violations(
    hall: dict[str, Any], browser: Any, screenshots: Path
) -> None:
    """axe-core (npm) on the board, the team page, the projector and the console."""
    contest, server = hall["contest"], hall["server"]
    wait_scored(hall["api"], contest, 10)
    found: dict[str, list[dict[str, Any]]] = {}
    # axe is injected as a script: the page's Content Security Policy would refuse it.
    participant = browser.new_context(bypass_csp=True, viewport=LAPTOP)
    page = browser_sign_in(participant, server, "p0@test.kr", contest.passwords["p0@test.kr"])
    for name, path in (("board", ""), ("team", "/team"), ("projector", "/projector")):
        page.goto(f"{server.url}/events/{contest.event}{path}")
        page.wait_for_selector("#live-status.live", state="attached")
        # The live status is announced to screen readers as it changes.
        assert page.get_attribute("#live-status", "aria-live") == "polite", name
        found[name] = axe_serious(page)
    participant.close()
    organizer = browser.new_context(bypass_csp=True, viewport=LAPTOP)
    page = browser_sign_in(
        organizer, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    page.goto(f"{server.url}/events/{contest.event}/organize")
    page.wait_for_selector("#live-status.live", state="attached")
    assert page.get_attribute("#live-status", "aria-live") == "polite"
    found["console"] = axe_serious(page)
    organizer.close()
    (screenshots / "axe.json").write_text(__import__("json").dumps(found, ensure_ascii=False))
    assert found == {"board": [], "team": [], "projector": [], "console": []}


def test_organizer_sets_the_prize_zone_in_the_console(hall: dict[str, Any], browser: Any) -> None:
    contest, server = hall["contest"], hall["server"]
    wait_scored(hall["api"], contest, 10)
    console = browser_sign_in(
        browser, server, "organizer@test.kr", contest.passwords["organizer@test.kr"]
    )
    console.goto(f"{server.url}/events/{contest.event}/organize")
    console.fill('#event-edit input[name="prize_places"]', "5")
    with console.expect_navigation():
        console.click('#event-edit button[type="submit"]')
    assert console.input_value('#event-edit input[name="prize_places"]') == "5"
    board = browser.new_page(viewport=LAPTOP)
    board.goto(f"{server.url}/events/{contest.event}")
    board.wait_for_selector("#live-status.live")
    assert board.locator(".prize-legend").inner_text() == "입상권: 상위 5위"
    marked = [r["cls"].count("prize") for r in board_rows(board)]
    assert marked == [1] * 5 + [0] * 5
    board.close()
    console.close()
