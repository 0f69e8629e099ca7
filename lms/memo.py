"""Results kept in this process until what they were computed from changes.

The caller names the data (``subject``) and a cheap fingerprint of its state (``version``, e.g.
the count and latest id of the graded attempts it reads); a lookup with another version misses,
and storing drops the subject's older versions. Values are copied in and out, since callers may
change what they get (relabel items). Each worker process keeps its own.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Hashable
from typing import Any

from .db import session


class LatestCache:
    """``per_database=False`` for results computed from their subject alone (content parsed from
    its text), which any database and ``lms check`` without one may share."""

    def __init__(self, size: int = 32, per_database: bool = True) -> None:
        self.size = size
        self.per_database = per_database
        self._found: dict[Hashable, tuple[Hashable, Any]] = {}  # subject -> (version, value)
        self._lock = threading.Lock()

    def _subject(self, subject: Hashable) -> Hashable:
        if not self.per_database:
            return subject
        return str(session.get_bind().url), subject  # tests and tools open several databases

    def get(self, subject: Hashable, version: Hashable) -> Any | None:
        key = self._subject(subject)
        with self._lock:
            found = self._found.pop(key, None)
            if found is None:
                return None
            self._found[key] = found  # the most recently used last
        return copy.deepcopy(found[1]) if found[0] == version else None

    def put(self, subject: Hashable, version: Hashable, value: Any) -> None:
        key = self._subject(subject)
        with self._lock:
            self._found.pop(key, None)
            self._found[key] = (version, copy.deepcopy(value))
            while len(self._found) > self.size:
                del self._found[next(iter(self._found))]

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
