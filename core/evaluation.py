"""What the evaluation hook receives and what core makes of its answers.

Evaluation is a batch: core calls ``stdpolicy_evaluate`` once per enabled
plugin with all validated activities and one ``EvaluationContext``. Calling a
hook per activity would cost microseconds of dispatch each, which at 100,000
activities is most of the work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from datetime import date
from typing import Protocol, overload

from . import clock
from .activities import Activity
from .outcomes import Outcome
from .parameters import ParameterResolver
from .refdata import ReferenceResolver, ReferenceSnapshot

__all__ = [
    "Batch",
    "in_recorded_order",
    "EmptyHistory",
    "EvaluationContext",
    "EvaluationResult",
    "PaymentHistory",
    "PriorActivity",
    "PriorPayment",
    "PriorReport",
]


class Batch(Sequence[Activity]):
    """The validated activities of one evaluation, in input order."""

    def __init__(self, activities: Iterable[Activity]) -> None:
        self._activities = list(activities)
        self._by_kind: dict[str, list[Activity]] | None = None
        self._ids: set[int] | None = None

    def of_kind(self, *kinds: str) -> list[Activity]:
        """The activities of these kinds, in input order."""
        by_kind = self._by_kind
        if by_kind is None:
            # Every kind in one pass, on the first call: plugins ask for a dozen kinds in turn,
            # and a pass each over 100,000 activities cost more than the rules of the rarer ones.
            by_kind = self._by_kind = {}
            for activity in self._activities:
                found = by_kind.get(activity.kind)
                if found is None:
                    by_kind[activity.kind] = [activity]
                else:
                    found.append(activity)
        if len(kinds) == 1:
            found = by_kind.get(kinds[0])
            if found is None:
                found = by_kind[kinds[0]] = []
            return found
        wanted = set(kinds)
        return [a for a in self._activities if a.kind in wanted]

    @property
    def kinds(self) -> set[str]:
        return {a.kind for a in self._activities}

    def holds(self, activity: Activity) -> bool:
        """Whether ``activity`` is one of the batch's, the very object (core asks it of every outcome)."""
        ids = self._ids
        if ids is None:  # by id(): the batch keeps its activities alive, so no other object takes their ids
            ids = self._ids = {id(a) for a in self._activities}
        return id(activity) in ids

    @overload
    def __getitem__(self, index: int) -> Activity: ...

    @overload
    def __getitem__(self, index: slice) -> list[Activity]: ...

    def __getitem__(self, index: int | slice) -> Activity | list[Activity]:
        return self._activities[index]

    def __len__(self) -> int:
        return len(self._activities)

    def __iter__(self) -> Iterator[Activity]:
        return iter(self._activities)


_DATE = attrgetter("date")


def in_recorded_order(activities: Iterable[Activity]) -> list[Activity]:
    """Activities in the order one-time rewards are decided: the first is paid.

    Stored activities come in the order they were stored (an import stores
    its new activities by date), so re-evaluating stored data pays the same
    activity the import paid; activities not stored (``stdpolicy evaluate``)
    come by date, input order breaking ties.
    """
    activities = list(activities)
    if any(a.stored_id is not None for a in activities):
        return sorted(activities, key=lambda a: (a.stored_id is None, a.stored_id or 0, a.date))
    return sorted(activities, key=_DATE)


@dataclass(frozen=True)
class PriorPayment:
    """A one-time reward already paid (or held for review) in stored data."""

    dedup_key: str
    activity_id: int
    activity_ref: str
    date: date
    #: Paid, or (``held``) what it would pay once a reviewer approves it.
    amount: int
    rule: str
    #: Held for review (待核实): not paid yet, but the achievement is taken.
    held: bool = False


@dataclass(frozen=True)
class PriorReport:
    """The earliest stored report of an achievement (an outcome's ``dedup_key``), paid or not."""

    dedup_key: str
    activity_id: int
    activity_ref: str
    date: date


@dataclass(frozen=True)
class PriorActivity:
    """A stored activity, as readings across the register see it (the same standard in other records)."""

    activity_id: int
    activity_ref: str
    kind: str
    date: date
    credit_code: str
    organisation: str | None
    #: The value of the kind's subject field (a standard's canonical number).
    subject: str
    fields: Mapping[str, object]


class PaymentHistory(Protocol):
    """What the register already holds, for readings across activities.

    ``paid``: one-time rewards already paid (``Outcome.dedup_key``);
    ``reported``: the earliest report of an achievement, paid or not;
    ``activities``: stored activities of a kind whose subject starts with
    one of some prefixes (the other records of the same standard).
    """

    def paid(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorPayment]:
        """The earliest paid outcome of ``plugin`` for each of ``keys`` that has one."""
        ...

    def reported(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorReport]:
        """The earliest dated stored outcome of ``plugin`` for each of ``keys``, whatever its amount."""
        ...

    def activities(self, kind: str, prefixes: Collection[str]) -> Sequence[PriorActivity]:
        """Stored activities of ``kind`` whose subject starts with one of ``prefixes``, by date."""
        ...


class EmptyHistory:
    """No stored data: nothing has been paid or reported before."""

    def paid(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorPayment]:
        return {}

    def reported(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorReport]:
        return {}

    def activities(self, kind: str, prefixes: Collection[str]) -> Sequence[PriorActivity]:
        return ()


@dataclass
class EvaluationContext:
    """Everything a plugin may consult besides the activities.

    :param parameters: the values in force; ``parameters.value(key, on)``
        returns a ``ParamValue`` (or ``None`` when no version covers ``on``)
        and records the read.
    :param history: one-time rewards already paid in stored data.
    :param department: the code of the evaluating department, or ``None``
        when every loaded plugin evaluates.
    :param evaluated_on: the day of the evaluation.
    :param references: the versions of the reference tables;
        ``reference(key, on)`` reads one.
    """

    parameters: ParameterResolver
    history: PaymentHistory = field(default_factory=EmptyHistory)
    department: str | None = None
    evaluated_on: date = field(default_factory=clock.today)
    #: Set by core before each plugin's call: the plugin being called.
    plugin: str | None = None
    references: ReferenceResolver = field(default_factory=lambda: ReferenceResolver({}, ()))

    def reference(self, key: str, on: date) -> ReferenceSnapshot | None:
        """The rows of table ``key`` in the version in force on ``on`` (``None``: no version is).

        The read is recorded (``references.reads``); pass ``references=(snapshot,)``
        to the outcomes computed with it, so the register shows which version
        (第N版) they used and whether it is sample data. Raises
        ``UnknownReferenceTable`` for a key no loaded plugin declares.
        """
        return self.references.snapshot(key, on)


class EvaluationResult:
    """The outcomes of one evaluation; ``for_activity`` groups them."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        #: Plugins that raised: name → error text.
        self.failures: dict[str, str] = {}
        self._index: dict[int, list[Outcome]] | None = None

    def extend(self, outcomes: Iterable[Outcome]) -> None:
        self.outcomes.extend(outcomes)
        self._index = None

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self._index = None

    def _grouped(self) -> dict[int, list[Outcome]]:
        if self._index is None:
            index: dict[int, list[Outcome]] = {}
            for outcome in self.outcomes:
                key = id(outcome.activity)
                found = index.get(key)
                if found is None:
                    index[key] = [outcome]
                else:
                    found.append(outcome)
            self._index = index
        return self._index

    def for_activity(self, activity: Activity) -> list[Outcome]:
        """The outcomes of one activity, in the order the plugins gave them."""
        return self._grouped().get(id(activity), [])

    def amount(self, activity: Activity) -> int:
        return sum(o.amount for o in self.for_activity(activity))

    def held_amount_of(self, activity: Activity) -> int:
        """What the activity's held outcomes would pay once approved (not in ``amount``)."""
        return sum(o.held_amount for o in self.for_activity(activity))

    @property
    def total_amount(self) -> int:
        """Integer yuan due: held outcomes carry 0 and are not in it (``held_amount``)."""
        return sum(o.amount for o in self.outcomes)

    @property
    def held_amount(self) -> int:
        """Integer yuan held for review: what held outcomes would pay once approved."""
        return sum(o.held_amount for o in self.outcomes)
