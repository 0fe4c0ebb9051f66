"""Errors whose messages people read, kept as catalogue templates so each reader gets a language.

A message is an English template with ``%(name)s`` placeholders plus its parameters. The
template is the msgid in ``app/translations``; the parameters are plain JSON values, so a
message made in a worker can be stored with a submission and shown later in whichever
language the reader chose. ``str(exc)`` renders through :data:`translator`, which the web app
points at the current request's catalogue; elsewhere (workers, CLI) it is English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Param = str | int | float
Params = Mapping[str, Param]


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
        return text
    for candidate in (text, template):  # a broken translation never hides the message
        try:
            return candidate % dict(params)
        except (KeyError, TypeError, ValueError):
            continue
    return f"{template} {dict(params)}"


def _english(template: str) -> str:
    return template


# Set by the web app (``app.messages.init_app``): the request's language inside a request,
# English outside one.
translator: Callable[[str], str] = _english


class TranslatableError(Exception):
    """A refusal or problem described by a catalogue template and its parameters.

    Custom metrics raise ``ParticipantVisibleError`` as they would any exception, with any
    text (not in the catalogue: shown as written) or none; extra positional arguments are
    joined to it, as ``str(Exception(a, b))`` would show them.
    """

    def __init__(self, template: object = "", *more: object, **params: Param) -> None:
        text = " ".join(str(part) for part in (template, *more))
        super().__init__(text)
        self.template = text
        self.params: dict[str, Param] = dict(params)

    def english(self) -> str:
        return render(self.template, self.params)

    def detail(self) -> dict[str, Any] | None:
        """What to store to show the message later in any language (None: nothing to say)."""
        if not self.template:
            return None
        return {"template": self.template, "params": self.params}

    def __str__(self) -> str:
        return render(self.template, self.params, translator)


class ParticipantVisibleError(TranslatableError):
    """A problem with the submission that its team may read and act on.

    The message must describe the submission only, never a ground-truth value.
    Any other exception while scoring is a platform fault, shown to staff only.
    """
