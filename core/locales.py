"""The supported languages and their compiled catalogues, without Flask.

Messages made away from a request (workers, domain modules) carry an English template and
its parameters (``core.errors``); they are rendered here in a named language. The web's
request language lives in ``app.messages``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from core import errors

SUPPORTED_LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
# The catalogues sit with the web's templates (Flask-Babel's default place); read as files.
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "app" / "translations"


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English is the msgids themselves)."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def render_in(locale: str, detail: Mapping[str, Any] | None, fallback: str) -> str:
    """A stored message (template and parameters) in ``locale``; ``fallback`` without one."""
    if not detail or not detail.get("template"):
        return fallback
    return errors.render(detail["template"], detail.get("params"), catalogue(locale).gettext)


def in_every_locale(detail: Mapping[str, Any] | None, fallback: str) -> dict[str, str]:
    """A stored message in each supported language, for pushes read by many people."""
    return {locale: render_in(locale, detail, fallback) for locale in SUPPORTED_LOCALES}
