"""The rows of a version: validated with the row schema, stored as canonical JSON, identified by key.

Every row of a new version goes through ``load_rows`` before anything is
stored: ``core.screening`` first (no control characters, lone surrogates or
oversized text anywhere, nested values included), then the table's row
schema; the key fields must be given and unique. All errors of all rows
are collected, each naming its row (as the file numbers it, or its
position) and field (``indicators.2.limit`` for a nested one), in both
languages; one error refuses the whole version (``RowsInvalid``).

A row is stored as the JSON its schema dumps, decimals and dates as text
(``dump_row``): exact, and read back to the same typed row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError
from marshmallow import fields as mfields

from ..activities import Location
from ..messages import Bilingual, FieldError, flatten_errors
from ..paramtypes import to_json
from ..screening import key_ok, screen
from ..text import Text
from .tables import ReferenceTable

__all__ = ["RowError", "RowsInvalid", "dump_row", "field_text", "key_text", "load_rows", "row_key"]

#: The most rows one version may hold (a list of a few hundred items is the largest expected).
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowError:
    """One problem of one row (``field`` ``None``: the row as a whole; ``row`` 0: the version as a whole)."""

    where: Location
    field: str | None
    message: str
    message_zh: str

    @property
    def row(self) -> int:
        return self.where.number

    def text(self, table: ReferenceTable, language: str = "zh") -> str:
        """``第3行 限定值:必须大于等于 0。`` / ``row 3, limit value: Must be …``."""
        zh = language.startswith("zh")
        where = self.where.text.get(language) if self.where.number else ("整个版本" if zh else "the version")
        message = self.message_zh if zh else self.message
        if self.field is None:
            return f"{where}:{message}" if zh else f"{where}: {message}"
        name = field_text(table, self.field).get(language)
        return f"{where} {name}:{message}" if zh else f"{where}, {name}: {message}"

    def to_json(self) -> dict[str, Any]:
        return {**self.where.to_json(), "field": self.field, "message": self.message, "message_zh": self.message_zh}


class RowsInvalid(ValueError):
    """Some rows of a new version are invalid: nothing is stored. ``errors`` names each row and field."""

    def __init__(self, table: ReferenceTable, errors: Sequence[RowError]) -> None:
        self.table = table
        self.errors = list(errors)
        first = errors[0].text(table, "en") if errors else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{table.key}: {first}{more}; nothing stored")


def _location(numbers: Sequence[Location] | None, index: int) -> Location:
    if numbers is not None and index < len(numbers):
        return numbers[index]
    return Location(index + 1)


def load_rows(table: ReferenceTable, raw_rows: Iterable[Mapping[str, Any]], *,
              where: Sequence[Location] | None = None) -> list[dict[str, Any]]:
    """The rows as the row schema loads them, in order; ``RowsInvalid`` with every error otherwise.

    :param where: where each row was (its file row and sheet); default: its position (1, 2, 3 …).
    """
    schema = table.row_schema
    multiline = frozenset(name for name in table.columns if table.field(name).metadata.get("multiline"))
    loaded: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[tuple[Any, ...], int] = {}
    rows = list(raw_rows)
    if not rows:
        errors.append(RowError(Location(0), None, "a version needs at least one row", "一个版本至少要有一行"))
    if len(rows) > MAX_ROWS:
        raise RowsInvalid(table, [RowError(Location(0), None, f"more than {MAX_ROWS:,} rows",
                                           f"超过 {MAX_ROWS:,} 行")])
    for index, raw in enumerate(rows):
        at = _location(where, index)
        if not isinstance(raw, Mapping):
            errors.append(RowError(at, None, "each row must be an object of fields", "每一行必须是由字段组成的对象"))
            continue
        problems = screen(raw if isinstance(raw, dict) else dict(raw), multiline)  # a RawRecord brings the reader's problems (cells beyond the header)
        raw = dict(raw)
        if problems:
            for name, messages in problems.items():
                for message in messages:
                    errors.append(_error(at, name, message))
            raw = {k: v for k, v in raw.items() if k not in problems and key_ok(k)}
        try:
            row = schema.load(raw, unknown=RAISE)
        except ValidationError as exc:
            exc.__traceback__ = None
            errors.extend(RowError(at, e.field, e.message, e.message_zh)
                          for e in _value_labels(table, flatten_errors(exc.messages))
                          if not problems or e.field not in problems)
            continue
        if problems:
            continue
        missing = [name for name in table.key_fields if row.get(name) in (None, "")]
        if missing:
            for name in missing:
                errors.append(_error(at, name, Bilingual("键字段不能为空(它标识这一行)",
                                                         "a key field must not be empty (it identifies the row)")))
            continue
        key = row_key(table, row)
        first = seen.setdefault(key, index)
        if first != index:
            other = _location(where, first).text
            errors.append(_error(at, None, Bilingual(
                f"与{other.zh}的键({key_text(table, key)})重复", f"the same key ({key_text(table, key)}) as {other.en}",
            )))
            continue
        loaded.append(row)
    if errors:
        raise RowsInvalid(table, errors)
    return loaded


def _error(at: Location, name: str | None, message: str) -> RowError:
    made = FieldError.make(name, message)
    return RowError(at, made.field, made.message, made.message_zh)


def _value_labels(table: ReferenceTable, errors: list[FieldError]) -> list[FieldError]:
    """"Must be one of: lower, higher." names the values by their labels in Chinese."""
    prefix = "Must be one of: "
    out = []
    for e in errors:
        f = _field_at(table, e.field) if e.field else None
        coded = (f.metadata.get("values") or {}) if f is not None else {}
        if coded and e.message.startswith(prefix):
            codes = e.message[len(prefix):].rstrip(".").split(", ")
            labels = [coded.get(code) for code in codes]
            if all(isinstance(label, Text) for label in labels):
                e = FieldError(e.field, e.message, f"必须是以下之一:{'、'.join(label.zh for label in labels)}。")  # type: ignore[union-attr]
        out.append(e)
    return out


def _field_at(table: ReferenceTable, path: str) -> mfields.Field | None:
    """The field a dotted error path (``indicators.2.limit``) names, looking inside lists and nested schemas."""
    found: Any = None
    fields_here: Mapping[str, mfields.Field] = table.schema._declared_fields
    for part in path.split("."):
        if part.isdigit():
            continue
        found = fields_here.get(part)
        if found is None:
            return None
        if isinstance(found, mfields.List) and isinstance(found.inner, mfields.Nested):
            fields_here = _nested_fields(found.inner)
        elif isinstance(found, mfields.Nested):
            fields_here = _nested_fields(found)
    return found


def _nested_fields(field: mfields.Nested) -> Mapping[str, mfields.Field]:
    nested = field.nested
    if callable(nested) and not isinstance(nested, type):
        nested = nested()
    if isinstance(nested, type) and issubclass(nested, Schema):
        return nested._declared_fields
    return getattr(nested, "fields", {}) or getattr(nested, "_declared_fields", {})


def field_text(table: ReferenceTable, path: str) -> Text:
    """How a user knows a (possibly nested) field: ``指标 › 第3项 › 限定值`` / ``Indicators › item 3 › Limit value``."""
    parts = path.split(".")
    zh: list[str] = []
    en: list[str] = []
    fields_here: Mapping[str, mfields.Field] = table.schema._declared_fields
    current: Any = None
    for part in parts:
        if part.isdigit():
            zh.append(f"第{int(part) + 1}项")
            en.append(f"item {int(part) + 1}")
            continue
        current = fields_here.get(part)
        label = current.metadata.get("label") if current is not None else None
        if isinstance(label, Text):
            zh.append(label.zh)
            en.append(label.en)
        else:
            zh.append(part)
            en.append(part)
        if isinstance(current, mfields.List) and isinstance(current.inner, mfields.Nested):
            fields_here = _nested_fields(current.inner)
        elif isinstance(current, mfields.Nested):
            fields_here = _nested_fields(current)
    return Text(" › ".join(zh), " › ".join(en))


def dump_row(table: ReferenceTable, row: Mapping[str, Any]) -> dict[str, Any]:
    """A loaded row as stored: the schema's dump, decimals and dates as text (exact)."""
    return to_json(table.row_schema.dump(row))


def row_key(table: ReferenceTable, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values of the key fields, which identify the row within a version."""
    return tuple(row.get(name) for name in table.key_fields)


def key_text(table: ReferenceTable, key: Sequence[Any]) -> str:
    """A key as users read it: ``GB 21256-2013 / 烧结``."""
    return " / ".join("" if v is None else str(to_json(v)) for v in key)


def key_json(table: ReferenceTable, key: Sequence[Any]) -> str:
    """A key as stored beside its row (canonical JSON of the key values)."""
    return json.dumps([to_json(v) for v in key], ensure_ascii=False, separators=(",", ":"))


def loads_stored(table: ReferenceTable, stored: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored rows as typed rows. Fields the schema no longer has are left out (a plugin update
    removed a column: the version keeps it in the database, evaluation does not see it)."""
    schema = table.row_schema
    return [schema.load(dict(row), unknown=EXCLUDE) for row in stored]
