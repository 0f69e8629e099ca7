"""The migrations build exactly the schema the models describe, on a fresh database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import lms.models  # noqa: F401  (every table on the metadata)
from lms.db import Base, engine
from lms.migrate import VERSION_TABLE


def test_a_fresh_database_is_migrated_to_the_models(app):
    with app.app_context(), engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "version_table": VERSION_TABLE, "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, other:
                type_ != "table" or name.startswith("lms_"),
        })
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() is not None
        tables = set(sa.inspect(connection).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert VERSION_TABLE in tables and "alembic_version" not in tables


def test_every_table_is_prefixed(app):
    assert all(table.name.startswith("lms_") for table in Base.metadata.sorted_tables)


def test_lms_init_is_idempotent(runner):
    first = runner.invoke(args=["lms", "init"])
    second = runner.invoke(args=["lms", "init"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "up to date" in second.output


def test_the_schema_can_be_downgraded_and_upgraded_again(app):
    from alembic import command

    from lms.migrate import alembic_config

    with app.app_context(), engine().begin() as connection:
        command.downgrade(alembic_config(connection), "base")
        assert not [t for t in sa.inspect(connection).get_table_names()
                    if t.startswith("lms_") and t != VERSION_TABLE]
        command.upgrade(alembic_config(connection), "head")
        assert "lms_module_revisions" in sa.inspect(connection).get_table_names()
