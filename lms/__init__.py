"""Training and certification for credit-card collectors, as a Flask extension."""

from .accounts.identity import HostUser
from .app import create_app
from .extension import LMS

__all__ = ["LMS", "HostUser", "create_app"]
