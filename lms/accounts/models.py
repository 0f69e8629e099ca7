from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow

TRAINEE = "trainee"
TRAINER = "trainer"
HR = "hr"
ADMIN = "admin"
ROLES = (TRAINEE, TRAINER, HR, ADMIN)


class User(UserMixin, Base):
    """A person who uses the LMS: a local account, or the shadow of a host app's user."""

    __tablename__ = "lms_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    employee_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: indexed: the roster's filters list the departments and cohorts there are
    department: Mapped[str | None] = mapped_column(String(120), index=True)
    cohort: Mapped[str | None] = mapped_column(String(120), index=True)  # 班组, for assigning training
    hire_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: The host app's user id, for users who sign in through the host.
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Part of the id in the session cookie; raised to end every session of the user.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session (and a remember cookie): id and session version,
        so a cookie from before the sessions were ended no longer loads the user."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``; an admin holds every role."""
        held = self.roles
        return ADMIN in held or any(role in held for role in roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "lms_user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")
