"""Counting failures (logins, later verifications) per key, across app servers."""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    """Allows ``limit`` (e.g. "5 per 15 minutes") failures per key, then blocks that key."""

    def __init__(self, storage_uri: str, limit: str, namespace: str):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._limit = parse(limit)
        self._namespace = namespace

    def is_blocked(self, *keys: str) -> bool:
        return any(not self._limiter.test(self._limit, self._namespace, key) for key in keys)

    def record_failure(self, *keys: str) -> None:
        for key in keys:
            self._limiter.hit(self._limit, self._namespace, key)

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._limiter.clear(self._limit, self._namespace, key)
