"""Marshmallow fields and field metadata for plugins' activity schemas.

Core reads three metadata entries of a schema field: ``label`` (the column
header in files and the admin, ``Text``), ``values`` (the label of each coded
value, ``{"national": Text(…)}``) and ``multiline`` (the field may hold line
breaks and tabs). ``field_metadata`` writes them without typos::

    rank = fields.Integer(required=True, metadata=field_metadata(Text("起草单位排名", "Rank")))

The fields below parse what several policy areas read — standard numbers
and unified social credit codes — and fail with messages in both languages;
``FreeText`` loads names and titles as they read (``visible_text``, trimmed);
``BoundedDecimal`` loads a measured or declared number of a size a register holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import fields, validate

from .messages import Bilingual, field_error
from .standards import InvalidStandardNumber, StandardNumber, parse
from .text import Text, visible_text
from .uscc import InvalidCreditCode, validate_credit_code

__all__ = ["BoundedDecimal", "CreditCodeField", "FreeText", "LabelledOneOf", "StandardNumberField", "YesNo", "field_metadata"]


def field_metadata(label: Text, values: Mapping[str, Text] | None = None, *, multiline: bool = False) -> dict[str, Any]:
    """The ``metadata`` of a schema field: its label, its coded values' labels, whether it is multi-line.

    :param label: the field's name for users, Chinese and English; file
        headers may use either (``起草单位排名`` or ``Rank among the drafting units``).
    :param values: for a field holding codes (``validate.OneOf``), each code's
        label: files may give the label instead of the code (``省级`` → ``provincial``),
        and pages show the label.
    :param multiline: allow line feeds, carriage returns and tabs (refused in
        every other field, see the README's "What is refused").
    """
    if not isinstance(label, Text):
        raise TypeError(f"field label must be a Text (Chinese, English), got {label!r}")
    for code, text in (values or {}).items():
        if not isinstance(text, Text):
            raise TypeError(f"label of value {code!r} must be a Text, got {text!r}")
    metadata: dict[str, Any] = {"label": label, "values": dict(values or {})}
    if multiline:
        metadata["multiline"] = True
    return metadata


class LabelledOneOf(validate.OneOf):
    """``validate.OneOf`` whose Chinese message names the choices by their labels.

    ``Must be one of: first, second, third, organization.`` in English (the
    codes a file or the API gives); ``必须是以下之一:一等奖、二等奖、三等奖、组织奖。``
    in Chinese, wherever the schema is loaded (not only through the
    registry's validation, which relabels plain ``OneOf`` messages itself).
    """

    def __init__(self, labels: Mapping[str, Text]) -> None:
        super().__init__(tuple(labels))
        #: Each code's label (marshmallow's own ``labels`` is a sequence of strings).
        self.names: dict[str, Text] = dict(labels)

    def _format_error(self, value: Any) -> str:
        names = "、".join(label.zh for label in self.names.values())
        return Bilingual(f"必须是以下之一:{names}。", super()._format_error(value))


class FreeText(fields.String):
    """Text a person types or pastes (a name, a title, a project), loaded as it reads.

    Surrounding whitespace (full-width and no-break spaces too) and the
    format characters that show nothing (``visible_text``: zero-width
    spaces, byte-order marks, soft hyphens, bidirectional controls) are
    removed, so two names that read the same are the same: an applicant
    cannot make "the same project" a second one with a trailing space, and
    a clerk's pasted name does not rename an organisation. Spaces inside the
    text are kept as given. Blank text keeps its spaces, so that a
    ``Length(min=1)`` lets it through to the schema's own check of a blank
    name, which can say what is missing.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = visible_text(super()._deserialize(value, attr, data, **kwargs))
        return text.strip() or text


class StandardNumberField(fields.Field):
    """A standard number (标准编号), loaded in canonical form (``GB/T 1.1-2020``).

    Any common spelling is accepted (full-width letters, ``—`` for ``-``, a
    missing space, the slash of ``/T`` left out: ``GBT 1.1-2020``); anything
    else is refused in both languages. With
    ``parsed=True`` the field loads the parsed ``StandardNumber`` instead
    (``.code``, ``.level`` the number shows — ``national``, ``local``,
    ``zhejiang_made`` … —, ``.year``, ``.amendment``), for a ``@post_load``
    hook that checks the record against it; that hook must put ``.code``
    back in the field, since activities are stored as JSON.
    """

    def __init__(self, *, parsed: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parsed = parsed

    default_error_messages = {"invalid": "Not a valid string."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> StandardNumber | str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value
        try:
            number = parse(text)
        except InvalidStandardNumber as exc:
            raise field_error(exc.text.zh, exc.text.en) from None
        return number if self.parsed else number.code


class CreditCodeField(fields.String):
    """A unified social credit code (统一社会信用代码, GB 32100), checked and loaded in canonical form.

    Both check characters are verified (python-stdnum and the GB 11714
    organisation-code check). The envelope's ``credit_code`` is checked this
    way already; use this field for another organisation a record names.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_credit_code(text)
        except InvalidCreditCode as exc:
            raise field_error(exc.text.zh, exc.text.en) from None


class YesNo(fields.Boolean):
    """A yes-or-no field (是否…): ``true``/``false`` as marshmallow's ``Boolean`` takes them, and 是/否 (对/错).

    A clerk answers 是否修订 with 是 in a form, a file or the API alike; the
    error for anything else (``应为“是”或“否”。`` / ``Not a valid boolean.``)
    names the answers the field takes.
    """

    truthy = fields.Boolean.truthy | {"是", "对"}
    falsy = fields.Boolean.falsy | {"否", "错"}


class BoundedDecimal(fields.Decimal):
    """A decimal number (a measured value, an emission, a score) of a size a register holds, loaded exactly.

    marshmallow's ``Decimal`` takes ``"1e999999999"`` and ``"1e-999999999"``:
    finite, but a billion characters when written out, and arithmetic on them
    overflows the decimal context, so the plugin reading one raised on its
    record. Refused here instead, naming the field: a number must be under
    10^``MAX_INTEGER_DIGITS`` in size with at most ``MAX_PLACES`` decimal places
    (a float's digits, ``0.30000000000000004``, fit). NaN and infinity are
    refused unless ``allow_nan=True`` is passed.
    """

    MAX_INTEGER_DIGITS = 15
    MAX_PLACES = 30

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_nan", False)
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        number = super()._deserialize(value, attr, data, **kwargs)
        if number is not None and number.is_finite():
            exponent = number.as_tuple().exponent
            if number and number.adjusted() >= self.MAX_INTEGER_DIGITS:
                raise field_error(f"数值过大:整数部分至多{self.MAX_INTEGER_DIGITS}位",
                                  f"too large: at most {self.MAX_INTEGER_DIGITS} digits before the decimal point")
            if isinstance(exponent, int) and exponent < -self.MAX_PLACES:
                raise field_error(f"小数位数过多:至多{self.MAX_PLACES}位",
                                  f"too many decimal places: at most {self.MAX_PLACES}")
        return number
