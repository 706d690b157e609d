"""Policy parameters: declarations from YAML, typed values, dated versions.

Parameters are data, as in OpenFisca: a plugin ships a YAML file of its
parameters with values keyed by effective-from date, each value citing its
policy document and clause. The database keeps every version recorded later
(immutable; a correction is a new version). The value in force on a date is
the version with the latest effective-from on or before that date; for the
same date the one recorded later wins. ``believed_at`` answers "what did we
believe on date X" by ignoring versions recorded after X.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from . import clock
from .declarations import DefaultValue, ParameterDeclaration
from .outcomes import ParamValue
from .paramtypes import Money, ParameterType, parameter_type
from .text import Text, as_text
from .yamlload import load_dated

__all__ = [
    "Money",
    "ParameterResolver",
    "ParameterVersion",
    "decode_value",
    "encode_value",
    "load_parameter_file",
    "value_field",
    "version_schema",
]

_UNITS = {"yuan": Text("元", "yuan")}
_PARAMETER_KEYS = {"key", "label", "unit", "type", "clause", "values", "description", "minimum", "maximum", "choices"}
_VALUE_KEYS = {"from", "value", "clause", "document"}




# --------------------------------------------------------------------------
# Declarations from YAML
# --------------------------------------------------------------------------

def load_parameter_file(source: str | Path, package: str | None = None) -> list[ParameterDeclaration]:
    """Read parameter declarations from a YAML file.

    ``load_parameter_file("parameters.yaml", __package__)`` reads a file that
    ships inside a plugin package. The format::

        document: 《关于加快推进标准强市建设的实施意见》(嘉兴, 2022)
        parameters:
          - key: reward_tiers.lead.national
            label: {zh: 牵头制定国家标准, en: Leading a national standard}
            unit: yuan                      # or {zh: …, en: …}
            type: money
            clause: 三(二)
            values:
              - {from: 2022-08-01, value: 300000, clause: 三(二)}

    Every value must name its clause (and, through ``document`` at the top or
    on the value, its document); a file without them does not load.
    """
    if package is not None:
        text = resources.files(package).joinpath(str(source)).read_text(encoding="utf-8")
        where = f"{package}/{source}"
    else:
        text = Path(source).read_text(encoding="utf-8")
        where = str(source)
    data = load_dated(text) or {}
    document = data.get("document")
    declarations = []
    for i, item in enumerate(data.get("parameters") or []):
        key = item.get("key") or f"#{i + 1}"
        ctx = f"{where}: parameter {key}"
        try:
            unknown = set(item) - _PARAMETER_KEYS
            if unknown:
                raise ValueError(f"unknown entries {sorted(unknown)}")
            unit = item.get("unit", "")
            unit_text = _UNITS[unit] if isinstance(unit, str) and unit in _UNITS else as_text(unit, where=f"{ctx}: unit")
            choices = _choices(item.get("choices"), ctx)
            value_type = parameter_type(item["type"])
            # The declaration without its values: what the type's field reads the bounds, unit and choices from.
            probe = ParameterDeclaration(
                key=item["key"], label=Text("-", "-"), unit=unit_text, type=item["type"], clause=item.get("clause") or "-",
                minimum=item.get("minimum"), maximum=item.get("maximum"), choices=choices, value_type=value_type,
            )
            defaults = []
            for value in item.get("values") or []:
                if set(value) - _VALUE_KEYS:
                    raise ValueError(f"unknown entries {sorted(set(value) - _VALUE_KEYS)} in a value")
                effective_from = value["from"]
                if not isinstance(effective_from, date):
                    raise ValueError(f"'from' must be a date (YYYY-MM-DD), got {effective_from!r}")
                checked = value_type.parse(probe, value["value"])
                defaults.append(DefaultValue(
                    effective_from=effective_from,
                    value=checked,
                    document=value.get("document", document) or "",
                    clause=value.get("clause", ""),
                ))
            declarations.append(ParameterDeclaration(
                key=item["key"],
                label=as_text(item.get("label"), where=f"{ctx}: label"),
                unit=unit_text,
                type=item["type"],
                clause=item.get("clause", ""),
                defaults=tuple(sorted(defaults, key=lambda d: d.effective_from)),
                description=as_text(item["description"], where=f"{ctx}: description") if item.get("description") else None,
                minimum=item.get("minimum"),
                maximum=item.get("maximum"),
                choices=choices,
                value_type=value_type,
            ))
        except (KeyError, ValueError, ValidationError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{ctx}: {detail}") from None
    return declarations


def _choices(given: Any, ctx: str) -> tuple[tuple[str, Text], ...]:
    """``choices: {code: {zh: …, en: …}, …}`` as ``((code, Text), …)``."""
    if given is None:
        return ()
    if not isinstance(given, dict) or not given:
        raise ValueError("choices: expected a mapping of codes to {zh: …, en: …}")
    return tuple((str(code), as_text(label, where=f"{ctx}: choice {code}")) for code, label in given.items())


# --------------------------------------------------------------------------
# Typed values (core.paramtypes: one registry of types)
# --------------------------------------------------------------------------

def _type_of(decl_or_type: ParameterDeclaration | ParameterType | str) -> ParameterType:
    if isinstance(decl_or_type, ParameterDeclaration):
        return decl_or_type.value_type
    if isinstance(decl_or_type, ParameterType):
        return decl_or_type
    return parameter_type(decl_or_type)


def value_field(decl: ParameterDeclaration) -> fields.Field:
    """The marshmallow field that validates a value of ``decl`` (its type's, bounded by the declaration)."""
    return decl.value_type.field(decl)


def version_schema(decl: ParameterDeclaration) -> Schema:
    """The schema a new version of ``decl`` must pass before it is stored.

    Fields: ``value`` (typed and bounded by the declaration),
    ``effective_from`` (a date), ``reason`` and ``reference`` (non-blank).
    The CLI and the admin both load submissions through it.
    """
    # Cached by identity, not by hash: a declaration whose shipped value is a list
    # (string_list) cannot be hashed. Keyed on the type too: two registries may
    # resolve one name to two types (tests). The entry keeps both alive, so ids are not reused.
    cached = _SCHEMAS.get((id(decl), id(decl.value_type)))
    if cached is None or cached[0] is not decl or cached[1] is not decl.value_type:
        cached = _SCHEMAS[id(decl), id(decl.value_type)] = (decl, decl.value_type,
                                                             _version_schema(decl, decl.value_type))
    return cached[2]


_SCHEMAS: dict[tuple[int, int], tuple[ParameterDeclaration, ParameterType, Schema]] = {}


def _version_schema(decl: ParameterDeclaration, value_type: ParameterType) -> Schema:
    not_blank = validate.Regexp(r"\s*\S", error="Must not be blank.")  # match() anchors at the start
    schema_cls = Schema.from_dict(
        {
            "value": value_type.field(decl),
            "effective_from": fields.Date(required=True),
            "reason": fields.String(required=True, validate=not_blank),
            "reference": fields.String(required=True, validate=not_blank),
        },
        name=f"ParameterVersion[{decl.key}]",
    )
    return schema_cls()


def encode_value(decl_or_type: ParameterDeclaration | ParameterType | str, value: Any) -> str:
    """Canonical text of a value for storage (exact: Decimal as a string), by its declaration or type."""
    decl = decl_or_type if isinstance(decl_or_type, ParameterDeclaration) else None
    return _type_of(decl_or_type).encode(decl, value)


def decode_value(decl_or_type: ParameterDeclaration | ParameterType | str, text: str) -> Any:
    """Inverse of ``encode_value``."""
    decl = decl_or_type if isinstance(decl_or_type, ParameterDeclaration) else None
    return _type_of(decl_or_type).decode(decl, text)


# --------------------------------------------------------------------------
# Versions and the value in force
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ParameterVersion:
    """One recorded value of a parameter. Never changed once recorded."""

    key: str
    value: Any
    effective_from: date
    reference: str
    reason: str = ""
    recorded_by: str = "system"
    recorded_at: datetime | None = None
    source: str = "default"
    #: Database id; ``None`` for shipped defaults used without a database
    #: and for what-if versions.
    id: int | None = None
    #: 1, 2, 3 … per key, in recording order (optimistic concurrency).
    sequence: int = 0

    def as_param_value(self) -> ParamValue:
        origin = "what-if" if self.source == "what-if" else "stored" if self.id is not None else "shipped"
        # A list (string_list) travels as a tuple: a ParamValue is hashed (one object per version, reads as a set).
        value = tuple(self.value) if isinstance(self.value, list) else self.value
        return ParamValue(self.key, value, self.effective_from, self.id, origin,
                          self.sequence if origin == "stored" else None)


_EARLIEST = datetime.min


class ParameterResolver:
    """Answers "which value of KEY was in force on DATE", and remembers what it answered.

    Built from declarations and versions (from the database, or the shipped
    defaults with ``from_defaults``). Lookups are cached per (key, date), so a
    batch of 100,000 activities costs one dict lookup per read.
    """

    def __init__(
        self,
        declarations: Mapping[str, ParameterDeclaration],
        versions: Iterable[ParameterVersion],
        *,
        believed_at: datetime | None = None,
    ) -> None:
        self.declarations = declarations
        self.believed_at = believed_at
        self._all: dict[str, list[ParameterVersion]] = {}
        for version in versions:
            self._all.setdefault(version.key, []).append(version)
        self._timeline: dict[str, tuple[list[date], list[ParameterVersion]]] = {}
        for key, history in self._all.items():
            history.sort(key=lambda v: (v.recorded_at or _EARLIEST, v.sequence, v.id or 0))
            believed = [v for v in history if believed_at is None or (v.recorded_at or _EARLIEST) <= believed_at]
            # Stable sort on effective date keeps recording order within a date,
            # so the version recorded later wins for the same effective date.
            believed.sort(key=lambda v: v.effective_from)
            self._timeline[key] = ([v.effective_from for v in believed], believed)
        self._cache: dict[tuple[str, date], ParamValue | None] = {}
        self._handed_out: dict[ParamValue, ParamValue] = {}
        #: Every value handed out, for the evaluation record.
        self.reads: set[ParamValue] = set()

    @classmethod
    def from_defaults(cls, declarations: Mapping[str, ParameterDeclaration]) -> ParameterResolver:
        """A resolver over the shipped values only (plain Python, no database)."""
        versions = [
            ParameterVersion(
                key=decl.key, value=d.value, effective_from=d.effective_from,
                reference=d.reference, reason="shipped default", sequence=i + 1,
            )
            for decl in declarations.values()
            for i, d in enumerate(decl.defaults)
        ]
        return cls(declarations, versions)

    def value(self, key: str, on: date) -> ParamValue | None:
        """The value of ``key`` in force on ``on``, or ``None`` if none is."""
        try:
            return self._cache[key, on]
        except KeyError:
            pass
        if key not in self.declarations:
            raise KeyError(f"unknown parameter {key!r}")
        dates, versions = self._timeline.get(key, ((), ()))
        i = bisect.bisect_right(dates, on)
        found = versions[i - 1].as_param_value() if i else None
        if found is not None:
            # One object per version for all the dates it covers: callers may
            # key caches on it cheaply (by identity).
            found = self._handed_out.setdefault(found, found)
            self.reads.add(found)
        self._cache[key, on] = found
        return found

    def history(self, key: str) -> list[ParameterVersion]:
        """Every version of ``key`` in recording order, believed or not."""
        if key not in self.declarations:
            raise KeyError(f"unknown parameter {key!r}")
        return list(self._all.get(key, ()))

    def current(self, key: str, on: date | None = None) -> ParameterVersion | None:
        """The full version record in force on ``on`` (default: today)."""
        on = on or clock.today()
        dates, versions = self._timeline.get(key, ((), ()))
        i = bisect.bisect_right(dates, on)
        return versions[i - 1] if i else None

    def with_versions(self, extra: Iterable[ParameterVersion]) -> ParameterResolver:
        """A what-if resolver: these versions added, as if recorded now.

        ``extra`` versions have no id and the source ``what-if``; outcomes
        computed with them say the value is proposed, not recorded.
        Nothing is stored. Used by the admin's preview and for what-if budgets.
        """
        now = datetime.max if self.believed_at is None else self.believed_at
        added = [replace(v, recorded_at=now, id=None, source="what-if") for v in extra]
        for version in added:
            if version.key not in self.declarations:
                raise KeyError(f"unknown parameter {version.key!r}")
        everything = [v for history in self._all.values() for v in history] + added
        return ParameterResolver(self.declarations, everything, believed_at=self.believed_at)
