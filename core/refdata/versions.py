"""Versions of reference tables, the version in force on a date, and what evaluation read.

A version is a whole snapshot of a table: every row, the date it is in
force from, why (reason), the document that decided it (reference), who
recorded it and when, and where it came from (``source``: ``shipped`` with
the plugin, ``demo`` sample data, ``cli``, ``admin`` — rows edited in the
browser — or ``import``, a file uploaded in the admin). Versions are only
ever added; each gets the next ``sequence`` number of its table (第1版,
第2版 …).

The version in force on a date is the one with the latest effective date on
or before it; for the same date, the one recorded later wins (a
correction). ``believed_at`` ignores versions recorded after that moment:
"what did we believe on date X". As for parameters (``core.parameters``).

Rows are loaded when a version is first opened (a resolver over the
database reads only the versions' headers up front), then kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, overload

from marshmallow import ValidationError

from .. import clock
from .rows import dump_row, load_rows, loads_stored, row_key
from .tables import ReferenceTable, shipped_rows

__all__ = [
    "ReferenceRead",
    "ReferenceResolver",
    "ReferenceSnapshot",
    "ReferenceVersion",
    "SOURCES",
    "StoredRowsInvalid",
    "UnknownReferenceTable",
]

#: Where a version came from.
SOURCES = ("shipped", "demo", "cli", "admin", "import")

_EARLIEST = datetime.min


class UnknownReferenceTable(KeyError):
    """No loaded plugin declares a table of that key."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown reference table"


class StoredRowsInvalid(ValueError):
    """A stored version's rows no longer load with the table's row schema (the plugin changed it)."""


@dataclass(frozen=True)
class ReferenceVersion:
    """One version of a table (its header; the rows are loaded by the resolver). Never changed once recorded."""

    key: str
    sequence: int
    effective_from: date
    reason: str
    reference: str
    recorded_by: str = "system"
    recorded_at: datetime | None = None
    source: str = "shipped"
    #: Database id; ``None`` for shipped versions used without a database and for what-if versions.
    id: int | None = None
    row_count: int = 0
    #: SHA-256 of the stored rows' canonical JSON.
    digest: str = ""

    @property
    def sample(self) -> bool:
        """Sample data (``stdpolicy init --demo``), shown as such wherever it appears."""
        return self.source == "demo"

    @property
    def origin(self) -> str:
        return "what-if" if self.source == "what-if" else "stored" if self.id is not None else "shipped"

    @property
    def read(self) -> ReferenceRead:
        """What an outcome records of this version."""
        return ReferenceRead(self.key, self.sequence if self.id is not None else None, self.id,
                             self.effective_from, self.source)


class ReferenceRead(NamedTuple):
    """A reference version as read for an evaluation: stored with the outcomes that used it."""

    key: str
    #: The version's number within its table (第2版); ``None`` when not stored.
    sequence: int | None
    #: The database id; ``None`` for shipped versions used without a database and what-if versions.
    version_id: int | None
    effective_from: date
    #: ``shipped``, ``demo`` (sample data), ``cli``, ``admin``, ``import`` or ``what-if``.
    source: str

    @property
    def sample(self) -> bool:
        return self.source == "demo"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sequence": self.sequence,
            "version_id": self.version_id,
            "effective_from": self.effective_from.isoformat(),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReferenceRead:
        return cls(str(data.get("key")), data.get("sequence"), data.get("version_id"),
                   date.fromisoformat(str(data.get("effective_from"))), str(data.get("source") or ""))


class ReferenceSnapshot(Sequence[dict[str, Any]]):
    """The rows of one version, with lookup by key.

    ``snapshot.get("GB 21256-2013", "烧结")`` is the row with those key
    values (``None`` if there is none); ``snapshot.find(unit="kgce/t")``
    the rows whose fields have those values. The rows are typed as the row
    schema loads them (decimals, dates); they are shared by every reader of
    the version: do not change them.
    """

    def __init__(self, table: ReferenceTable, version: ReferenceVersion, rows: Sequence[dict[str, Any]]) -> None:
        self.table = table
        self.version = version
        self.rows = tuple(rows)
        self._by_key: dict[tuple[Any, ...], dict[str, Any]] | None = None

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def sample(self) -> bool:
        """Whether the version is sample data (``--demo``): explanations should say so."""
        return self.version.sample

    @property
    def read(self) -> ReferenceRead:
        """What an outcome records: pass ``references=(snapshot.read,)`` (or the snapshot itself)."""
        return self.version.read

    def to_json(self) -> dict[str, Any]:
        return self.read.to_json()

    def get(self, *key: Any) -> dict[str, Any] | None:
        """The row whose key fields have these values, in the order of ``table.key_fields``."""
        if self._by_key is None:
            self._by_key = {row_key(self.table, row): row for row in self.rows}
        if len(key) != len(self.table.key_fields):
            raise TypeError(f"{self.table.key}: a key has {len(self.table.key_fields)} values "
                            f"({', '.join(self.table.key_fields)}), got {len(key)}")
        return self._by_key.get(tuple(key))

    def find(self, **values: Any) -> list[dict[str, Any]]:
        """The rows whose fields equal ``values``."""
        unknown = set(values) - set(self.table.columns)
        if unknown:
            raise KeyError(f"{self.table.key}: no field {', '.join(sorted(unknown))}")
        return [row for row in self.rows if all(row.get(k) == v for k, v in values.items())]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[dict[str, Any], ...]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | tuple[dict[str, Any], ...]:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __repr__(self) -> str:
        return f"<ReferenceSnapshot {self.table.key} v{self.version.sequence} from {self.version.effective_from}: {len(self.rows)} rows>"


#: Loads the stored rows (as JSON dicts) of versions by database id.
RowLoader = Callable[[Sequence[int]], Mapping[int, Sequence[Mapping[str, Any]]]]


class ReferenceResolver:
    """Answers "which version of table KEY was in force on DATE", and remembers what it answered.

    Built from the declared tables and the versions' headers (the database's,
    or the shipped ones with ``from_shipped``); rows come from ``load`` (the
    database) or with the versions (shipped), when a version is first opened.
    """

    def __init__(
        self,
        tables: Mapping[str, ReferenceTable],
        versions: Iterable[ReferenceVersion],
        *,
        believed_at: datetime | None = None,
        load: RowLoader | None = None,
        rows: Mapping[tuple[str, int], Sequence[Mapping[str, Any]]] | None = None,
    ) -> None:
        self.tables = tables
        self.believed_at = believed_at
        self._load = load
        #: Rows as stored or written, by (key, sequence): given, or fetched by ``load``.
        self._raw: dict[tuple[str, int], Sequence[Mapping[str, Any]]] = dict(rows or {})
        self._typed: dict[tuple[str, int], ReferenceSnapshot] = {}
        self._all: dict[str, list[ReferenceVersion]] = {}
        for version in versions:
            self._all.setdefault(version.key, []).append(version)
        self._timeline: dict[str, tuple[list[date], list[ReferenceVersion]]] = {}
        for key, history in self._all.items():
            history.sort(key=lambda v: (v.recorded_at or _EARLIEST, v.sequence, v.id or 0))
            believed = [v for v in history if believed_at is None or (v.recorded_at or _EARLIEST) <= believed_at]
            believed.sort(key=lambda v: v.effective_from)  # stable: the later recorded wins for the same date
            self._timeline[key] = ([v.effective_from for v in believed], believed)
        self._cache: dict[tuple[str, date], ReferenceSnapshot | None] = {}
        #: Every version handed out by ``snapshot``, for the evaluation record.
        self.reads: set[ReferenceRead] = set()

    @classmethod
    def from_shipped(cls, tables: Mapping[str, ReferenceTable], *, demo: bool = False) -> ReferenceResolver:
        """A resolver over the versions the plugins ship (and their samples, with ``demo``): no database."""
        versions = []
        rows: dict[tuple[str, int], Any] = {}
        for key, table in tables.items():
            chosen = table.shipped + (table.samples if demo else [])
            for n, shipped in enumerate(chosen, start=1):
                versions.append(ReferenceVersion(
                    key=key, sequence=n, effective_from=shipped.effective_from, reason=shipped.stored_reason,
                    reference=shipped.reference, source="demo" if shipped.demo else "shipped",
                ))
                rows[key, n] = _Lazy(table, shipped)
        return cls(tables, versions, rows=rows)

    def _table(self, key: str) -> ReferenceTable:
        try:
            return self.tables[key]
        except KeyError:
            raise UnknownReferenceTable(f"unknown reference table {key!r}; `stdpolicy refdata list` shows the tables") from None

    # -- lookups ---------------------------------------------------------------------

    def current(self, key: str, on: date | None = None) -> ReferenceVersion | None:
        """The version (header) in force on ``on`` (default: today); records nothing."""
        self._table(key)
        on = on or clock.today()
        dates, versions = self._timeline.get(key, ((), ()))
        i = bisect.bisect_right(dates, on)
        return versions[i - 1] if i else None

    def snapshot(self, key: str, on: date) -> ReferenceSnapshot | None:
        """The rows of the version of ``key`` in force on ``on`` (``None`` if none is); records the read."""
        try:
            found = self._cache[key, on]
        except KeyError:
            version = self.current(key, on)
            found = self._cache[key, on] = self.open(version) if version is not None else None
        if found is not None:
            self.reads.add(found.read)
        return found

    def history(self, key: str) -> list[ReferenceVersion]:
        """Every version of ``key`` in recording order, believed or not."""
        self._table(key)
        return list(self._all.get(key, ()))

    def has_versions(self, key: str) -> bool:
        """Whether any version of ``key`` is recorded (``stdpolicy init`` stores the shipped ones)."""
        return bool(self._all.get(key))

    def version(self, key: str, sequence: int) -> ReferenceVersion | None:
        """Version number ``sequence`` of ``key`` (第N版), if recorded."""
        return next((v for v in self.history(key) if v.sequence == sequence), None)

    def open(self, version: ReferenceVersion) -> ReferenceSnapshot:
        """The rows of ``version`` (loaded once); records nothing."""
        ident = (version.key, version.sequence)
        found = self._typed.get(ident)
        if found is None:
            table = self._table(version.key)
            raw = self._raw_rows(version)
            try:
                rows = raw.typed() if isinstance(raw, _Lazy) else loads_stored(table, raw)
            except ValidationError as exc:
                raise StoredRowsInvalid(
                    f"{version.key} version {version.sequence}: the stored rows no longer fit the table's row "
                    f"schema ({exc.messages}); record a new version that does"
                ) from None
            found = self._typed[ident] = ReferenceSnapshot(table, version, rows)
        return found

    def _raw_rows(self, version: ReferenceVersion) -> Any:
        ident = (version.key, version.sequence)
        if ident not in self._raw:
            if self._load is None or version.id is None:
                raise LookupError(f"{version.key} version {version.sequence}: its rows are not available")
            self._fetch([version])
        return self._raw[ident]

    def _fetch(self, versions: Sequence[ReferenceVersion]) -> None:
        wanted = {v.id: v for v in versions if v.id is not None and (v.key, v.sequence) not in self._raw}
        if not wanted or self._load is None:
            return
        found = self._load(list(wanted))
        for version_id, version in wanted.items():
            self._raw[version.key, version.sequence] = found.get(version_id, ())

    def prefetch(self) -> None:
        """Fetch the rows of every version now (before forking validation workers: they must not query)."""
        self._fetch([v for history in self._all.values() for v in history])

    # -- what-if -----------------------------------------------------------------------

    def with_version(self, key: str, rows: Sequence[Mapping[str, Any]], effective_from: date) -> ReferenceResolver:
        """A resolver with ``rows`` added as a version of ``key`` from ``effective_from``, as if recorded now.

        The version has no id and the source ``what-if``. Nothing is stored (the admin's preview).
        """
        table = self._table(key)
        sequence = max((v.sequence for v in self._all.get(key, ())), default=0) + 1
        now = datetime.max if self.believed_at is None else self.believed_at
        added = ReferenceVersion(key=key, sequence=sequence, effective_from=effective_from, reason="preview",
                                 reference="what-if", recorded_by="preview", recorded_at=now, source="what-if",
                                 row_count=len(rows))
        everything = [v for history in self._all.values() for v in history] + [added]
        raw = dict(self._raw)
        raw[key, sequence] = [dump_row(table, r) for r in rows]
        resolver = ReferenceResolver(self.tables, everything, believed_at=self.believed_at, load=self._load, rows=raw)
        resolver._typed.update(self._typed)
        return resolver


class _Lazy:
    """The rows of a shipped version, validated with the row schema on first use."""

    def __init__(self, table: ReferenceTable, shipped: Any) -> None:
        self.table = table
        self.shipped = shipped

    def raw(self) -> Sequence[Mapping[str, Any]]:
        return shipped_rows(self.table, self.shipped)

    def typed(self) -> list[dict[str, Any]]:
        from .rows import RowsInvalid

        try:
            return load_rows(self.table, self.raw())
        except RowsInvalid as exc:
            raise ValueError(f"{self.shipped.where or self.table.key}: {exc}") from None

