"""Comparing two versions of a table: rows added, removed and changed, field by field, by key.

Rows are matched by their key fields. Values are compared as the row schema
loads them, so ``1.0`` and ``1.00`` are the same number and a date written
two ways is one date; a nested list (an indicator list) is compared whole
and shown before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .rows import key_text, row_key
from .tables import ReferenceTable

__all__ = ["FieldChange", "RowChange", "VersionDiff", "diff_rows"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RowChange:
    """A row added (``before`` ``None``), removed (``after`` ``None``) or changed (``fields`` say how)."""

    key: tuple[Any, ...]
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"


@dataclass
class VersionDiff:
    """What changed from one version (``before``) to another (``after``)."""

    table: ReferenceTable
    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
                "unchanged": self.unchanged}

    def key_text(self, change: RowChange) -> str:
        return key_text(self.table, change.key)

    def to_json(self) -> dict[str, Any]:
        """The diff as plain JSON (values as the rows are stored: decimals and dates as text)."""
        from .rows import dump_row

        def dumped(row: Mapping[str, Any] | None) -> Any:
            return None if row is None else dump_row(self.table, row)

        def one(change: RowChange) -> dict[str, Any]:
            data: dict[str, Any] = {"key": [dumped_value(v) for v in change.key]}
            if change.kind == "changed":
                before, after = dumped(change.before), dumped(change.after)
                data["fields"] = [{"field": c.field, "before": before.get(c.field), "after": after.get(c.field)}
                                  for c in change.fields]
            else:
                data["row"] = dumped(change.after if change.kind == "added" else change.before)
            return data

        return {"table": self.table.key, **self.summary(),
                "added_rows": [one(c) for c in self.added], "removed_rows": [one(c) for c in self.removed],
                "changed_rows": [one(c) for c in self.changed]}


def dumped_value(value: Any) -> Any:
    from ..paramtypes import to_json

    return to_json(value)


def diff_rows(table: ReferenceTable, before: Sequence[Mapping[str, Any]] | None,
              after: Sequence[Mapping[str, Any]]) -> VersionDiff:
    """How ``after`` differs from ``before`` (typed rows; ``before`` ``None``: a first version, every row added).

    Changed and removed rows come in ``before``'s order, added ones in ``after``'s.
    """
    result = VersionDiff(table)
    old = {row_key(table, row): row for row in before or ()}
    new = {row_key(table, row): row for row in after}
    columns = table.columns
    for key, row in old.items():
        other = new.get(key)
        if other is None:
            result.removed.append(RowChange(key, row, None))
            continue
        changes = tuple(FieldChange(name, row.get(name), other.get(name)) for name in columns
                        if row.get(name) != other.get(name))
        if changes:
            result.changed.append(RowChange(key, row, other, changes))
        else:
            result.unchanged += 1
    for key, row in new.items():
        if key not in old:
            result.added.append(RowChange(key, None, row))
    return result
