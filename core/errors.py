"""Errors whose messages people read, kept as catalogue templates so each reader gets a language.

A message is an English template with ``%(name)s`` placeholders plus its parameters. The
template is the msgid in ``app/translations``; the parameters are plain JSON values, so a
message made in a worker can be stored with a submission and shown later in whichever
language the reader chose. ``str(exc)`` renders through :data:`translator`, which the web app
points at the current request's catalogue; elsewhere (workers, CLI) it is English.

Messages are bounded by construction: a value from a participant's file is shown through
:func:`quoted` (at most :data:`QUOTE_CHARS` of it), and whatever a message forgets, every
parameter, template and rendering is clipped again here, so no upload can make a stored,
pushed or served message large.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

Param = str | int | float
Params = Mapping[str, Param]

QUOTE_CHARS = 60  # of a value from the file: enough to recognise it, never the whole of it
# Safety nets for a message that forgets to quote: a parameter may hold a list of five quoted
# values ("e.g. …"); a template (a custom metric's free text) and its rendering a paragraph.
MAX_PARAM_CHARS = 400
MAX_MESSAGE_CHARS = 1000
ELLIPSIS = "…"


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` in at most ``limit`` characters, ending in an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def quoted(value: object, limit: int = QUOTE_CHARS) -> str:
    """A value from a participant's file as a message shows it: quoted, at most ``limit`` long.

    Control characters are escaped (``repr``), so a value cannot break the line it is on.
    """
    return repr(clip(str(value), limit))


def _bounded(value: object) -> Param:
    """A parameter as kept and shown: a number as a plain one (JSON), anything else as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return clip(value if isinstance(value, str) else str(value), MAX_PARAM_CHARS)


def N_(template: str) -> str:
    """Mark a message kept in a constant for extraction; translated where it is shown."""
    return template


def render(
    template: str, params: Params | None, translate: Callable[[str], str] | None = None
) -> str:
    """The message in the language ``translate`` gives (English without it)."""
    if not template:
        return template  # gettext("") is the catalogue's header, never a message
    text = translate(template) if translate is not None else template
    if not params:
        return clip(text, MAX_MESSAGE_CHARS)
    # Rows stored before parameters were bounded are bounded as they are shown.
    bounded = {name: _bounded(value) for name, value in params.items()}
    for candidate in (text, template):  # a broken translation never hides the message
        try:
            return clip(candidate % bounded, MAX_MESSAGE_CHARS)
        except (KeyError, TypeError, ValueError):
            continue
    return clip(f"{template} {bounded}", MAX_MESSAGE_CHARS)


def _english(template: str) -> str:
    return template


# Set by the web app (``app.messages.init_app``): the request's language inside a request,
# English outside one.
translator: Callable[[str], str] = _english


def text(template: str, **params: Param) -> str:
    """A message for whoever reads it now: the request's language in the web, English elsewhere."""
    return render(template, params, translator)


def stored_text(detail: Mapping[str, Any] | None, fallback: str) -> str:
    """A stored message (``TranslatableError.detail``) as :func:`text` shows it; ``fallback``
    when none was stored."""
    if not detail or not detail.get("template"):
        return fallback
    return render(detail["template"], detail.get("params"), translator)


class TranslatableError(Exception):
    """A refusal or problem described by a catalogue template and its parameters.

    Custom metrics raise ``ParticipantVisibleError`` as they would any exception, with any
    text (not in the catalogue: shown as written) or none; extra positional arguments are
    joined to it, as ``str(Exception(a, b))`` would show them.
    """

    def __init__(self, template: object = "", *more: object, **params: Param) -> None:
        text = clip(" ".join(str(part) for part in (template, *more)), MAX_MESSAGE_CHARS)
        super().__init__(text)
        self.template = text
        self.params: dict[str, Param] = {name: _bounded(v) for name, v in params.items()}

    def english(self) -> str:
        return render(self.template, self.params)

    def detail(self) -> dict[str, Any] | None:
        """What to store to show the message later in any language (None: nothing to say)."""
        if not self.template:
            return None
        # Bounded again: ``params`` is a plain dict that code may have added to since.
        params = {name: _bounded(value) for name, value in self.params.items()}
        return {"template": clip(self.template, MAX_MESSAGE_CHARS), "params": params}

    def __str__(self) -> str:
        return render(self.template, self.params, translator)


class ParticipantVisibleError(TranslatableError):
    """A problem with the submission that its team may read and act on.

    The message must describe the submission only, never a ground-truth value.
    Any other exception while scoring is a platform fault, shown to staff only.
    """
