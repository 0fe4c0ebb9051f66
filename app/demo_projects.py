"""The demo's bot teams fill their projects (issue 17): a title, a summary, a Markdown
description, links, tags and a drawn screenshot each, saved the way a team's would be (a
version each, the screenshot checked and re-encoded), so the judge's pages, the gallery and
the exports have something to show."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.extensions import db
from core.models import Event, ProjectFileKind, Team, TeamMember, User
from review import project_files, projects
from review.project_text import check_text

IDEAS = [
    ("꽃잎 분류기", "붓꽃 사진 없이 꽃잎 길이로 품종을 맞힙니다", ["scikit-learn", "Pandas"]),
    ("와인 감별사", "성분 분석표로 와인의 산지를 추정합니다", ["XGBoost", "FastAPI"]),
    ("유방암 조기 진단 보조", "세포 측정값으로 악성 여부를 예측합니다", ["PyTorch"]),
    ("손글씨 숫자 인식", "8×8 픽셀 손글씨를 읽는 작은 모델", ["CNN", "ONNX"]),
    ("당뇨 위험 예측", "건강 검진 수치로 1년 뒤를 내다봅니다", ["LightGBM"]),
    ("주택 가격 추정", "동네 통계로 집값을 가늠합니다", ["Ridge", "Streamlit"]),
    ("대화형 요약기", "회의록을 세 줄로 요약합니다", ["KoBART", "Gradio"]),
    ("이상 거래 탐지", "카드 결제에서 수상한 패턴을 찾습니다", ["IsolationForest"]),
]


def screenshot(index: int) -> bytes:
    """A bar chart drawn for the team: something to see on its card."""
    image = Image.new("RGB", (640, 400), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    for bar in range(6):
        height = 60 + ((index + 1) * (bar + 3) * 37) % 260
        colour = (40 + 25 * index % 200, 110, 200 - 20 * bar)
        draw.rectangle((60 + bar * 90, 360 - height, 120 + bar * 90, 360), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def fill_projects(event_slug: str, bot_teams: list[str], storage_dir: Path) -> int:
    """Each bot team's project, saved by its member; the number filled."""
    assert db.session_factory is not None
    filled = 0
    with db.session_factory() as session:  # the saves commit as a team's would
        event = session.scalars(select(Event).where(Event.slug == event_slug)).one()
        for index, name in enumerate(bot_teams):
            team = session.scalars(
                select(Team).where(Team.event_id == event.id, Team.name == name)
            ).first()
            member = session.scalars(
                select(User)
                .join(TeamMember, TeamMember.user_id == User.id)
                .where(TeamMember.team_id == (team.id if team else 0))
            ).first()
            if team is None or member is None:
                continue
            title, summary, tags = IDEAS[index % len(IDEAS)]
            text = check_text(
                {
                    "title": title,
                    "summary": summary,
                    "description": f"## {title}\n\n{summary}.\n\n- 팀: {name}\n- 데이터: "
                    "scikit-learn 내장 데이터\n",
                    "repo_url": f"https://github.com/demo/team{index}",
                    "video_url": "",
                    "tags": tags,
                }
            )
            projects.save_text(session, user=member, event=event, team=team, text=text)
            body = screenshot(index)
            received = project_files.receive(
                io.BytesIO(body), storage_dir, project_files.MAX_SCREENSHOT_BYTES
            )
            prepared = project_files.prepare_screenshot(received, storage_dir)
            projects.add_file(
                session,
                user=member,
                event=event,
                team=team,
                kind=ProjectFileKind.SCREENSHOT,
                prepared=prepared,
                filename="screenshot.png",
                size=received.size,
                sha256=received.sha256,
            )
            filled += 1
    return filled
