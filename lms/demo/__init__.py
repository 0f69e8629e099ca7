"""Demo data at scale: ``lms demo --trainees N`` fills the imported courses with trainees at every stage.

Trainee number *i* (employee number ``D00001`` …) is generated from ``(seed, i)`` alone, so a run is
reproducible. Employee numbers that exist already are skipped: running the command again adds
nobody, and a larger N tops up a smaller run. Every block of 40 trainees holds the same mix of
stages (``MIX``), shuffled by the seed.

The rows are what the trainees' own requests would have left behind — module progress, graded
attempts, scenario plays, an approved summary, and for those who finished the certificate with its
audit entry — dated in the past. They are written with bulk INSERTs, a chunk of trainees per
transaction, not through the per-request services. Certificates are rendered by the same function
as when issuing, in worker processes that need nothing but the snapshot.
"""

from .people import CERTIFIED, MIX, state_of
from .run import DemoError, generate, has_courses

__all__ = ["CERTIFIED", "MIX", "DemoError", "generate", "has_courses", "state_of"]
