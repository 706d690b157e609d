"""One clock for "today" and local times: the city's time zone, not the server's.

Jiaxing works in Beijing time (``Asia/Shanghai``, UTC+8); a server often
runs in UTC, where "today" ends at 08:00 local time. Everything that asks
for today — refusing future dates, the date an evaluation is made on,
the dates in export file names, "in force today" — asks here, and displayed
times are converted to this zone. ``STDPOLICY_TIMEZONE`` names another zone
(an IANA name such as ``Asia/Urumqi``).

The database keeps naive UTC (``core.db.utcnow``); only what people see and
the local calendar day come from here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_ZONE", "InvalidTimezone", "local", "now", "today", "zone", "zone_name"]

DEFAULT_ZONE = "Asia/Shanghai"
_VARIABLE = "STDPOLICY_TIMEZONE"


class InvalidTimezone(ValueError):
    """``STDPOLICY_TIMEZONE`` names no time zone."""


# Validation asks for today once per record (a date in the future is refused) and
# ``os.environ.get`` costs ~0.7 µs (key encoding, ``Mapping.get``, decoding): 128,000
# calls for 100,000 records. ``os.environ`` keeps its raw values in ``_data``, which
# every change through ``os.environ`` (``monkeypatch.setenv``, ``patch.dict``) updates:
# looking the raw value up there and comparing it with the last one seen costs ~0.1 µs
# and still follows every change. When that mapping is not there (another platform's
# ``os``, ``os.environ`` replaced by a test), the plain lookup is used.
_ENVIRON: Any = os.environ
try:
    _RAW: dict[Any, Any] | None = _ENVIRON._data
    _RAW_KEY: Any = _ENVIRON.encodekey(_VARIABLE)
    _DECODE: Callable[[Any], str] = _ENVIRON.decodevalue
except AttributeError:  # pragma: no cover - CPython's os.environ has all three
    _RAW = _RAW_KEY = None
# (the raw value last seen, the zone name it gives)
_seen: tuple[object, str] = (object(), DEFAULT_ZONE)


def zone_name() -> str:
    """The configured zone's name (``STDPOLICY_TIMEZONE``, default ``Asia/Shanghai``)."""
    global _seen
    if _RAW is not None and os.environ is _ENVIRON:
        raw = _RAW.get(_RAW_KEY)
        last, name = _seen
        if raw is last or raw == last:
            return name
        name = (_DECODE(raw).strip() if raw is not None else "") or DEFAULT_ZONE
        _seen = (raw, name)
        return name
    return os.environ.get(_VARIABLE, "").strip() or DEFAULT_ZONE


def zone() -> ZoneInfo:
    """The configured time zone.

    :raises InvalidTimezone: ``STDPOLICY_TIMEZONE`` is not an IANA zone name.
    """
    name = zone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(
            f"{_VARIABLE}={name!r} is not a time zone; use an IANA name such as {DEFAULT_ZONE!r}"
        ) from None


def _timestamp() -> float:
    """Seconds since the epoch (tests replace this to move the clock)."""
    return time.time()


def now() -> datetime:
    """The current time in the configured zone (aware)."""
    return datetime.fromtimestamp(_timestamp(), zone())


# (zone name, first second of the day, first second of the next, the day): validation asks for
# today once per record, and computing it costs a zone conversion.
_today: tuple[str, float, float, date] = ("", 0.0, 0.0, date.min)


def today() -> date:
    """Today's date in the configured zone."""
    global _today
    stamp, name = _timestamp(), zone_name()
    cached_name, start, end, day = _today
    if cached_name == name and start <= stamp < end:
        return day
    current = now()
    day = current.date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=current.tzinfo)
    _today = (name, midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
    return day


def local(value: datetime) -> datetime:
    """A stored naive-UTC time (or an aware one) in the configured zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone())
