"""Setting up an event (SPEC §3, §7): events, tasks, teams and accounts, and the organizer's
dashboard. The command line, the REST API and the console call these services; nothing here
imports Flask (the web turns a :class:`SetupError` into a 400 or 409)."""

from __future__ import annotations

from core.errors import TranslatableError


class SetupError(TranslatableError, ValueError):
    """An organizer's set-up request refused; the message says what to change."""
