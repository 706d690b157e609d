"""Users and API tokens of the admin (tables in the same database as core's)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db, utcnow
from core.models import Department

__all__ = ["ROLES", "ApiToken", "User"]

#: city_admin: every department and plugin, user management.
#: dept_admin: own department's plugins and their parameters.
#: dept_viewer: read only.
ROLES = ("city_admin", "dept_admin", "dept_viewer")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The UI language the user last chose (zh_CN or en).
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def get_id(self) -> str:
        """The session's user id, tied to the password: a new password ends every old session."""
        return f"{self.id}:{self.session_stamp}"

    @property
    def session_stamp(self) -> str:
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_city_admin(self) -> bool:
        return self.role == "city_admin"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(db.Model):
    """A department's API token. Only its SHA-256 is stored; revoked, never deleted."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship()
