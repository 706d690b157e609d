"""What a plugin declares about a reference table, and the versions it ships.

A reference table is data a department maintains and changes by decision —
the energy-quota limit values of each standard edition, the basic public
service lists, benchmark indicator sets. A plugin declares each table with
``stdpolicy_register_reference_tables``: a key prefixed with its name, a
bilingual label, the policy clause, a marshmallow **row schema** (each
field with a ``label``: the column header in CSV and XLSX) and the **key
fields** that identify a row. The versions it ships come from a YAML file
in its package (``load_reference_versions``), each citing its document and
clause; ``demo: true`` marks sample versions that ``stdpolicy init --demo``
stores (and every page shows as samples).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema
from marshmallow import fields as mfields

from ..text import Text, as_text
from ..yamlload import load_dated

__all__ = ["SHIPPED_REASON", "DEMO_REASON", "ReferenceTable", "ShippedVersion", "load_reference_versions"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

#: The reason stored with a shipped version (both languages in one, as for parameters).
SHIPPED_REASON = "插件预置值 / shipped with the plugin"
#: The reason stored with a sample version (``stdpolicy init --demo``).
DEMO_REASON = "示例数据,仅供演示 / sample data for demonstration only"

_FILE_KEYS = {"document", "clause", "versions"}
_VERSION_KEYS = {"from", "document", "clause", "reason", "demo", "rows"}


@dataclass(frozen=True)
class ShippedVersion:
    """A version a plugin ships: the whole table as in force from ``effective_from``.

    ``rows`` are as written in the file (a list of mappings; for a CSV file
    beside the YAML, ``rows_file`` names it and the rows are read through
    the table's columns). They are validated with the row schema when
    stored (``stdpolicy init``) or used without a database.
    """

    effective_from: date
    rows: tuple[Mapping[str, Any], ...] = ()
    document: str = ""
    clause: str = ""
    reason: str = ""
    #: A sample (``--demo``), not a value a document sets.
    demo: bool = False
    #: ``(package, path)`` of a CSV file holding the rows instead of ``rows``.
    rows_file: tuple[str | None, str] | None = None
    #: Where it was declared, for error messages.
    where: str = ""

    @property
    def reference(self) -> str:
        """The document and clause, as stored with the version."""
        if self.demo and not self.document:
            return "示例数据 / sample data"
        return f"{self.document} {self.clause}".strip()

    @property
    def stored_reason(self) -> str:
        return self.reason or (DEMO_REASON if self.demo else SHIPPED_REASON)


@dataclass(frozen=True, eq=False)
class ReferenceTable:
    """A versioned reference table a plugin declares.

    :param key: ``plugin.table`` (dotted lower_snake_case, starting with the plugin's name).
    :param schema: the row schema; every field carries ``metadata={"label": Text(…)}``
        (the column header) and coded values their labels (``"values": {code: Text}``).
        A field may hold a list of nested rows (``fields.List(fields.Nested(…))``,
        an indicator list): CSV and XLSX cells hold it as JSON.
    :param key_fields: the fields whose values identify a row (unique within a version).
    :param versions: shipped and sample versions (``load_reference_versions``).
    """

    key: str
    label: Text
    schema: type[Schema]
    key_fields: tuple[str, ...]
    clause: str
    description: Text | None = None
    versions: tuple[ShippedVersion, ...] = ()
    _instance: Schema = field(default=None, init=False, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"reference table {self.key!r}: keys are dotted lower_snake_case, e.g. plugin.table")
        if not (isinstance(self.schema, type) and issubclass(self.schema, Schema)):
            raise ValueError(f"reference table {self.key!r}: schema must be a marshmallow Schema class")
        if isinstance(self.key_fields, str):
            object.__setattr__(self, "key_fields", (self.key_fields,))
        object.__setattr__(self, "key_fields", tuple(self.key_fields))
        declared = self.schema._declared_fields
        if not self.key_fields:
            raise ValueError(f"reference table {self.key!r}: name the key fields that identify a row")
        for name in self.key_fields:
            if name not in declared:
                raise ValueError(f"reference table {self.key!r}: key field {name!r} is not a field of its schema")
            if isinstance(declared[name], (mfields.List, mfields.Nested, mfields.Dict)):
                raise ValueError(f"reference table {self.key!r}: key field {name!r} must hold a single value")
        for name, f in declared.items():
            if not isinstance(f.metadata.get("label"), Text):
                raise ValueError(f"reference table {self.key!r}: field {name!r} needs metadata={{'label': Text(…)}} "
                                 "(its column header)")
        if not self.clause:
            raise ValueError(f"reference table {self.key!r}: the policy clause is required")
        for version in self.versions:
            if not isinstance(version, ShippedVersion):
                raise ValueError(f"reference table {self.key!r}: versions must be ShippedVersion, got {version!r}")
            if not version.demo and (not version.document or not version.clause):
                raise ValueError(f"reference table {self.key!r}: the version from {version.effective_from} must cite "
                                 "its document and clause (or be marked demo)")
        object.__setattr__(self, "_instance", self.schema())

    @property
    def plugin_prefix(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def row_schema(self) -> Schema:
        """An instance of the row schema (shared: marshmallow schemas keep no state between loads)."""
        return self._instance

    @property
    def columns(self) -> list[str]:
        """The fields in declaration order: the columns of CSV and XLSX files and of the admin's tables."""
        return [name for name, f in self.schema._declared_fields.items() if not f.dump_only]

    def field(self, name: str) -> mfields.Field:
        return self.schema._declared_fields[name]

    def field_label(self, name: str) -> Text:
        """The column header of field ``name`` (its declared label; the name for an unknown field)."""
        f = self.schema._declared_fields.get(name)
        label = f.metadata.get("label") if f is not None else None
        return label if isinstance(label, Text) else Text(name, name)

    def value_label(self, name: str, value: Any) -> Text | None:
        """The label of a coded value (``metadata={"values": {code: Text}}``), if any."""
        f = self.schema._declared_fields.get(name)
        if f is None or not isinstance(value, str):
            return None
        label = (f.metadata.get("values") or {}).get(value)
        return label if isinstance(label, Text) else None

    def is_nested(self, name: str) -> bool:
        """Whether field ``name`` holds nested rows or a mapping (written as JSON in a cell)."""
        f = self.schema._declared_fields[name]
        if isinstance(f, mfields.List):
            return isinstance(f.inner, (mfields.Nested, mfields.Dict, mfields.List))
        return isinstance(f, (mfields.Nested, mfields.Dict))

    def is_list(self, name: str) -> bool:
        """Whether field ``name`` holds a list of single values (one per line in a cell)."""
        f = self.schema._declared_fields[name]
        return isinstance(f, mfields.List) and not self.is_nested(name)

    @property
    def shipped(self) -> list[ShippedVersion]:
        """The versions citing a document, in effective-date order."""
        return sorted((v for v in self.versions if not v.demo), key=lambda v: v.effective_from)

    @property
    def samples(self) -> list[ShippedVersion]:
        """The sample versions (``--demo``), in effective-date order."""
        return sorted((v for v in self.versions if v.demo), key=lambda v: v.effective_from)




def load_reference_versions(source: str | Path, package: str | None = None) -> tuple[ShippedVersion, ...]:
    """The versions of a reference table from a YAML file (in a plugin package with ``package``).

    The format::

        document: GB 21256-2013《粗钢生产主要工序单位产品能源消耗限额》
        clause: 4.1
        versions:
          - from: 2013-10-01            # in force from (the standard's implementation date)
            clause: 4.1 表1             # document and clause may be given per version
            rows:
              - {standard: GB 21256-2013, process: 烧结, indicators: [{name: …, unit: kgce/t, limit: "55"}]}
          - from: 2024-01-01
            demo: true                  # a sample: stored by `stdpolicy init --demo` only
            rows: samples.csv           # the rows of a CSV file beside this one (headers: labels or names)

    Every version that is not a sample must cite its document and clause.
    Dates that are not dates, unknown entries and a version without rows
    are errors naming the file and the version.
    """
    if package is not None:
        text = resources.files(package).joinpath(str(source)).read_text(encoding="utf-8")
        where = f"{package}/{source}"
    else:
        text = Path(source).read_text(encoding="utf-8")
        where = str(source)
    data = load_dated(text) or {}
    if not isinstance(data, dict) or set(data) - _FILE_KEYS:
        raise ValueError(f"{where}: expected the entries {sorted(_FILE_KEYS)}")
    document, clause = data.get("document") or "", data.get("clause") or ""
    versions = []
    for n, item in enumerate(data.get("versions") or [], start=1):
        ctx = f"{where}: version {n}"
        if not isinstance(item, dict):
            raise ValueError(f"{ctx}: expected a mapping")
        unknown = set(item) - _VERSION_KEYS
        if unknown:
            raise ValueError(f"{ctx}: unknown entries {sorted(unknown)}")
        effective_from = item.get("from")
        if not isinstance(effective_from, date):
            raise ValueError(f"{ctx}: 'from' must be a date (YYYY-MM-DD), got {effective_from!r}")
        rows = item.get("rows")
        rows_file = None
        if isinstance(rows, str):
            base = str(Path(str(source)).parent / rows) if package is not None else str(Path(source).parent / rows)
            rows_file, rows = (package, base), ()
        elif isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
            rows = tuple(rows)
        else:
            raise ValueError(f"{ctx}: 'rows' must be a list of rows or the name of a CSV file")
        given = item.get("reason") or ""
        if isinstance(given, dict):
            both = as_text(given, where=f"{ctx}: reason")
            reason = f"{both.zh} / {both.en}"
        else:
            reason = str(given)
        versions.append(ShippedVersion(
            effective_from=effective_from, rows=rows, rows_file=rows_file,
            document=str(item.get("document") or document), clause=str(item.get("clause") or clause),
            reason=reason,
            demo=bool(item.get("demo", False)), where=ctx,
        ))
    return tuple(versions)


def shipped_rows(table: ReferenceTable, version: ShippedVersion) -> Sequence[Mapping[str, Any]]:
    """The rows of a shipped version as written (read from its CSV file if it names one)."""
    if version.rows_file is None:
        return version.rows
    from .tabular import read_rows

    package, path = version.rows_file
    if package is not None:
        data = resources.files(package).joinpath(path).read_bytes()
    else:
        data = Path(path).read_bytes()
    rows, _where = read_rows(table, data, path)
    return rows
