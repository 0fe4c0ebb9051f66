"""Messages made elsewhere (workers, domain modules) shown in the reader's language.

Errors carry an English catalogue template and its parameters (``judge.errors``); a
submission stores them as ``error_detail``. Rendering looks the template up in the same
compiled catalogues Flask-Babel uses, for the current request or for a named locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context
from flask_babel import get_locale

from judge import errors

SUPPORTED_LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English is the msgids themselves)."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


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
    if not detail or not detail.get("template"):
        return fallback
    chosen = locale or request_locale()
    return errors.render(detail["template"], detail.get("params"), catalogue(chosen).gettext)


def submission_error(sub: Any) -> str:
    """A submission's validation message in the reader's language (English if none stored)."""
    return localize(sub.error_detail, sub.error)


def in_every_locale(detail: Mapping[str, Any] | None, fallback: str) -> dict[str, str]:
    """A stored message in each supported language, for pushes read by many people."""
    return {locale: localize(detail, fallback, locale) for locale in SUPPORTED_LOCALES}


def init_app(app: Flask) -> None:
    """``str()`` of a translatable error speaks the request's language from now on."""
    errors.translator = translate
