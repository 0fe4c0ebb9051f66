"""Messages made elsewhere (workers, domain modules) shown in the reader's language.

Errors carry an English catalogue template and its parameters (``core.errors``); a
submission stores them as ``error_detail``. Rendering looks the template up in the same
compiled catalogues Flask-Babel uses, for the current request or for a named locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from core import errors
from core.locales import DEFAULT_LOCALE, catalogue, render_in


def request_locale() -> str:
    """The current request's language; English outside a request (workers, CLI)."""
    if not has_request_context():
        return "en"
    return str(get_locale() or DEFAULT_LOCALE)


def translate(template: str) -> str:
    """A template in the current request's language."""
    return catalogue(request_locale()).gettext(template)


def localize(detail: Mapping[str, Any] | None, fallback: str, locale: str | None = None) -> str:
    """A stored message in ``locale`` (the request's by default); ``fallback`` without one."""
    if not detail:
        # Nothing to translate (every new upload's reply): the request's language, found by
        # Flask-Babel, cost ~2% of a web node's CPU in a rush (issue 14).
        return fallback
    return render_in(locale or request_locale(), detail, fallback)


def submission_error(sub: Any) -> str:
    """A submission's validation message in the reader's language (English if none stored)."""
    return localize(sub.error_detail, sub.error)


def init_app(app: Flask) -> None:
    """``str()`` of a translatable error speaks the request's language from now on."""
    errors.translator = translate


def verdict_labels() -> dict[str, str]:
    """A code verification's state, in the reader's language."""
    return {
        "attached": _("code attached"),
        "queued": _("queued"),
        "running": _("running"),
        "reproduced": _("reproduced"),
        "differs": _("differs"),
        "failed": _("failed"),
    }


def judged_parts() -> dict[str, dict[str, str]]:
    """What a rubric criterion may judge (``review.reviews.JUDGED_PARTS``): its label and the
    judge's link to that part of the team's page, in the reader's language."""
    return {
        "scores": {"label": _("Scores"), "see": _("See the scores")},
        "project": {"label": _("Project"), "see": _("See the project")},
        "code": {"label": _("Code"), "see": _("See the code")},
        "demo": {"label": _("Demo"), "see": _("See the demo video")},
        "slides": {"label": _("Slides"), "see": _("See the slides")},
    }
