"""Compiled loaders: a kind's marshmallow schema without marshmallow's per-field overhead.

Why: ``Schema.load`` costs ~35 µs a record, most of it marshmallow's generic
machinery (a closure, an error store and a validator chain per field) around
a few type checks. Nearly every record of a register is valid, so the work is
split in two:

- ``compile_schema(schema)`` reads a bound schema once (per kind, lazily, by
  ``core.activities.ActivityValidator``) and writes a loader for it: the
  source of one straight-line function — per field, a type check and the
  validators' comparisons inline — compiled once (``exec``; the source is
  kept as ``loader.source``). Only the hooks, core's own fields and
  validators it does not inline are calls;
- the loader either returns *exactly* the dict ``schema.load(record)`` would
  return, or ``None``: it never makes an error message. On ``None`` (a record
  it does not fully understand, or any doubt: a wrong type, a failing
  validator, a hook that raises) the caller hands the record to marshmallow,
  so every message stays marshmallow's and the schema's own.

What is compiled, and why the result is the same:

- fields: ``String``, ``Integer``, ``Boolean``, ``Date`` (ISO), ``List`` of a
  compiled field, and core's ``StandardNumberField``, ``CreditCodeField``,
  ``CommitteeCode``, ``Money`` and the envelope's id (exact classes only: a
  subclass may deserialize differently). Each accepts only the plain case —
  ``str`` for text (a number given as text goes to marshmallow), ``int`` for
  an integer, ``bool`` for a boolean — and gives what the field's
  ``_deserialize`` gives for it (core's fields: by calling it, or the parser
  it calls). ``required``, ``load_default`` (called when callable),
  ``allow_none``, ``data_key`` and ``attribute`` behave as in
  ``Schema._deserialize``; a key no field loads is marshmallow's "Unknown
  field." error, so the loader declines;
- validators: ``Length``, ``Range``, ``OneOf`` (and ``LabelledOneOf``) are
  inlined; any other validator is called as marshmallow calls it, and an
  exception or ``False`` declines;
- the schema's hooks run as ``Schema._do_load`` runs them, in the same order
  on the same dict: ``@validates`` methods, ``@validates_schema`` methods
  (through marshmallow's own ``_invoke_schema_validators``), ``@post_load``
  methods. Whatever they raise declines the record.

A schema with anything else — another field type (``Nested``, ``Decimal``, a
plugin's own field), a field-level pre/post-load function, a ``@pre_load``
hook, ``unknown`` other than ``RAISE``, a dotted attribute — is not compiled
(``compile_schema`` returns ``None`` and logs why at debug level): all its
records go through marshmallow, so plugins' custom schemas keep working.

The loader also declines any value ``core.screening.screen`` would refuse
(a non-printable or over-long string, an integer beyond 64 bits, a float),
so a record it accepts needs no screening. tests/test_fastcheck.py compares
both paths on fuzzed records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, fields, missing, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.error_store import ErrorStore

from .fields import CreditCodeField, LabelledOneOf, StandardNumberField
from .kinds.schemas import CommitteeCode
from .paramtypes import Money
from .screening import MAX_INTEGER, MAX_TEXT, key_ok
from .standards import parse

__all__ = ["Loader", "compile_schema"]

log = logging.getLogger(__name__)

#: ``loader(record)``: the loaded dict, or ``None`` when marshmallow must decide.
Loader = Callable[[dict[str, Any]], "dict[str, Any] | None"]
#: One field's converter: the loaded value of a present, non-null raw value; raises to decline.
_Convert = Callable[[Any], Any]


class _Decline(Exception):
    """The fast path does not accept this value: marshmallow decides."""


class _Unsupported(Exception):
    """The schema uses something this module does not compile."""


def _text(value: Any) -> str:
    if type(value) is str and value.isprintable() and len(value) <= MAX_TEXT:
        return value
    raise _Decline


def _integer(value: Any) -> int:
    if type(value) is int and -MAX_INTEGER <= value <= MAX_INTEGER:
        return value
    raise _Decline


def _iso_date(value: Any) -> date:
    if type(value) is str and value.isprintable():
        return date.fromisoformat(value)  # Date's "iso" format is exactly this call; ValueError declines
    raise _Decline


def _plain(value: Any) -> Any:
    """A raw value screening lets through unchanged: printable text or a 64-bit integer."""
    t = type(value)
    if (t is str and value.isprintable() and len(value) <= MAX_TEXT) or (t is int and -MAX_INTEGER <= value <= MAX_INTEGER):
        return value
    raise _Decline


def _boolean_outcomes(field: Any, attr: str) -> dict[bool, Any]:
    """What a Boolean field makes of ``True`` and ``False`` (a value it refuses is left out: marshmallow loads it)."""
    outcomes = {}
    for value in (True, False):
        try:
            outcomes[value] = field._deserialize(value, attr, None)
        except Exception:  # noqa: BLE001 - a boolean the field refuses goes to marshmallow
            pass
    return outcomes


def _leaf(field: Any, attr: str) -> _Convert:
    """The converter of a field's ``_deserialize`` for the plain values it accepts."""
    from .activities import _Id  # core.activities imports this module

    cls = type(field)
    if cls is fields.String:
        return _text
    if cls is fields.Integer:
        return _integer
    if cls is fields.Boolean:
        outcomes = _boolean_outcomes(field, attr)

        def boolean(value: Any) -> Any:
            if type(value) is bool and value in outcomes:
                return outcomes[value]
            raise _Decline
        return boolean
    if cls is fields.Date:
        if field.format not in ("iso", "iso8601"):
            raise _Unsupported(f"Date format {field.format!r}")
        return _iso_date
    if cls is _Id:
        def record_id(value: Any) -> str:
            t = type(value)
            if t is str and value.isprintable() and len(value) <= MAX_TEXT:
                return value
            if t is int and -MAX_INTEGER <= value <= MAX_INTEGER:
                return str(value)
            raise _Decline
        return record_id
    if cls is StandardNumberField:
        parsed = field.parsed

        def standard_number(value: Any) -> Any:
            number = parse(_text(value))  # what _deserialize does; InvalidStandardNumber declines
            return number if parsed else number.code
        return standard_number
    if cls in (CreditCodeField, CommitteeCode, Money):
        deserialize = field._deserialize

        def delegated(value: Any) -> Any:
            return deserialize(_plain(value), attr, None)
        return delegated
    if cls is fields.List:
        inner = _field(field.inner, attr)

        def listed(value: Any) -> list[Any]:
            if type(value) is not list:
                raise _Decline
            return [inner(item) for item in value]
        return listed
    raise _Unsupported(f"field type {cls.__module__}.{cls.__qualname__}")


def _check(validator: Any) -> Callable[[Any], bool]:
    """A validator as a predicate (``False``: decline)."""
    cls = type(validator)
    if cls is validate.Length:
        low, high, equal = validator.min, validator.max, validator.equal
        if equal is not None:
            return lambda v: len(v) == equal
        low = 0 if low is None else low
        high = float("inf") if high is None else high
        return lambda v: low <= len(v) <= high
    if cls in (validate.OneOf, LabelledOneOf) and all(type(c) is str for c in validator.choices):
        choices = frozenset(validator.choices)
        return lambda v: type(v) is str and v in choices  # the fields feeding it give str: set and tuple agree
    if cls is validate.Range and validator.min_inclusive and validator.max_inclusive:
        low, high = validator.min, validator.max
        if low is not None and high is not None:
            return lambda v: type(v) is int and low <= v <= high

    def called(value: Any) -> bool:
        return validator(value) is not False  # what marshmallow calls; an error declines
    return called


def _field(field: fields.Field, attr: str) -> _Convert:
    """The whole of ``Field.deserialize`` for a present value: null, conversion, validators."""
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
        raise _Unsupported("a field-level pre_load/post_load function")
    convert = _leaf(field, attr)
    checks = tuple(_check(v) for v in field.validators)
    allow_none = field.allow_none

    if not checks:
        def plain(value: Any) -> Any:
            if value is None:
                if allow_none:
                    return None
                raise _Decline
            return convert(value)
        return plain
    if len(checks) == 1:
        (check,) = checks

        def checked(value: Any) -> Any:
            if value is None:
                if allow_none:
                    return None
                raise _Decline
            out = convert(value)
            if check(out):
                return out
            raise _Decline
        return checked

    def validated(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise _Decline
        out = convert(value)
        for check in checks:
            if not check(out):
                raise _Decline
        return out
    return validated


def compile_schema(schema: Schema) -> Loader | None:
    """The loader of a bound schema, or ``None`` (logged) when it uses what is not compiled."""
    try:
        return _compile(schema)
    except _Unsupported as why:
        log.debug("%s is loaded by marshmallow alone: %s is not compiled", type(schema).__name__, why)
        return None


class _Source:
    """The source of a loader being written, and the objects its names refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"MISSING": missing, "MAX_TEXT": MAX_TEXT, "MAX_INTEGER": MAX_INTEGER,
                                      "fromisoformat": date.fromisoformat, "parse": parse}

    def name(self, prefix: str, value: Any) -> str:
        """A name in the loader's globals for ``value``."""
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def add(self, indent: int, *lines: str) -> None:
        self.lines.extend(" " * (4 * indent) + line for line in lines)


_TEXT_CHECK = "if type(v) is not str or len(v) > MAX_TEXT or not v.isprintable(): return None"
_INTEGER_CHECK = "if type(v) is not int or not -MAX_INTEGER <= v <= MAX_INTEGER: return None"


def _conversion(src: _Source, field: Any, attr: str) -> list[str]:
    """Lines turning the raw ``v`` (present, not None) into the loaded ``v``, or returning None."""
    from .activities import _Id  # core.activities imports this module

    cls = type(field)
    if cls is fields.String:
        return [_TEXT_CHECK]
    if cls is fields.Integer:
        return [_INTEGER_CHECK]
    if cls is fields.Date:
        if field.format not in ("iso", "iso8601"):
            raise _Unsupported(f"Date format {field.format!r}")
        # Date's "iso" format is exactly this call; its ValueError declines
        return ["if type(v) is not str or not v.isprintable(): return None", "v = fromisoformat(v)"]
    if cls is _Id:
        return ["if type(v) is int and -MAX_INTEGER <= v <= MAX_INTEGER: v = str(v)",
                "elif type(v) is not str or len(v) > MAX_TEXT or not v.isprintable(): return None"]
    if cls is StandardNumberField:
        return [_TEXT_CHECK, "v = parse(v)" if field.parsed else "v = parse(v).code"]
    if cls is fields.Boolean:
        outcomes = _boolean_outcomes(field, attr)
        booleans = src.name("booleans", outcomes)
        return [f"if type(v) is not bool or v not in {booleans}: return None", f"v = {booleans}[v]"]
    convert = src.name("convert", _leaf(field, attr))  # raises _Decline: the loader's except returns None
    return [f"v = {convert}(v)"]


def _checks(src: _Source, validators: Any) -> list[str]:
    """Lines returning None unless the loaded ``v`` passes every validator."""
    lines = []
    for validator in validators:
        cls = type(validator)
        bounds = (getattr(validator, "min", None), getattr(validator, "max", None), getattr(validator, "equal", None))
        if cls is validate.Length and all(b is None or type(b) is int for b in bounds):
            low, high, equal = bounds
            if equal is not None:
                lines.append(f"if len(v) != {equal}: return None")
                continue
            if low:
                lines.append(f"if len(v) < {low}: return None")
            if high is not None:
                lines.append(f"if len(v) > {high}: return None")
        elif cls in (validate.OneOf, LabelledOneOf) and all(type(c) is str for c in validator.choices):
            choices = src.name("choices", frozenset(validator.choices))
            lines.append(f"if type(v) is not str or v not in {choices}: return None")  # str: set and tuple agree
        elif (cls is validate.Range and validator.min_inclusive and validator.max_inclusive
              and type(validator.min) is int and type(validator.max) is int):
            lines.append(f"if type(v) is not int or not {validator.min} <= v <= {validator.max}: return None")
        else:
            lines.append(f"if {src.name('validator', validator)}(v) is False: return None")  # an error declines
    return lines


def _compile(schema: Schema) -> Loader:
    if schema.many or schema.partial or schema.unknown != RAISE or schema.dict_class is not dict:
        raise _Unsupported("many, partial, unknown or dict_class")
    if schema._hooks[PRE_LOAD]:
        raise _Unsupported("a @pre_load hook")
    src = _Source()
    src.add(0, "def load(record):", "    try:")
    src.add(2, "get = record.get", "data = {}", "present = 0")
    data_keys = set()
    for attr, field in schema.load_fields.items():  # in order: the result's key order
        data_key = field.data_key if field.data_key is not None else attr
        key = field.attribute or attr
        if "." in key or not key_ok(data_key) or data_key in data_keys:
            raise _Unsupported(f"the key {data_key!r}")
        if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
            raise _Unsupported("a field-level pre_load/post_load function")
        data_keys.add(data_key)
        src.add(2, f"v = get({data_key!r}, MISSING)", "if v is MISSING:")
        if field.required:
            src.add(3, "return None")
        elif field.load_default is missing:
            src.add(3, "pass")
        elif callable(field.load_default):
            src.add(3, f"data[{key!r}] = {src.name('default', field.load_default)}()")
        else:
            src.add(3, f"data[{key!r}] = {src.name('default', field.load_default)}")
        src.add(2, "else:", "    present += 1", "    if v is None:")
        src.add(4, f"data[{key!r}] = None" if field.allow_none else "return None")
        src.add(3, "else:")
        src.add(4, *_conversion(src, field, data_key), *_checks(src, field.validators), f"data[{key!r}] = v")
    src.add(2, "if present != len(record): return None  # a key no field loads: \"Unknown field.\"")
    for attr_name, _, kwargs in schema._hooks[VALIDATES]:
        validator = src.name("validates", getattr(schema, attr_name))
        for name in kwargs["field_names"]:
            target = schema.fields.get(name)
            if target is None:
                if name in schema.declared_fields:
                    continue
                raise _Unsupported(f"@validates of an unknown field {name!r}")
            key = target.attribute or name
            data_key = target.data_key if target.data_key is not None else name
            src.add(2, f"if {key!r} in data and {validator}(data[{key!r}], data_key={data_key!r}) is MISSING: return None")
    if schema._hooks[VALIDATES_SCHEMA]:
        src.add(2, f"if not {src.name('schema_valid', _schema_validators(schema))}(data, record): return None")
    for collection in (True, False):
        for attr_name, hook_many, kwargs in schema._hooks[POST_LOAD]:
            if hook_many != collection:
                continue
            processor = src.name("post_load", getattr(schema, attr_name))
            original = "record, " if kwargs.get("pass_original") else ""
            src.add(2, f"data = {processor}(data, {original}many=False, partial={schema.partial!r}, unknown={schema.unknown!r})")
    src.add(2, "return data")
    src.add(1, "except Exception:  # any doubt: marshmallow decides, and raises what it raises", "    return None")
    namespace = dict(src.names)
    exec(compile("\n".join(src.lines), f"<loader of {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
    load: Loader = namespace["load"]
    load.source = "\n".join(src.lines)  # type: ignore[attr-defined]  # for a reader, and the tests
    return load


def _schema_validators(schema: Schema) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """Whether the ``@validates_schema`` methods pass, run by marshmallow's own ``_invoke_schema_validators``."""
    partial, unknown = schema.partial, schema.unknown

    def valid(data: dict[str, Any], record: dict[str, Any]) -> bool:
        store = ErrorStore()
        for collection in (True, False):
            schema._invoke_schema_validators(
                error_store=store, pass_collection=collection, data=data, original_data=record,
                many=False, partial=partial, unknown=unknown, field_errors=False)
        return not store.errors
    return valid
