"""Importing activities: the preview (every row's errors, what is new), then the import, all or nothing.

``preview_import`` validates exactly as the import does (same parameters
from the database) and reads which valid records are already stored and
which organisation names the new ones would change, but adds nothing to the
session. The admin's import page shows it and only then lets the user
store the file; ``stdpolicy import`` stores at once (its listing of invalid
rows is the same report).

``import_activities`` is validated before the writer lock is taken
(validation is most of its time, and readers must not wait for it); under
the lock the parameters are compared with those it was validated against,
and it is validated again if a version was recorded in between. The
activities, their outcomes, new organisations and name changes and the
audit entry are committed together, or nothing is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..activities import Activity, InvalidRecord, Reported, ValidationReport
from ..db import db
from ..gcpause import paused_gc
from ..messages import Bilingual, FieldError
from ..models import Department
from ..registry import Registry
from ..store.activities import ImportResult, fingerprint, import_records, stored_fingerprints
from ..store.departments import active_plugins
from ..store.locking import writing
from ..store.organisations import NameChange, name_changes
from ..store.parameters import require_parameters, resolver
from ..store.refdata import reference_resolver
from .parameters import parameter_state

__all__ = ["ImportPreview", "ImportResult", "foreign_kinds", "import_activities", "preview_import"]


@dataclass
class ImportPreview(Reported):
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
    :raises ParametersNotStored: as ``import_records`` would.
    """
    require_parameters(registry, active_plugins(registry))
    report = registry.validate(records, resolver(registry), references=reference_resolver(registry))
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


def import_activities(
    registry: Registry,
    records: Iterable[Any],
    *,
    source: str,
    actor: str,
    department: Department | None = None,
    lap: Callable[[str], None] | None = None,
) -> ImportResult:
    """Validate ``records`` and, if all are valid, store the new ones with their outcomes (committed).

    Invalid records: nothing stored, ``result.ok`` is false. Otherwise the
    activities, their outcomes, new organisations and name changes, and the
    audit entry are committed together.

    :param lap: called with the name of each step as it ends (``stdpolicy
        import --timings``): ``validate``, those of ``import_records``, ``commit``.
    :raises ParametersNotStored: a plugin some department enabled ships
        parameters the database does not hold yet; nothing is stored.
    """
    if not isinstance(records, list):  # a list (``core.interchange.Records``) keeps where each record was
        records = list(records)
    require_parameters(registry, active_plugins(registry))  # before the validation's cost (again under the lock)
    state = parameter_state()
    report = registry.validate(records, resolver(registry), references=reference_resolver(registry))
    if lap is not None:
        lap("validate")
    if report.invalid:
        db.session.rollback()
        return ImportResult(report)
    # Storing allocates a few objects per activity and outcome (rows, encoded values, ORM state)
    # and frees little until the commit: the collector's full passes rescanned the growing heap
    # again and again, ~2.4 of 14 s CPU for 100,000 activities (core/gcpause.py).
    with paused_gc(), writing("import"):
        # A parameter version recorded meanwhile: validated again under the lock.
        current = report if parameter_state() == state else None
        result = import_records(registry, records, source=source, actor=actor, department=department, report=current,
                                lap=lap)
    if lap is not None:
        lap("commit")
    return result
