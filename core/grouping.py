"""Evaluation groups: evaluating a few groups at a time gives what evaluating all at once gives.

A 1,000,000-record file, or a whole register, does not fit in memory as
activities and outcomes, yet the rules read across activities: the one-time
rule pays the earliest report *anywhere* in the input, two organisations
claiming the same rank on one standard are both held, forerunners are ranked
within a year and category. So core cannot cut the input into arbitrary
chunks. It cuts it into *groups* instead: each kind says, through
``ActivityKind.group``, which of its activities a rule may read together
(``stdpolicy_evaluate``'s contract, core/hookspecs.py), and activities of
different groups never change each other's outcomes. Evaluating any union of
whole groups as one batch then gives every activity in it exactly the
outcomes the whole input would give it; streaming evaluation
(``stdpolicy evaluate`` on a large file) and chunked re-evaluation rely on
this, and tests/test_grouping.py checks it on the benchmark's data and on
generated inputs for every built-in kind.

A group is ``(kind, key)``; a kind that declares no ``group`` is one group.
``partition`` spreads groups over a number of parts with a hash that is the
same in every process and on every run (Python's ``hash`` of a string is
not), so two passes over one file agree on where each record goes.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING

from .identity import identity_of

if TYPE_CHECKING:
    from .activities import Activity
    from .declarations import ActivityKind

__all__ = ["Group", "by_committee", "by_organisation", "by_standard_series", "group_of", "partition"]

#: ``(kind, key)``: the key is ``None`` for a kind that declares no ``group``.
Group = tuple[str, Hashable]


def by_organisation(activity: Activity) -> Hashable:
    """The organisation's credit code: for kinds whose readings across activities stay within one organisation.

    (The one-time rule's keys of awards, pilots and talent enterprises all
    start with the organisation.)
    """
    return activity.credit_code


def by_committee(activity: Activity) -> Hashable:
    """The committee (its canonical number): every secretariat record of one committee, whoever claims it.

    A committee has one secretariat: two organisations claiming one are read
    together (both held), and the one-time key, the organisation and the
    committee, lies within the committee.
    """
    return activity.fields["committee_code"]


def by_standard_series(activity: Activity) -> Hashable:
    """The standard's series (``core.identity``): every record of any edition of one standard, whoever drafted it.

    Standard drafting's readings compare records of the same series (earlier
    editions make a revision, two organisations with one rank conflict) and
    its one-time key is the organisation and the standard's identity, which
    lies within the series.
    """
    return identity_of(activity.fields["standard_code"], activity.date.year).base


def group_of(kinds: Mapping[str, ActivityKind], activity: Activity) -> Group:
    """The group ``activity`` belongs to, given the loaded kinds (``Registry.kinds``)."""
    declared = kinds.get(activity.kind)
    key = declared.group if declared is not None else None
    return (activity.kind, key(activity) if key is not None else None)


def partition(group: Group, parts: int) -> int:
    """Which of ``parts`` parts (0 … parts-1) holds ``group``: the same answer in every process."""
    if parts <= 1:
        return 0
    return zlib.crc32(repr(group).encode("utf-8", "surrogatepass")) % parts
