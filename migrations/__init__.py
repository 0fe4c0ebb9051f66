"""Alembic migrations; applied by ``hackjudge db upgrade`` (and on ``serve``/``demo`` start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at this folder and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema to ``revision``, then fill what a new table needs from the
    live rules (the per-team standings of 0011, whose best submission follows each metric's
    direction: the versions never import live code)."""
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head":
        from judge.standings import backfill_url

        backfill_url(database_url)
