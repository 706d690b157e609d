"""The demo plugin's own table: the training venues a department registered.

Built on ``core.plugin_metadata("demo")`` (its own ``MetaData``, core's
naming convention); the table is named ``demo_…`` and refers to core's
``departments``. Its migrations are in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import core_table, plugin_metadata


class Base(DeclarativeBase):
    metadata = plugin_metadata("demo")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Venue(Base):
    """A venue where a department's standards training events take place."""

    __tablename__ = "demo_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey(core_table("departments").c.id), index=True)
    #: Seats (0002_venue_capacity); unknown for venues registered before.
    capacity: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
