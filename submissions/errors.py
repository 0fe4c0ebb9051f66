"""An upload refused, as the API answers it (SPEC §9)."""

from __future__ import annotations

from core.errors import Param, TranslatableError


class IntakeError(TranslatableError):
    """An upload refused: the HTTP status and code of SPEC §9, and a message for the team."""

    def __init__(
        self, status: int, code: str, template: str, retry_after: int | None = None, **params: Param
    ) -> None:
        super().__init__(template, **params)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """The message in the reader's language."""
        return str(self)
