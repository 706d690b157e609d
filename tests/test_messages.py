"""Validation messages in both languages (core/messages.py)."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from core.messages import Bilingual, FieldError, flatten_errors, to_zh
from core.text import Text


@pytest.mark.parametrize(
    ("en", "zh"),
    [
        ("Missing data for required field.", "缺少必填字段。"),
        ("Field may not be null.", "字段不能为空值。"),
        ("Invalid value.", "无效的值。"),
        ("Invalid input type.", "输入类型无效。"),
        ("Unknown field.", "未知字段。"),
        ("Not a valid string.", "不是有效的字符串。"),
        ("Not a valid integer.", "不是有效的整数。"),
        ("Not a valid number.", "不是有效的数字。"),
        ("Not a valid boolean.", "应为“是”或“否”。"),
        ("Not a valid date.", "不是有效的日期(应如 2024-08-04)。"),
        ("Not a valid datetime.", "不是有效的日期时间。"),
        ("Not a valid list.", "不是有效的列表。"),
        ("Not a valid mapping type.", "不是有效的对象。"),
        ("Number too large.", "数值过大。"),
        ("Special numeric values (nan or infinity) are not permitted.", "不允许 NaN 或无穷大。"),
        ("Not a whole number of yuan.", "金额必须是整数元(不能有小数)。"),
        ("Must not be negative.", "不能为负数。"),
        ("Must not be blank.", "不能为空。"),
        ("String does not match expected pattern.", "格式不符合要求。"),
    ],
    ids=lambda v: v,
)
def test_to_zh_exact_messages(en, zh):
    assert to_zh(en) == zh


@pytest.mark.parametrize(
    ("en", "zh"),
    [
        ("Must be greater than or equal to 1 and less than or equal to 10.", "必须大于等于 1 且小于等于 10。"),
        ("Must be greater than or equal to 1.", "必须大于等于 1。"),
        ("Must be less than or equal to 300000.", "必须小于等于 300000。"),
        ("Must be greater than 0.", "必须大于 0。"),
        ("Must be less than 100.", "必须小于 100。"),
        ("Must be greater than 0 and less than 1.", "必须大于 0 且小于 1。"),
        ("Must be greater than or equal to 0 and less than 1.", "必须大于等于 0 且小于 1。"),
        ("Must be greater than 0 and less than or equal to 1.", "必须大于 0 且小于等于 1。"),
        ("Must be one of: national, provincial.", "必须是以下之一:national, provincial。"),
        ("Shorter than minimum length 1.", "长度不能少于 1。"),
        ("Longer than maximum length 300.", "长度不能超过 300。"),
        ("Length must be between 1 and 100.", "长度必须在 1 到 100 之间。"),
    ],
    ids=lambda v: v,
)
def test_to_zh_patterns(en, zh):
    assert to_zh(en) == zh


def test_to_zh_unknown_message_stays_english():
    assert to_zh("Something new.") == "Something new."
    assert to_zh("Must be one of:") == "Must be one of:"  # the pattern needs its list


def test_bilingual_message_is_english_and_carries_its_chinese():
    message = Bilingual("校验位错误", "wrong check character")
    assert message == "wrong check character" and isinstance(message, str)
    assert message.zh == "校验位错误"
    assert to_zh(message) == "校验位错误"
    assert Bilingual.of(Text("中", "en")).zh == "中"
    error = FieldError.make("credit_code", message)
    assert error == FieldError("credit_code", "wrong check character", "校验位错误")
    assert type(error.message) is str


def test_to_zh_of_real_marshmallow_messages():
    class S(Schema):
        rank = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
        level = fields.String(validate=validate.OneOf(["national", "provincial"]))
        name = fields.String(validate=validate.Length(min=1, max=3))

    with pytest.raises(ValidationError) as exc:
        S().load({"level": "city", "name": "abcd", "extra": 1})
    errors = {e.field: e for e in flatten_errors(exc.value.messages)}
    assert errors["rank"].message_zh == "缺少必填字段。"
    assert errors["level"].message_zh == "必须是以下之一:national, provincial。"
    assert errors["name"].message_zh == "长度必须在 1 到 3 之间。"
    assert errors["extra"].message_zh == "未知字段。"


def test_flatten_errors_nested():
    messages = {
        "rank": ["Not a valid integer."],
        "values": {2: ["Not a valid integer."], "_schema": ["Invalid value."]},
        "_schema": ["Unknown field."],
        "a": {"b": {"c": ["Must be one of: x, y.", "Longer than maximum length 3."]}},
        "code": [Bilingual("无法识别", "unrecognised")],
    }
    assert flatten_errors(messages) == [
        FieldError("rank", "Not a valid integer.", "不是有效的整数。"),
        FieldError("values.2", "Not a valid integer.", "不是有效的整数。"),
        FieldError("values", "Invalid value.", "无效的值。"),
        FieldError(None, "Unknown field.", "未知字段。"),
        FieldError("a.b.c", "Must be one of: x, y.", "必须是以下之一:x, y。"),
        FieldError("a.b.c", "Longer than maximum length 3.", "长度不能超过 3。"),
        FieldError("code", "unrecognised", "无法识别"),
    ]


def test_flatten_errors_lists_strings_and_prefix():
    assert flatten_errors(["Invalid value.", {"x": ["Unknown field."]}], "p") == [
        FieldError("p", "Invalid value.", "无效的值。"),
        FieldError("p.x", "Unknown field.", "未知字段。"),
    ]
    assert flatten_errors("Invalid value.") == [FieldError(None, "Invalid value.", "无效的值。")]
    assert flatten_errors({}) == []


def test_field_error_json():
    assert FieldError.make(None, "Invalid value.").to_json() == {"field": None, "message": "Invalid value.", "message_zh": "无效的值。"}
