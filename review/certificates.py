"""Certificates (issue 17): a PDF page per award and per member of a team (a participation
certificate for a team with no award), in Korean: the event's title, the team, the member, the
award and the date.

Drawn by ReportLab in pure Python. ReportLab cannot read Debian's Noto CJK fonts (their
.ttc/.otf hold PostScript (CFF) outlines; its TrueType reader refuses them), so the text is set
in the Adobe-Korea1 CID font whose metrics ReportLab ships (``HYSMyeongJo-Medium``): a PDF
viewer draws it with its own Korean font (on Debian, Noto CJK through fontconfig), and the text
is real text (``pdftotext`` reads it back). ``render`` is CPU work: the web calls it through
``core.offload.heavy``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.models import Event, Team
from review import awards, results

FONT = "HYSMyeongJo-Medium"
MAX_LINE = 40  # characters on a line before it wraps; every value is cut at 3 lines


@dataclass(frozen=True)
class Certificate:
    """One page: ``award`` None for a participation certificate."""

    event: str
    team: str
    member: str
    award: str | None
    date: str


def korean_date(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.year}년 {local.month}월 {local.day}일"


def of_team(session: Session, event: Event, team: Team) -> list[Certificate]:
    """The team's pages: for each award (else one participation page), one per member."""
    given = awards.by_team(session, event).get(team.id, [])
    when = event.final_published_at or event.end_at
    date = korean_date(when, event.timezone)
    members = [m.user.name or m.user.email for m in team.members] or [""]
    return [
        Certificate(event.title, team.name, member, award, date)
        for award in (given or [None])
        for member in members
    ]


def may_download(event: Event) -> bool:
    """Teams download theirs once the final ranking is published (awards tell the order)."""
    return results.published(event) is not None


def _lines(text: str) -> list[str]:
    words = " ".join(text.split())
    lines = [words[i : i + MAX_LINE] for i in range(0, len(words), MAX_LINE)] or [""]
    return lines[:3]


def render(pages: list[Certificate]) -> bytes:
    """The certificates as one PDF, a page each (A4 portrait)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)  # same input, same bytes
    width, height = A4
    for page in pages:
        pdf.setTitle("상장" if page.award else "참가 확인서")
        pdf.setLineWidth(3)
        pdf.rect(36, 36, width - 72, height - 72)
        y = height - 160
        pdf.setFont(FONT, 40)
        pdf.drawCentredString(width / 2, y, "상 장" if page.award else "참가 확인서")
        y -= 90
        pdf.setFont(FONT, 16)
        for label, value in (
            ("대회", page.event),
            ("팀", page.team),
            ("성명", page.member),
            ("수상", page.award or "참가"),
        ):
            for i, line in enumerate(_lines(value)):
                pdf.drawString(110, y, f"{label}: {line}" if i == 0 else f"      {line}")
                y -= 28
            y -= 8
        y -= 30
        pdf.setFont(FONT, 15)
        event = _lines(page.event)[0]
        closing = (
            [
                f"위 팀은 {event}에서",
                f"우수한 성적을 거두어 {page.award}을(를) 받았기에",
                "이 상장을 드립니다.",
            ]
            if page.award
            else [f"위 사람은 {event}에", "참가하였음을 확인합니다."]
        )
        for line in closing:
            pdf.drawCentredString(width / 2, y, line[: MAX_LINE * 2])
            y -= 28
        pdf.setFont(FONT, 16)
        pdf.drawCentredString(width / 2, 160, page.date)
        pdf.drawCentredString(width / 2, 120, f"{_lines(page.event)[0]} 운영진")
        pdf.showPage()
    pdf.save()
    return out.getvalue()
