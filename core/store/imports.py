"""Checking an import before storing it: every row's errors, and what is new.

``preview_import`` validates exactly as ``import_records`` does (same
parameters from the database) and reads which valid records are already
stored and which organisation names the new ones would change, but adds
nothing to the session. The admin's import page shows it
and only then lets the user store the file, all or nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..activities import Activity, InvalidRecord, ValidationReport
from ..messages import Bilingual, FieldError
from ..registry import Registry
from .activities import fingerprint, stored_fingerprints
from .organisations import NameChange, name_changes
from .parameters import resolver

__all__ = ["ImportPreview", "foreign_kinds", "preview_import"]


@dataclass
class ImportPreview:
    """What importing the records would do."""

    report: ValidationReport
    #: Valid records not stored yet (the first of each repeated record).
    new: int = 0
    #: Valid records whose identical record is stored already.
    already_stored: int = 0
    #: Valid records identical to an earlier one in the same input.
    repeated: int = 0
    #: Known credit codes whose new records carry another organisation name.
    renamed: list[NameChange] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return len(self.report.items) - len(self.report.invalid)

    @property
    def invalid(self) -> list[InvalidRecord]:
        return self.report.invalid

    @property
    def ok(self) -> bool:
        return not self.report.invalid


def _kind_not_allowed(registry: Registry, kind: str) -> Bilingual:
    return Bilingual(
        f"活动类型“{registry.kinds[kind].label.zh}”不属于本部门启用的插件,不能由本部门导入",
        f"the kind {kind} belongs to no plugin your department has enabled; the department cannot import it",
    )


def foreign_kinds(records: Iterable[Any], kinds: Collection[str]) -> set[str]:
    """The known-looking ``kind`` values of raw records that are not in ``kinds``."""
    return {
        r["kind"] for r in records
        if isinstance(r, dict) and isinstance(r.get("kind"), str) and r["kind"] not in kinds
    }


def preview_import(registry: Registry, records: list[Any], *, kinds: Collection[str] | None = None) -> ImportPreview:
    """Validate ``records`` and count what is new; store nothing.

    :param kinds: the kinds the importer may store (a department's); a valid
        record of another kind is reported as an error on its ``kind`` field.
    """
    report = registry.validate(records, resolver(registry))
    if kinds is not None:
        items: list[Activity | InvalidRecord] = []
        locate = getattr(records, "location", None)  # a file's rows (core.interchange.Records)
        for item in report.items:
            if isinstance(item, Activity) and item.kind not in kinds:
                item = InvalidRecord(item.row, item.ref, item.kind,
                                     [FieldError.make("kind", _kind_not_allowed(registry, item.kind))], records[item.row - 1],
                                     locate(item.row - 1) if locate else None)
            items.append(item)
        report = ValidationReport(items)
    preview = ImportPreview(report)
    seen: dict[str, Activity] = {}
    for activity in report.valid:
        fp = fingerprint(activity)
        if fp in seen:
            preview.repeated += 1
        else:
            seen[fp] = activity
    stored = stored_fingerprints(list(seen))
    preview.already_stored = len(stored)
    preview.new = len(seen) - len(stored)
    preview.renamed = name_changes([a for fp, a in seen.items() if fp not in stored])
    return preview
