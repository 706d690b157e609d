"""The parameter-type registry (core/paramtypes.py): parsing, formatting, storage, widgets — core's types and a plugin's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import ValidationError

from core import load_registry
from core.declarations import ParameterDeclaration
from core.paramtypes import BUILTIN_PARAMETER_TYPES, ParameterType, parameter_type
from core.parameters import decode_value, encode_value, load_parameter_file, version_schema
from core.text import Text

import quota_plugin

from conftest import PROJECT_PLUGINS


def decl(type_: str, **kwargs) -> ParameterDeclaration:
    kwargs.setdefault("unit", Text("元", "yuan"))
    return ParameterDeclaration(key="demo.value", label=Text("取值", "Value"), type=type_, clause="三(二)", **kwargs)


CHOICES = (("limit", Text("限定值", "limit value")), ("access", Text("准入值", "access value")))
QUANTITY = dict(unit=Text("千克标准煤/吨", "kgce/t"))

#: (type, declaration options, what a user types, the value, zh, en, CLI text)
CASES = [
    ("money", {}, "300,000", 300_000, "¥300,000(30万元)", "¥300,000", "300,000"),
    ("money", {}, "5000", 5000, "¥5,000", "¥5,000", "5,000"),
    ("integer", {}, "-3", -3, "-3", "-3", "-3"),
    ("count", {}, "1,200", 1200, "1,200", "1,200", "1,200"),
    ("decimal", {}, "1234.50", Decimal("1234.50"), "1,234.50", "1,234.50", "1,234.50"),
    ("percentage", {}, "12.5%", Decimal("12.5"), "12.5%", "12.5%", "12.5%"),
    ("percentage", {}, "7", Decimal("7"), "7%", "7%", "7%"),
    ("quantity", QUANTITY, "1.25 kgce/t", Decimal("1.25"), "1.25 千克标准煤/吨", "1.25 kgce/t", "1.25"),
    ("quantity", QUANTITY, "0.8", Decimal("0.8"), "0.8 千克标准煤/吨", "0.8 kgce/t", "0.8"),
    ("date", {}, "2025-01-01", date(2025, 1, 1), "2025-01-01", "2025-01-01", "2025-01-01"),
    ("choice", {"choices": CHOICES}, "准入值", "access", "准入值", "access value", "access"),
    ("choice", {"choices": CHOICES}, "limit", "limit", "限定值", "limit value", "limit"),
    ("boolean", {}, "是", True, "是", "Yes", "true"),
    ("boolean", {}, "false", False, "否", "No", "false"),
    ("string", {}, "GB/T 1.1", "GB/T 1.1", "GB/T 1.1", "GB/T 1.1", "GB/T 1.1"),
    ("string_list", {}, "ZZB, ZNZ", ["ZZB", "ZNZ"], "ZZB, ZNZ", "ZZB, ZNZ", "ZZB, ZNZ"),
]


def test_an_empty_list_reads_as_none_not_as_a_blank() -> None:
    # The shipped brand series lists are empty: the dashboard and the parameter pages showed an empty cell.
    d = decl("string_list")
    assert (d.format([], "zh"), d.format([], "en")) == ("无", "none")


@pytest.mark.parametrize(("type_", "options", "typed", "value", "zh", "en", "cli"), CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_each_type_parses_formats_and_stores(type_, options, typed, value, zh, en, cli) -> None:
    d = decl(type_, **options)
    parsed = d.value_type.parse(d, typed)
    assert parsed == value and type(parsed) is type(value)
    assert d.format(parsed, "zh") == zh
    assert d.format(parsed, "en") == en
    assert d.value_type.cli_text(d, parsed) == cli
    stored = encode_value(d, parsed)
    assert decode_value(d, stored) == value and type(decode_value(d, stored)) is type(value)
    # The admin's form: the widget, the stored value as its data, and back through the schema.
    assert d.value_type.widget(d, "Value", lambda t: t.zh) is not None
    form_data = d.value_type.to_form(d, parsed)
    submitted = d.value_type.from_form(d, form_data)
    loaded = version_schema(d).load({"value": submitted, "effective_from": "2025-01-01", "reason": "r",
                                     "reference": "doc"})
    assert loaded["value"] == value


def test_every_type_the_issue_names_is_shipped() -> None:
    assert set(BUILTIN_PARAMETER_TYPES) == {"money", "integer", "count", "decimal", "percentage", "quantity", "date",
                                            "choice", "boolean", "string", "string_list"}
    for type_ in BUILTIN_PARAMETER_TYPES.values():
        assert type_.label.zh and type_.label.en


BAD = [
    ("money", {}, "1000.5", "Not a whole number of yuan.", "金额必须是整数元"),
    ("money", {}, "-1", "Must not be negative.", "不能为负数"),
    ("count", {}, "-1", "greater than or equal to 0", "大于等于 0"),
    ("integer", {}, "1.5", "Not a valid integer.", "不是有效的整数"),
    ("decimal", {}, "abc", "Not a valid number.", "不是有效的数字"),
    ("decimal", {}, "1e999999999", "too large: at most 15 digits", "数值过大"),
    ("percentage", {}, "1e-999999999%", "too many decimal places", "小数位数过多"),
    ("quantity", QUANTITY, "4" * 50 + " kgce/t", "too large", "数值过大"),
    ("percentage", {}, "12 kg", "wrong unit: expected", "单位不符"),
    ("quantity", QUANTITY, "1.25 tce/t", "wrong unit: expected", "单位不符"),
    ("date", {}, "2025-02-30", "Not a valid date.", "不是有效的日期"),
    ("choice", {"choices": CHOICES}, "grade", "Must be one of: limit, access.", "必须是以下之一"),
    ("boolean", {}, "maybe", "Not a valid boolean.", "应为“是”或“否”"),
    ("string", {}, "", "Shorter than minimum length 1.", "长度不能少于 1"),
]


@pytest.mark.parametrize(("type_", "options", "typed", "en", "zh"), BAD, ids=[f"{c[0]}-{c[2]}" for c in BAD])
def test_a_bad_value_is_refused_in_both_languages(type_, options, typed, en, zh) -> None:
    from core.messages import flatten_errors

    d = decl(type_, **options)
    with pytest.raises(ValidationError) as caught:
        version_schema(d).load({"value": typed, "effective_from": "2025-01-01", "reason": "r", "reference": "doc"})
    [error] = flatten_errors(caught.value.messages)
    assert error.field == "value"
    assert en in error.message and zh in error.message_zh


def test_declared_bounds_apply_to_every_numeric_type() -> None:
    for type_, raw in (("money", "600"), ("integer", "600"), ("decimal", "600.5"), ("percentage", "600")):
        d = decl(type_, minimum=0, maximum=500)
        with pytest.raises(ValidationError):
            d.value_type.parse(d, raw)


def test_a_lists_bounds_count_its_entries_and_without_a_minimum_it_may_be_empty() -> None:
    free, some = decl("string_list"), decl("string_list", minimum=1, maximum=2)
    assert free.value_type.parse(free, "") == [] and free.value_type.parse(free, " , ") == []
    assert some.value_type.parse(some, "3304") == ["3304"]
    for raw in ("", "a, b, c"):
        with pytest.raises(ValidationError):
            some.value_type.parse(some, raw)
    assert "留空表示无" in free.value_type.describe(free) and "留空" not in some.value_type.describe(some)
    for bound in (-1, "1", 1.5, True):
        with pytest.raises(ValueError, match="count its entries"):
            decl("string_list", minimum=bound)


def test_existing_stored_values_still_decode() -> None:
    """The JSON texts stored before the registry: money and integers as numbers, decimals as strings."""
    assert decode_value(decl("money"), "300000") == 300_000
    assert decode_value("decimal", '"1.25"') == Decimal("1.25")
    assert decode_value(decl("string_list"), '["ZZB", "ZNZ"]') == ["ZZB", "ZNZ"]
    assert decode_value(decl("boolean"), "true") is True
    assert encode_value(decl("decimal"), Decimal("1.25")) == '"1.25"'
    assert encode_value(decl("money"), 300000) == "300000"


def test_an_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown parameter type 'currency' \(known: .*money"):
        decl("currency")


# -- a plugin's own type -------------------------------------------------------------


def test_a_plugin_declares_a_type_and_its_parameters_use_it() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("quota", quota_plugin)])
    assert "ratio" in registry.parameter_types and registry.parameter_type_plugin["ratio"] == "quota"
    assert registry.plugins["quota"].parameter_types == ["ratio"]
    share = registry.parameters["quota.share"]
    assert share.value_type is registry.parameter_types["ratio"]
    assert share.defaults[0].value == Decimal("0.75")  # "3/4" in the YAML, parsed by the plugin's field
    assert share.format(Decimal("0.75")) == "75%"
    assert decode_value(share, encode_value(share, Decimal("0.75"))) == Decimal("0.75")
    loaded = version_schema(share).load({"value": "1/2", "effective_from": "2025-01-01", "reason": "r", "reference": "d"})
    assert loaded["value"] == Decimal("0.5")
    with pytest.raises(ValidationError):
        version_schema(share).load({"value": "3/2", "effective_from": "2025-01-01", "reason": "r", "reference": "d"})
    # A choice parameter from the plugin's YAML, with its labels.
    basis = registry.parameters["quota.grade_basis"]
    assert basis.choices == CHOICES[::-1] and basis.format("access", "zh") == "准入值"


def test_the_type_exists_only_in_the_registry_that_loaded_the_plugin() -> None:
    assert "ratio" not in load_registry(only=PROJECT_PLUGINS).parameter_types
    with pytest.raises(ValueError, match="unknown parameter type 'ratio'"):
        decl("ratio")


class _Clash:
    from core import hookimpl

    @hookimpl
    def stdpolicy_register_parameter_types(self):
        return [ParameterType("money", Text("钱", "money"))]


class _Unknown:
    from core import hookimpl

    @hookimpl
    def stdpolicy_register_parameters(self):
        return [ParameterDeclaration(key="other.x", label=Text("x", "x"), unit=Text("", ""), type="ratio", clause="c")]


def test_a_type_core_or_another_plugin_declared_is_a_start_up_error() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("clash", _Clash()), ("quota", quota_plugin), ("quota2", _QuotaAgain())])
    failures = {f.name: f.error for f in registry.failures}
    assert "parameter type 'money' is declared by both 'core' and 'clash'" in failures["clash"]
    assert "parameter type 'ratio' is declared by both 'quota' and 'quota2'" in failures["quota2"]
    assert registry.parameter_types["money"] is BUILTIN_PARAMETER_TYPES["money"]


class _QuotaAgain:
    from core import hookimpl

    @hookimpl
    def stdpolicy_register_parameter_types(self):
        return [quota_plugin.RatioType()]


def test_a_later_plugin_may_use_an_earlier_plugins_type_but_not_an_unknown_one() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("quota", quota_plugin), ("other", _Unknown())])
    assert registry.failures == [] and registry.parameters["other.x"].value_type.name == "ratio"
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("other", _Unknown())])
    [failure] = registry.failures
    assert failure.name == "other" and "unknown parameter type 'ratio'" in failure.error


def test_a_yaml_choice_needs_its_choices(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("document: d\nparameters:\n  - key: demo.basis\n    label: {zh: 依据, en: basis}\n"
                    "    unit: {zh: 无, en: none}\n    type: choice\n    clause: c\n    values:\n      - {from: 2022-08-01, value: limit, clause: c}\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match="a choice needs its choices"):
        load_parameter_file(path)


def test_parameter_type_lookup() -> None:
    assert parameter_type("money") is BUILTIN_PARAMETER_TYPES["money"]
    with pytest.raises(ValueError):
        ParameterType("Bad Name", Text("x", "x"))
