"""Certificates (issue 17): a PDF page per award and per member of a team (a participation
certificate for a team with no award): the event's title, the team, the member, the award and
the date. In Korean, or in English for an event or team that reads English (the request's
language on the web, ``--lang`` on the command line): the wording is the catalogue's.

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

from babel.dates import format_date
from sqlalchemy.orm import Session

from core.errors import N_
from core.locales import DEFAULT_LOCALE, catalogue
from core.models import Event, Team
from review import awards, results

FONT = "HYSMyeongJo-Medium"
MAX_LINE = 40  # characters on a line before it wraps; every value is cut at 3 lines
# The certificate's words (English templates; the catalogue has them in Korean). A closing is
# one template of several lines, so each language orders its sentence as it must.
AWARD_TITLE = N_("Certificate of Award")
PARTICIPATION_TITLE = N_("Certificate of Participation")
LABELS = (
    N_("Event: %(value)s"),
    N_("Team: %(value)s"),
    N_("Name: %(value)s"),
    N_("Award: %(value)s"),
)
PARTICIPATION = N_("Participation")
AWARD_CLOSING = N_(
    "The team above received %(award)s\nfor its outstanding results at %(event)s.\n"
    "This certificate is presented in recognition."
)
PARTICIPATION_CLOSING = N_("This certifies that the person above\ntook part in %(event)s.")
SIGNATURE = N_("%(event)s organizing committee")


@dataclass(frozen=True)
class Certificate:
    """One page: ``award`` None for a participation certificate."""

    event: str
    team: str
    member: str
    award: str | None
    date: str
    locale: str = DEFAULT_LOCALE  # the language it is worded in


def local_date(moment: datetime, timezone: str, locale: str) -> str:
    """The day as written in ``locale``: 2026년 12월 12일, December 12, 2026."""
    return format_date(moment.astimezone(ZoneInfo(timezone)).date(), "long", locale=locale)


def of_team(
    session: Session, event: Event, team: Team, locale: str = DEFAULT_LOCALE
) -> list[Certificate]:
    """The team's pages: for each award (else one participation page), one per member."""
    given = awards.by_team(session, event).get(team.id, [])
    when = event.final_published_at or event.end_at
    date = local_date(when, event.timezone, locale)
    members = [m.user.name or m.user.email for m in team.members] or [""]
    return [
        Certificate(event.title, team.name, member, award, date, locale)
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
        say = catalogue(page.locale).gettext
        title = say(AWARD_TITLE if page.award else PARTICIPATION_TITLE)
        pdf.setTitle(title)
        pdf.setLineWidth(3)
        pdf.rect(36, 36, width - 72, height - 72)
        y = height - 160
        pdf.setFont(FONT, 40 if len(title) < 12 else 30)
        pdf.drawCentredString(width / 2, y, title)
        y -= 90
        pdf.setFont(FONT, 16)
        values = (page.event, page.team, page.member, page.award or say(PARTICIPATION))
        for label, value in zip(LABELS, values, strict=True):
            first = say(label) % {"value": ""}
            for i, line in enumerate(_lines(value)):
                pdf.drawString(110, y, f"{first}{line}" if i == 0 else f"{' ' * len(first)}{line}")
                y -= 28
            y -= 8
        y -= 30
        pdf.setFont(FONT, 15)
        event = _lines(page.event)[0]
        closing = (
            say(AWARD_CLOSING) % {"award": page.award, "event": event}
            if page.award
            else say(PARTICIPATION_CLOSING) % {"event": event}
        )
        for line in closing.splitlines():
            pdf.drawCentredString(width / 2, y, line[: MAX_LINE * 2])
            y -= 28
        pdf.setFont(FONT, 16)
        pdf.drawCentredString(width / 2, 160, page.date)
        pdf.drawCentredString(width / 2, 120, say(SIGNATURE) % {"event": event})
        pdf.showPage()
    pdf.save()
    return out.getvalue()
