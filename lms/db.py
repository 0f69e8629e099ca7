"""The LMS's own declarative base, so it can live beside a host app's models.

Tables are ``lms_``-prefixed and named by convention; the session is whichever
Flask-SQLAlchemy instance the app has (the host's, or the LMS's own when standalone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import JSON, DateTime, MetaData, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, scoped_session
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON,
                           list[Any]: JSON}


def _current_session() -> scoped_session:
    return current_app.extensions["sqlalchemy"].session


#: The request's database session, shared with the host app when there is one.
session: scoped_session = LocalProxy(_current_session)  # type: ignore[assignment]


def engine():
    return current_app.extensions["sqlalchemy"].engine


# --- get-or-create and locks that hold under concurrent requests --------------------------------

def insert_missing(model: type[Base], values: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """``INSERT … ON CONFLICT (keys) DO NOTHING``: True when this call inserted the row, False
    when it was there already (or another request inserted it first). Objects of ``model``
    already in the session are not updated: load the row afterwards."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
                 .returning(*model.__table__.primary_key.columns))  # rowcount is not reliable here
    return session.execute(statement).first() is not None


def locked(model: type[Base], ident: Any, of: Any = None, options: Sequence[Any] = ()) -> Any:
    """The row with primary key ``ident``, read afresh and locked for the rest of the transaction
    (``SELECT … FOR UPDATE`` on PostgreSQL: a second request doing the same waits, then sees what
    the first committed). On SQLite, the request's ``BEGIN IMMEDIATE`` already made it the only
    writer. ``options`` load related rows in the same statement (they are not locked)."""
    return session.scalar(select(model).where(model.id == ident)  # type: ignore[attr-defined]
                          .options(*options)
                          .with_for_update(of=of if of is not None else model)
                          .execution_options(populate_existing=True))
