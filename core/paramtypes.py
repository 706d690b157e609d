"""Parameter types: one registry for parsing, formatting, storing and editing a parameter's value.

Each value type a parameter may have (``ParameterDeclaration.type``) is a
``ParameterType``: the marshmallow field that parses and bounds a value
(from YAML, the command line's ``params set`` and the admin's form alike),
how a value reads in Chinese and in English, the admin's form widget, and
the exact JSON text a value is stored as. Core ships the types below;
a plugin adds its own through ``stdpolicy_register_parameter_types``.

Before this registry, four places switched on the type name (the YAML
loader, the admin's form, the admin's display and the command line's
display); a new type had to be added to each, and a plugin could add none.

``core`` stays light to import: WTForms is imported only when the admin
asks a type for its widget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError, fields, validate

from .fields import BoundedDecimal, YesNo
from .messages import Bilingual
from .text import Text, format_yuan_en, format_yuan_zh

if TYPE_CHECKING:
    from .declarations import ParameterDeclaration

__all__ = [
    "BUILTIN_PARAMETER_TYPES",
    "ParameterType",
    "known_types",
    "parameter_type",
    "types_in_use",
]

#: A type's name: lower_snake_case, like everything a plugin names.
TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

Pick = Callable[[Text], str]


# --------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------

#: An amount as written: a yuan sign, the number (commas; a fraction, which must come to whole yuan:
#: ``3.5万``, ``300000.00``), 万 and 元 if given. ``-`` before it is read to say "negative", not "not a number".
_WRITTEN_YUAN = re.compile(r"^(?P<sign>-)?\s*[¥￥]?\s*(?P<number>\d[\d,]*(?:\.\d{1,20})?)\s*(?P<wan>万)?\s*元?$")


class Money(fields.Field):
    """Integer yuan. Accepts an int or a string of digits (``"300000"``,
    ``"300,000"``), also as the policy and a clerk write amounts: with
    元 after it, in 万元 (``"30万元"``, ``"3.5万"``: 35,000, computed
    exactly) and after a yuan sign (``"¥300,000"``); refuses floats (a
    JSON ``300000.0`` too: text is exact, a float may not be), fractions
    of a yuan, booleans, negative amounts and amounts above ``MAX_YUAN``
    (which no policy pays, and which would not fit the databases' 64-bit
    integers once summed).
    """

    MAX_YUAN = 10**12

    default_error_messages = {
        "invalid": "Not a whole number of yuan.",
        "negative": "Must not be negative.",
        "too_large": "Number too large.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or isinstance(value, float):
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = value.replace("，", ",")  # a full-width comma, as a spreadsheet's integers may have (tabular)
        if isinstance(value, int):
            amount = value
        elif isinstance(value, str) and value.strip().replace(",", "").isdecimal():
            digits = value.strip().replace(",", "")
            self._check_length(digits)
            amount = int(digits)
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            amount = int(value)
        elif isinstance(value, str) and (written := _WRITTEN_YUAN.match(value.strip())) is not None:
            amount = self._written(written)
        else:
            raise self.make_error("invalid")
        if amount < 0:
            raise self.make_error("negative")
        if amount > self.MAX_YUAN:
            raise self.make_error("too_large")
        return amount

    def _written(self, written: re.Match[str]) -> int:
        """``-30万元`` and the like, as ``_WRITTEN_YUAN`` matched it: exact (a Decimal), or an error."""
        if written["sign"]:  # said before its size, as for a negative amount in plain digits
            raise self.make_error("negative")
        number = written["number"].replace(",", "")
        self._check_length(number.partition(".")[0])
        with localcontext() as exact:  # ≤ 13 + 20 digits, then × 10,000: never rounded
            exact.prec = 64
            amount = Decimal(number) * (10_000 if written["wan"] else 1)
        if amount != amount.to_integral_value():  # 3.00001万: not a whole yuan
            raise self.make_error("invalid")
        return int(amount)

    def _check_length(self, digits: str) -> None:
        """Refuse whole-yuan digits longer than ``MAX_YUAN``'s before converting them (int() refuses more than 4,300)."""
        if len(digits.lstrip("0")) > len(str(self.MAX_YUAN)):
            raise self.make_error("too_large")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class StrictInteger(fields.Integer):
    """An integer; a string of digits is accepted (the CLI passes strings), a float is not."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str):
            text = value.strip().replace(",", "")
            if text.lstrip("-").isdecimal() and len(text) <= 100:
                value = int(text)
        return super()._deserialize(value, attr, data, **kwargs)


class StringList(fields.List):
    """A list of strings; the CLI may pass ``"ZZB,ZNZ"``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.Length(min=1)), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


class ExactDecimal(BoundedDecimal):
    """A decimal number, never a float's approximation: ``"1.25"``, ``1.25`` (read as written), ``Decimal``.

    ``suffix`` (``%`` for percentages, a unit for quantities) may follow the
    number and is taken off; any other text after it is an error naming
    the expected unit.
    """

    def __init__(self, *, suffixes: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)
        self.suffixes = tuple(s for s in suffixes if s)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float):
            value = repr(value)  # the shortest text that reads back as this float: 0.1, not 0.1000000000000000055…
        if isinstance(value, str):
            text = value.strip().replace(",", "")
            for suffix in sorted(self.suffixes, key=len, reverse=True):
                if text.endswith(suffix):
                    text = text[: -len(suffix)].strip()
                    break
            else:
                if self.suffixes and re.search(r"[^\d.eE+\-\s]", text):
                    expected = " / ".join(self.suffixes)
                    raise ValidationError(Bilingual(f"单位不符:应为 {expected}", f"wrong unit: expected {expected}"))
            value = text
        return super()._deserialize(value, attr, data, **kwargs)


class Choice(fields.String):
    """One of the declared codes; its label (either language) is read as the code."""

    def __init__(self, choices: tuple[tuple[str, Text], ...], **kwargs: Any) -> None:
        self.choices = choices
        codes = [code for code, _ in choices]
        super().__init__(validate=validate.OneOf(codes), metadata={"values": dict(choices)}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        for code, label in self.choices:
            if text in (label.zh, label.en) or text.casefold() == code.casefold():
                return code
        return text


# --------------------------------------------------------------------------
# The type
# --------------------------------------------------------------------------

class ParameterType:
    """A parameter value type. Subclass it (or instantiate it with a ``field`` factory) and
    return instances from ``stdpolicy_register_parameter_types``.

    :param name: what a declaration's ``type`` says (``money``, ``quantity`` …).
    :param label: what the admin calls it (Chinese, English).
    :param field: ``field(decl, validators)`` → the marshmallow field that loads a
        value of ``decl``: from YAML, the command line (text) and the admin's form
        alike; refuses what is not a value of the type, naming the problem in
        both languages (``core.Bilingual``).

    The other methods have defaults that fit most types; override them where
    yours differs.
    """

    def __init__(self, name: str, label: Text, field: Callable[..., fields.Field] | None = None) -> None:
        if not TYPE_NAME.match(name):
            raise ValueError(f"parameter type {name!r}: use lower_snake_case")
        self.name = name
        self.label = label
        self._field = field

    def __repr__(self) -> str:
        return f"<ParameterType {self.name}>"

    def check(self, decl: ParameterDeclaration) -> None:
        """Refuse a declaration this type cannot serve (``ValueError``): called when the declaration is made."""

    # -- parsing -------------------------------------------------------------------

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        """The field that loads (parses and bounds) a value of ``decl``."""
        if self._field is None:
            raise NotImplementedError(f"parameter type {self.name!r} gives no field")
        return self._field(decl, self.bounds(decl))

    def bounds(self, decl: ParameterDeclaration) -> list[Any]:
        """The declaration's ``minimum`` and ``maximum`` as validators."""
        if decl.minimum is None and decl.maximum is None:
            return []
        return [validate.Range(min=decl.minimum, max=decl.maximum)]

    def parse(self, decl: ParameterDeclaration, raw: Any) -> Any:
        """A value of ``decl`` from what a user gave (YAML, the CLI's text); raises ``ValidationError``."""
        return self.field(decl).deserialize(raw)

    def cli_value(self, decl: ParameterDeclaration, text: str) -> Any:
        """What ``stdpolicy params set KEY VALUE`` hands the field for ``VALUE`` (default: the text)."""
        return text

    # -- storage -------------------------------------------------------------------

    def encode(self, decl: ParameterDeclaration | None, value: Any) -> str:
        """The canonical JSON text stored for ``value`` (exact: decimals and dates as strings)."""
        return json.dumps(to_json(value), ensure_ascii=False)

    def decode(self, decl: ParameterDeclaration | None, text: str) -> Any:
        """Inverse of ``encode``."""
        return json.loads(text)

    # -- showing -------------------------------------------------------------------

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        """``value`` as a reader of ``language`` (``zh`` or ``en``) reads it; ``—`` for none.

        The value may come typed or as stored in an outcome's JSON (a
        decimal as a string): the default shows it as it is.
        """
        if value is None:
            return "—"
        return str(value)

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        """A line of help about what a value of ``decl`` may be (the admin's form, ``params set``)."""
        return ""

    def cli_text(self, decl: ParameterDeclaration | None, value: Any) -> str:
        """``value`` as the command line prints it: plain, in English, the unit left to its column
        (what ``params set`` reads back). Default: the English formatting."""
        return self.format(decl, value, "en")

    # -- the admin's form ------------------------------------------------------------

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        """An unbound WTForms field for the value (default: a line of text).

        ``pick`` gives the UI language's half of a ``Text`` (for choices).
        """
        from wtforms import StringField
        from wtforms.validators import DataRequired

        return StringField(label, validators=[DataRequired()])

    def to_form(self, decl: ParameterDeclaration, value: Any) -> Any:
        """A stored value as the widget's initial data."""
        return value

    def from_form(self, decl: ParameterDeclaration, data: Any) -> Any:
        """What the widget submitted, as the field loads it (the field checks it again)."""
        return "" if data is None else data


def to_json(value: Any) -> Any:
    """A value as JSON holds it exactly: decimals and dates as text, lists item by item."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _grouped(number: Decimal) -> str:
    """``12345.60`` → ``12,345.60`` (exactly the digits held)."""
    sign, whole, point, fraction = "-" if number < 0 else "", *f"{abs(number):f}".partition(".")
    return f"{sign}{int(whole):,}{point}{fraction}"


class _Money(ParameterType):
    def __init__(self) -> None:
        super().__init__("money", Text("金额(元)", "amount in yuan"))

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return Money(required=True, validate=self.bounds(decl))

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        if value is None:
            return "—"
        if not isinstance(value, int) or isinstance(value, bool):
            return str(value)
        if language.startswith("zh") and value and value % 100 == 0 and abs(value) >= 10000:
            return f"{format_yuan_en(value)}({format_yuan_zh(value)})"
        return format_yuan_en(value)

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        return ("整数元,如 300000、300,000 或 30万元" if language.startswith("zh")
                else "whole yuan, e.g. 300000, 300,000 or 30万元")

    def cli_text(self, decl: ParameterDeclaration | None, value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else self.format(decl, value, "en")

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        # A text box, not a number box: an amount is typed as the policy writes it (35万元, 350,000),
        # which a browser's number input would refuse before Money could read it.
        from wtforms import StringField
        from wtforms.validators import InputRequired

        return StringField(label, validators=[InputRequired(), _loads_with(self.field(decl), pick)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})


class _Integer(ParameterType):
    def __init__(self, name: str, label: Text, minimum: int | None = None) -> None:
        super().__init__(name, label)
        self.minimum = minimum

    def bounds(self, decl: ParameterDeclaration) -> list[Any]:
        low = decl.minimum if decl.minimum is not None else self.minimum
        if self.minimum is not None and low is not None:
            low = max(low, self.minimum)
        if low is None and decl.maximum is None:
            return []
        return [validate.Range(min=low, max=decl.maximum)]

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return StrictInteger(required=True, validate=self.bounds(decl))

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return super().format(decl, value, language)

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        low = decl.minimum if decl.minimum is not None else self.minimum
        return _integer_widget(label, low, decl.maximum)


def _loads_with(field: fields.Field, pick: Pick) -> Callable[[Any, Any], None]:
    """A form validator giving ``field``'s own refusal (in the UI language) for what the schema would refuse."""
    from wtforms.validators import ValidationError as FormError

    from .messages import flatten_errors

    def check(form: Any, widget: Any) -> None:
        if widget.data in (None, ""):
            return  # InputRequired has said so
        try:
            field.deserialize(widget.data)
        except ValidationError as exc:
            problems = flatten_errors(exc.messages)
            raise FormError(" ".join(pick(Text(p.message_zh, p.message)) for p in problems)) from None

    return check


def _integer_widget(label: Any, minimum: Any, maximum: Any) -> Any:
    from wtforms import IntegerField
    from wtforms.validators import InputRequired
    from wtforms.widgets import NumberInput

    return IntegerField(label, validators=[InputRequired(), *_ranges(minimum, maximum)], widget=NumberInput(step=1))


def _ranges(minimum: Any, maximum: Any) -> list[Any]:
    if minimum is None and maximum is None:
        return []
    from wtforms.validators import NumberRange

    class _Range(NumberRange):
        """The declared bounds; silent when the value did not parse (that error is shown already)."""

        def __call__(self, form: Any, field: Any) -> None:
            if field.data is None:
                return
            super().__call__(form, field)

    return [_Range(min=minimum, max=maximum)]


class _Decimal(ParameterType):
    """A decimal number; ``suffix`` (``%``, a unit) may be written after it."""

    def __init__(self, name: str, label: Text) -> None:
        super().__init__(name, label)

    def suffixes(self, decl: ParameterDeclaration) -> tuple[str, ...]:
        return ()

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return ExactDecimal(required=True, validate=self.bounds(decl), suffixes=self.suffixes(decl))

    def decode(self, decl: ParameterDeclaration | None, text: str) -> Any:
        value = json.loads(text)
        try:
            return Decimal(value)
        except (InvalidOperation, TypeError):
            raise ValueError(f"stored decimal {text!r} is not a number") from None

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        number = _decimal(value) if value is not None else None
        if number is None:
            return super().format(decl, value, language)
        return _grouped(number)

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        from wtforms import DecimalField
        from wtforms.validators import InputRequired
        from wtforms.widgets import NumberInput

        return DecimalField(label, validators=[InputRequired(), *_ranges(decl.minimum, decl.maximum)], places=None,
                            widget=NumberInput(step="any"))


class _Percentage(_Decimal):
    """Percent points: ``12.5`` (or ``12.5%``) is 12.5 %, stored as the decimal ``"12.5"``."""

    def suffixes(self, decl: ParameterDeclaration) -> tuple[str, ...]:
        return ("%", "%")

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        text = super().format(decl, value, language)
        return text if text == "—" or _decimal(value) is None else f"{text}%"

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        return "百分数,如 12.5 表示 12.5%" if language.startswith("zh") else "percent, e.g. 12.5 for 12.5 %"


class _Quantity(_Decimal):
    """A physical quantity in the declaration's unit (``kgce/t``, ``tCO2e`` …); the unit may be written after it."""

    def suffixes(self, decl: ParameterDeclaration) -> tuple[str, ...]:
        return tuple({decl.unit.en, decl.unit.zh} - {""})

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        text = super().format(decl, value, language)
        if decl is None or text == "—" or _decimal(value) is None or not decl.unit.en:
            return text
        return f"{text} {decl.unit.get(language)}"

    def cli_text(self, decl: ParameterDeclaration | None, value: Any) -> str:
        return _Decimal.format(self, decl, value, "en")

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        unit = decl.unit.get(language)
        return f"数值,单位 {unit}" if language.startswith("zh") else f"a number in {unit}"


class _Date(ParameterType):
    def __init__(self) -> None:
        super().__init__("date", Text("日期", "date"))

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return fields.Date(required=True, validate=self.bounds(decl))

    def parse(self, decl: ParameterDeclaration, raw: Any) -> Any:
        return self.field(decl).deserialize(raw.isoformat() if isinstance(raw, date) else raw)

    def decode(self, decl: ParameterDeclaration | None, text: str) -> Any:
        return date.fromisoformat(json.loads(text))

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        return value.isoformat() if isinstance(value, date) else super().format(decl, value, language)

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        from wtforms import DateField
        from wtforms.validators import InputRequired

        return DateField(label, format="%Y-%m-%d", validators=[InputRequired()])

    def from_form(self, decl: ParameterDeclaration, data: Any) -> Any:
        return data.isoformat() if isinstance(data, date) else (data or "")


class _Choice(ParameterType):
    def __init__(self) -> None:
        super().__init__("choice", Text("选项", "choice"))

    def check(self, decl: ParameterDeclaration) -> None:
        if not decl.choices:
            raise ValueError("a choice needs its choices (choices: {code: {zh: …, en: …}})")

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return Choice(decl.choices, required=True)

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        if decl is not None:
            for code, label in decl.choices:
                if code == value:
                    return label.get(language)
        return super().format(decl, value, language)

    def cli_text(self, decl: ParameterDeclaration | None, value: Any) -> str:
        return super().format(decl, value, "en")

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        options = ", ".join(f"{code} ({label.get(language)})" for code, label in decl.choices)
        return f"可选:{options}" if language.startswith("zh") else f"one of: {options}"

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        from wtforms import SelectField
        from wtforms.validators import InputRequired

        return SelectField(label, choices=lambda: [(code, pick(text)) for code, text in decl.choices],
                           validators=[InputRequired()])


class _Boolean(ParameterType):
    def __init__(self) -> None:
        super().__init__("boolean", Text("是或否", "yes or no"))

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return YesNo(required=True)

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        if isinstance(value, bool):
            return ("是" if value else "否") if language.startswith("zh") else ("Yes" if value else "No")
        return super().format(decl, value, language)

    def cli_text(self, decl: ParameterDeclaration | None, value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else self.format(decl, value, "en")

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        from wtforms import BooleanField

        return BooleanField(label)

    def from_form(self, decl: ParameterDeclaration, data: Any) -> Any:
        return bool(data)


class _String(ParameterType):
    def __init__(self) -> None:
        super().__init__("string", Text("文字", "text"))

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return fields.String(required=True, validate=validate.Length(min=1))


class _StringList(ParameterType):
    """A list of texts; ``minimum`` and ``maximum`` bound how many. Without a minimum the list may be
    empty (a series with no code confirmed yet): the admin's field may then be left blank."""

    def __init__(self) -> None:
        super().__init__("string_list", Text("文字列表", "list of texts"))

    def check(self, decl: ParameterDeclaration) -> None:
        for bound in (decl.minimum, decl.maximum):
            if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool) or bound < 0):
                raise ValueError(f"a string_list's minimum and maximum count its entries: {bound!r} is not a count")

    def bounds(self, decl: ParameterDeclaration) -> list[Any]:
        if decl.minimum is None and decl.maximum is None:
            return []
        return [validate.Length(min=decl.minimum, max=decl.maximum)]

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return StringList(required=True, validate=self.bounds(decl))

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        if isinstance(value, (list, tuple)):
            if not value:  # an empty cell reads as a value missing; the list is empty on purpose
                return "无" if language.startswith("zh") else "none"
            return ", ".join(str(v) for v in value)
        return super().format(decl, value, language)

    def describe(self, decl: ParameterDeclaration, language: str = "zh") -> str:
        if language.startswith("zh"):
            return "多个值以逗号分隔" + ("" if decl.minimum else ";留空表示无")
        return "several values separated by commas" + ("" if decl.minimum else "; leave it blank for none")

    def widget(self, decl: ParameterDeclaration, label: Any, pick: Pick) -> Any:
        from wtforms import StringField
        from wtforms.validators import DataRequired

        # Blank is an empty list where the declaration allows one; the preview shows its effect first.
        return StringField(label, validators=[DataRequired()] if decl.minimum else [])

    def to_form(self, decl: ParameterDeclaration, value: Any) -> Any:
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value


#: The types core ships, by name.
BUILTIN_PARAMETER_TYPES: dict[str, ParameterType] = {
    t.name: t
    for t in (
        _Money(),
        _Integer("integer", Text("整数", "whole number")),
        _Integer("count", Text("数量(个数)", "count"), minimum=0),
        _Decimal("decimal", Text("小数", "decimal number")),
        _Percentage("percentage", Text("百分比", "percentage")),
        _Quantity("quantity", Text("带单位的数量", "quantity with a unit")),
        _Date(),
        _Choice(),
        _Boolean(),
        _String(),
        _StringList(),
    )
}

# The types known while a plugin's declarations are collected: core's, the
# plugins' loaded before, and the plugin's own (``Registry`` sets it), so
# that ``load_parameter_file`` and ``ParameterDeclaration`` resolve a
# plugin's type names as it declares them.
_known: ContextVar[Mapping[str, ParameterType] | None] = ContextVar("stdpolicy_parameter_types", default=None)


def known_types() -> Mapping[str, ParameterType]:
    """The parameter types a declaration made now may use."""
    return _known.get() or BUILTIN_PARAMETER_TYPES


@contextmanager
def types_in_use(types: Mapping[str, ParameterType]) -> Iterator[None]:
    """Within the block, declarations resolve type names in ``types`` (used by ``Registry``)."""
    token = _known.set(types)
    try:
        yield
    finally:
        _known.reset(token)


def parameter_type(name: str) -> ParameterType:
    """The type called ``name`` among the known ones; ``ValueError`` naming the known ones otherwise."""
    found = known_types().get(name)
    if found is None:
        raise ValueError(f"unknown parameter type {name!r} (known: {', '.join(sorted(known_types()))})")
    return found
