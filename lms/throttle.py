"""Counting events (failed sign-ins, verification look-ups) per key, across workers and servers.

By default the counts live in the database (``lms_throttle_counters``), so every worker of every
app server shares them; ``LMS_RATELIMIT_STORAGE_URI=redis://…`` keeps them in Redis through the
``limits`` library instead (``memory://`` counts per process: tests only). Keys are stored as
SHA-256 digests: people type passwords into the username field, and no stored key should show one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import String, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, engine, utcnow

DATABASE = "database"


def address_key(address: str | None) -> str:
    """The key a client address is counted under: an IPv6 address by its /64, which one
    subscriber usually holds whole (and could otherwise rotate through)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class ThrottleCounter(Base):
    """Events counted for one key in a window that starts with its first event."""

    __tablename__ = "lms_throttle_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Throttle:
    """Allows ``limit`` (e.g. "5 per 15 minutes") events per key, then blocks that key until the
    window ends: :meth:`retry_after` says how long."""

    def __init__(self, storage_uri: str, limit: str, namespace: str):
        self.limit: RateLimitItem = parse(limit)
        self._namespace = namespace
        self._store = (_DatabaseStore() if storage_uri == DATABASE
                       else _LimitsStore(storage_uri, namespace))

    def _digest(self, key: str) -> str:
        return hashlib.sha256(f"{self._namespace}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it is not blocked."""
        seconds = self._store.blocked_for(self.limit, self._digest(key))
        return None if seconds is None else max(1, math.ceil(seconds))

    def hit(self, key: str) -> bool:
        """Count one event for ``key``; False when it was over the limit."""
        return self._store.hit(self.limit, self._digest(key))

    def reset(self, key: str) -> None:
        self._store.clear(self.limit, self._digest(key))


class _LimitsStore:
    """Redis (or, in tests, process memory) through the ``limits`` library: a moving window."""

    def __init__(self, storage_uri: str, namespace: str):
        try:
            storage = storage_from_string(storage_uri)
        except ConfigurationError as error:
            raise ConfigurationError(
                f"LMS_RATELIMIT_STORAGE_URI={storage_uri!r}: {str(error).rstrip('.')}. Use 'database', "
                "or redis://… with the Redis client installed (pip install 'lms-collections[redis]')."
            ) from error
        self._limiter = MovingWindowRateLimiter(storage)
        self._namespace = namespace

    def blocked_for(self, limit: RateLimitItem, key: str) -> float | None:
        stats = self._limiter.get_window_stats(limit, self._namespace, key)
        return None if stats.remaining > 0 else stats.reset_time - time.time()

    def hit(self, limit: RateLimitItem, key: str) -> bool:
        return self._limiter.hit(limit, self._namespace, key)

    def clear(self, limit: RateLimitItem, key: str) -> None:
        self._limiter.clear(limit, self._namespace, key)


class _DatabaseStore:
    """One row per key: a count and the end of its window, written by an atomic upsert in a short
    transaction of its own, so a count holds whatever happens to the request's transaction."""

    table = ThrottleCounter.__table__

    def blocked_for(self, limit: RateLimitItem, key: str) -> float | None:
        now = utcnow()
        with engine().connect() as connection:
            row = connection.execute(select(self.table.c.hits, self.table.c.expires_at)
                                     .where(self.table.c.key == key)).one_or_none()
        if row is None or row.hits < limit.amount:
            return None
        return None if row.expires_at <= now else (row.expires_at - now).total_seconds()

    def hit(self, limit: RateLimitItem, key: str) -> bool:
        now = utcnow()
        expires_at = now + timedelta(seconds=limit.get_expiry())
        column = self.table.c
        with engine().begin() as connection:
            insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)
            expired = column.expires_at <= now
            statement = insert(self.table).values(key=key, hits=1, expires_at=expires_at)
            statement = statement.on_conflict_do_update(index_elements=[column.key], set_={
                "hits": case((expired, 1), else_=column.hits + 1),
                "expires_at": case((expired, literal(expires_at, UTCDateTime())),
                                   else_=column.expires_at),
            }).returning(column.hits)
            hits = connection.execute(statement).scalar_one()
        if hits == 1:  # a new window: a good moment to drop the windows that ended
            self._prune(now)
        return hits <= limit.amount

    def clear(self, limit: RateLimitItem, key: str) -> None:
        with engine().begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))

    def _prune(self, now: datetime) -> None:
        try:
            with engine().begin() as connection:
                connection.execute(delete(self.table).where(self.table.c.expires_at <= now))
        except DBAPIError:  # two prunes may collide (a deadlock on PostgreSQL): the next one cleans up
            pass


@dataclass(frozen=True)
class Throttles:
    """The app's throttles: failed sign-ins per username and per address, look-ups on the public
    verification page per address."""

    login_user: Throttle
    login_address: Throttle
    verify: Throttle

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Throttles:
        storage = config["LMS_RATELIMIT_STORAGE_URI"]
        return cls(login_user=Throttle(storage, config["LMS_LOGIN_FAILURE_LIMIT"], "login-user"),
                   login_address=Throttle(storage, config["LMS_LOGIN_ADDRESS_LIMIT"], "login-address"),
                   verify=Throttle(storage, config["LMS_VERIFY_LIMIT"], "verify"))
