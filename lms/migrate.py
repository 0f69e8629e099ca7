"""The LMS's own Alembic migrations, with their own version table."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "lms_alembic_version"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(revision: str = "head") -> None:
    with engine().begin() as connection:
        if connection.dialect.name == "postgresql":  # building an index may take longer than a page
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")  # (e.g. `flask lms init`)
        command.upgrade(alembic_config(connection), revision)


def new_revision(message: str) -> None:
    """Write a migration for the difference between the models and the database."""
    with engine().begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
