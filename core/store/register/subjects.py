"""The register's search in subjects on SQLite: the distinct subjects in memory, kept until the next evaluation run.

SQLite answers ``subject LIKE '%q%'`` by reading every entry of the subject
index: 6-7 ms at 100,000 activities, on every search, whatever it finds.
Here the distinct subjects (32,000 there), folded as SQLite's ``LIKE``
folds them (ASCII letters only), are joined in one string and searched with
``str.find``: well under a millisecond, and the same matches
(tests/test_admin_queries.py compares both on many searches). Only
evaluation runs store activities, so the string is kept until the next one
(``RunCache``: read again, once, after an import). PostgreSQL (``ILIKE``,
with its own case folding) keeps the query.
"""

from __future__ import annotations

import string
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ...db import db
from ...models import ActivityRecord
from ..runcache import RunCache

__all__ = ["subject_ids"]

#: SQLite's LIKE ignores the case of ASCII letters only.
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
#: Ends each subject in the joined string. SQLite's LIKE reads its operands as C strings: a
#: subject up to its first NUL character, and a pattern holding one is left to SQLite.
_END = "\x00"


@dataclass(frozen=True)
class _Subjects:
    #: The folded distinct subjects, each followed by ``_END``.
    text: str
    #: Where each subject starts in ``text``, and ``len(text)`` last.
    starts: list[int]
    #: The activities of each subject (by position).
    ids: list[list[int]]


_SUBJECTS = RunCache(size=4)


def _read() -> _Subjects:
    by_subject: dict[str, list[int]] = {}
    for subject, activity_id in db.session.execute(
        select(ActivityRecord.subject, ActivityRecord.id).where(ActivityRecord.subject.is_not(None))
    ):
        if subject is None:  # (excluded above; for the type checker)
            continue
        by_subject.setdefault(subject.split(_END, 1)[0].translate(_FOLD), []).append(activity_id)
    starts, at = [], 0
    for s in by_subject:
        starts.append(at)
        at += len(s) + 1
    starts.append(at)
    return _Subjects("".join(s + _END for s in by_subject), starts, list(by_subject.values()))


def subject_ids(spellings: Sequence[str], limit: int) -> list[int] | None:
    """The activities whose subject contains one of ``spellings`` (ASCII letters in any case), as
    SQLite's ``LIKE`` finds them; ``None`` when there are more than ``limit``, or a spelling is empty or holds
    a NUL character (SQLite's to answer)."""
    subjects = _SUBJECTS.get("subjects", _read)
    found: set[int] = set()
    for spelling in spellings:
        needle = spelling.translate(_FOLD)
        if not needle or _END in needle:
            return None
        # A match never runs past its subject's end (the needle holds no _END): one per subject at most.
        text, starts = subjects.text, subjects.starts
        at = text.find(needle)
        while at != -1:
            position = bisect_right(starts, at) - 1
            found.update(subjects.ids[position])
            if len(found) > limit:
                return None
            at = text.find(needle, starts[position + 1])
    return sorted(found)
