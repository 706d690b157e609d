"""Compiled loaders: a kind's marshmallow schema without marshmallow's per-field overhead.

Why: ``Schema.load`` costs ~35 µs a record, most of it marshmallow's generic
machinery (a closure, an error store and a validator chain per field) around
a few type checks. Nearly every record of a register is valid, so the work is
split in two:

- ``compile_schema(schema)`` reads a bound schema once (per kind, lazily, by
  ``core.activities.ActivityValidator``) and writes a loader for it: the
  source of one straight-line function — per field, a type check and the
  validators' comparisons inline — compiled once (``exec``; the source is
  kept as ``loader.source``). A ``List``'s items go through an item
  function written before it from the same lines (``_field``), which
  declines by raising where the loader returns ``None``. Only the item
  functions, the hooks, the date and standard-number parsers, the
  ``_deserialize`` of core's credit-code, committee-code and money fields
  and the validators it does not inline are calls;
- the loader either returns *exactly* the dict ``schema.load(record)`` would
  return, or ``None``: it never makes an error message. On ``None`` (a record
  it does not fully understand, or any doubt: a wrong type, a failing
  validator, a hook that raises) the caller hands the record to marshmallow,
  so every message stays marshmallow's and the schema's own.

What is compiled, and why the result is the same:

- fields: ``String``, ``Integer``, ``Boolean``, ``Date`` (ISO), ``List`` of a
  compiled field, and core's ``FreeText`` (text it would not change),
  ``StandardNumberField``, ``CreditCodeField``,
  ``CommitteeCode``, ``Money`` and the envelope's id (exact classes only: a
  subclass may deserialize differently). Each accepts only the plain case —
  ``str`` for text (a number given as text goes to marshmallow), ``int`` for
  an integer, ``bool`` for a boolean, ``list`` for a list — and gives what
  the field's ``_deserialize`` gives for it (core's fields: by calling it, or
  the parser it calls). ``required``, ``load_default`` (called when callable),
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

from .fields import CreditCodeField, FreeText, LabelledOneOf, StandardNumberField, YesNo
from .kinds.schemas import CommitteeCode
from .paramtypes import Money
from .screening import MAX_INTEGER, MAX_TEXT, key_ok
from .standards import parse

__all__ = ["Loader", "compile_schema"]

log = logging.getLogger(__name__)

#: ``loader(record)``: the loaded dict, or ``None`` when marshmallow must decide.
Loader = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class _Decline(Exception):
    """Raised by an item function: the fast path does not accept this item, the loader returns None."""


class _Unsupported(Exception):
    """The schema uses something this module does not compile."""


def _boolean_outcomes(field: Any, attr: str) -> dict[bool, Any]:
    """What a Boolean field makes of ``True`` and ``False`` (a value it refuses is left out: marshmallow loads it)."""
    outcomes = {}
    for value in (True, False):
        try:
            outcomes[value] = field._deserialize(value, attr, None)
        except Exception:  # noqa: BLE001 - a boolean the field refuses goes to marshmallow
            pass
    return outcomes


def compile_schema(schema: Schema) -> Loader | None:
    """The loader of a bound schema, or ``None`` (logged) when it uses what is not compiled."""
    try:
        return _compile(schema)
    except _Unsupported as why:
        log.debug("%s is loaded by marshmallow alone: %s is not compiled", type(schema).__name__, why)
        return None


class _Source:
    """The source of a loader being written, and the objects its names refer to.

    ``lines`` is the body of ``load``; ``items`` the item functions of its
    lists, written before it (an inner list's before its outer one's).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.items: list[str] = []
        self.item_functions = 0
        self.names: dict[str, Any] = {"MISSING": missing, "MAX_TEXT": MAX_TEXT, "MAX_INTEGER": MAX_INTEGER,
                                      "fromisoformat": date.fromisoformat, "parse": parse, "Decline": _Decline}

    def name(self, prefix: str, value: Any) -> str:
        """A name in the loader's globals for ``value``."""
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def add(self, indent: int, *lines: str) -> None:
        self.lines.extend(" " * (4 * indent) + line for line in lines)

    def text(self) -> str:
        return "\n".join([*self.items, *self.lines])


#: How the generated lines decline a value: ``load`` returns None; an item
#: function raises, and ``load``'s ``except`` returns None.
_RETURN = "return None"
_RAISE = "raise Decline"

#: ``v`` is not what ``core.screening.screen`` lets through unchanged: printable text, a 64-bit integer.
_NOT_TEXT = "type(v) is not str or len(v) > MAX_TEXT or not v.isprintable()"
_NOT_INTEGER = "type(v) is not int or not -MAX_INTEGER <= v <= MAX_INTEGER"


def _field(src: _Source, field: Any, attr: str, decline: str) -> list[str]:
    """Lines turning the raw ``v`` (present, not None) into the loaded ``v``: conversion, then validators."""
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
        raise _Unsupported("a field-level pre_load/post_load function")
    return [*_conversion(src, field, attr, decline), *_checks(src, field.validators, decline)]


def _conversion(src: _Source, field: Any, attr: str, decline: str) -> list[str]:
    """Lines turning the raw ``v`` (present, not None) into what the field's ``_deserialize`` gives, or declining.

    Only the plain case is taken (``str`` for text, ``int`` for an integer,
    ``bool`` for a boolean, ``list`` for a list) and nothing
    ``core.screening.screen`` would refuse; anything else declines (the
    ``decline`` statement), and marshmallow decides.
    """
    from .activities import _Id  # core.activities imports this module

    cls = type(field)
    if cls is fields.String:
        return [f"if {_NOT_TEXT}: {decline}"]
    if cls is FreeText:  # printable text has no format character; its only whitespace is " ", kept off the ends
        return [f"if {_NOT_TEXT} or v[:1] == ' ' or v[-1:] == ' ': {decline}"]
    if cls is fields.Integer:
        return [f"if {_NOT_INTEGER}: {decline}"]
    if cls is fields.Date:
        if field.format not in ("iso", "iso8601"):
            raise _Unsupported(f"Date format {field.format!r}")
        # Date's "iso" format is exactly this call; its ValueError declines (load's except)
        return [f"if type(v) is not str or not v.isprintable(): {decline}", "v = fromisoformat(v)"]
    if cls is _Id:
        return ["if type(v) is int and -MAX_INTEGER <= v <= MAX_INTEGER: v = str(v)", f"elif {_NOT_TEXT}: {decline}"]
    if cls is StandardNumberField:  # what _deserialize does; InvalidStandardNumber declines (load's except)
        return [f"if {_NOT_TEXT}: {decline}", "v = parse(v)" if field.parsed else "v = parse(v).code"]
    if cls is fields.Boolean or cls is YesNo:  # a bool as it is; 是/否 and the rest go to marshmallow
        booleans = src.name("booleans", _boolean_outcomes(field, attr))
        return [f"if type(v) is not bool or v not in {booleans}: {decline}", f"v = {booleans}[v]"]
    if cls in (CreditCodeField, CommitteeCode, Money):  # core's own: their _deserialize, on plain values only
        deserialize = src.name("deserialize", field._deserialize)  # a ValidationError declines (load's except)
        return [f"if ({_NOT_TEXT}) and ({_NOT_INTEGER}): {decline}", f"v = {deserialize}(v, {attr!r}, None)"]
    if cls is fields.List:
        item = _item_function(src, field.inner, attr)
        return [f"if type(v) is not list: {decline}", f"v = [{item}(x) for x in v]"]
    raise _Unsupported(f"field type {cls.__module__}.{cls.__qualname__}")


def _item_function(src: _Source, field: Any, attr: str) -> str:
    """Write a function doing ``field.deserialize`` for one item of a list (null, conversion, validators); its name.

    The same lines as a top-level field's, declining by raising ``Decline``
    instead of returning None.
    """
    body = _field(src, field, attr, _RAISE)  # first: an inner list's item function goes before this one
    name = f"item{src.item_functions}"
    src.item_functions += 1
    src.items.extend([f"def {name}(v):  # an item of {attr!r}: {type(field).__name__}",
                      "    if v is None:", "        return None" if field.allow_none else f"        {_RAISE}",
                      *(f"    {line}" for line in body), "    return v", ""])
    return name


def _checks(src: _Source, validators: Any, decline: str) -> list[str]:
    """Lines declining unless the loaded ``v`` passes every validator."""
    lines = []
    for validator in validators:
        cls = type(validator)
        bounds = (getattr(validator, "min", None), getattr(validator, "max", None), getattr(validator, "equal", None))
        if cls is validate.Length and all(b is None or type(b) is int for b in bounds):
            low, high, equal = bounds
            if equal is not None:
                lines.append(f"if len(v) != {equal}: {decline}")
                continue
            if low:
                lines.append(f"if len(v) < {low}: {decline}")
            if high is not None:
                lines.append(f"if len(v) > {high}: {decline}")
        elif cls in (validate.OneOf, LabelledOneOf) and all(type(c) is str for c in validator.choices):
            choices = src.name("choices", frozenset(validator.choices))
            lines.append(f"if type(v) is not str or v not in {choices}: {decline}")  # str: set and tuple agree
        elif (cls is validate.Range and validator.min_inclusive and validator.max_inclusive
              and type(validator.min) is int and type(validator.max) is int):
            lines.append(f"if type(v) is not int or not {validator.min} <= v <= {validator.max}: {decline}")
        else:
            lines.append(f"if {src.name('validator', validator)}(v) is False: {decline}")  # an error declines
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
        src.add(4, *_field(src, field, data_key, _RETURN), f"data[{key!r}] = v")
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
    exec(compile(src.text(), f"<loader of {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
    load: Loader = namespace["load"]
    load.source = src.text()  # type: ignore[attr-defined]  # for a reader, and the tests
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
