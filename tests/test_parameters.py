"""Dated policy parameters (core/parameters.py): YAML declarations, typed
values, versions and the value in force."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import ValidationError

from core.declarations import DefaultValue, ParameterDeclaration
from core.outcomes import ParamValue
from core.parameters import (
    Money,
    ParameterResolver,
    ParameterVersion,
    decode_value,
    encode_value,
    load_parameter_file,
    version_schema,
)
from core.text import Text

# ---------------------------------------------------------------------------
# YAML declarations
# ---------------------------------------------------------------------------

GOOD = """\
document: 《测试文件》
parameters:
  - key: demo.amount
    label: {zh: 金额, en: Amount}
    unit: yuan
    type: money
    minimum: 0
    clause: 三(二)
    description: {zh: 说明, en: Description}
    values:
      - {from: 2023-01-01, value: "200,000", clause: 三(二)}
      - {from: 2022-08-01, value: 100000, clause: 三(二)}
  - key: demo.rate
    label: {zh: 比率, en: Rate}
    unit: {zh: 倍, en: times}
    type: decimal
    clause: 一(二)
    values:
      - {from: 2022-08-01, value: "1.25", clause: 一(二), document: 《另一文件》}
  - key: demo.count
    label: {zh: 数量, en: Count}
    unit: {zh: 个, en: items}
    type: integer
    minimum: 1
    maximum: 10
    clause: 一(二)
    values:
      - {from: 2022-08-01, value: 5, clause: 一(二)}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "parameters.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file(tmp_path):
    amount, rate, count = load_parameter_file(write(tmp_path, GOOD))

    assert amount.key == "demo.amount"
    assert amount.label == Text("金额", "Amount")
    assert amount.unit == Text("元", "yuan")
    assert amount.type == "money"
    assert amount.clause == "三(二)"
    assert amount.description == Text("说明", "Description")
    assert amount.minimum == 0 and amount.maximum is None
    # sorted by effective date, values typed, the top-level document inherited
    assert amount.defaults == (
        DefaultValue(date(2022, 8, 1), 100_000, "《测试文件》", "三(二)"),
        DefaultValue(date(2023, 1, 1), 200_000, "《测试文件》", "三(二)"),
    )
    assert amount.defaults[0].reference == "《测试文件》 三(二)"

    assert rate.unit == Text("倍", "times")
    assert rate.defaults == (DefaultValue(date(2022, 8, 1), Decimal("1.25"), "《另一文件》", "一(二)"),)
    assert type(rate.defaults[0].value) is Decimal
    assert rate.description is None

    assert (count.minimum, count.maximum, count.defaults[0].value) == (1, 10, 5)


def _replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BAD_FILES = [
    # (id, (old, new) edit of GOOD, parameter named, a fragment of the reason)
    ("parameter without clause", ("    clause: 三(二)\n", ""), "demo.amount", "the policy clause is required"),
    ("value without clause", ("value: 100000, clause: 三(二)}", "value: 100000}"), "demo.amount",
     "value from 2022-08-01 must cite its document and clause"),
    ("no document anywhere", ("document: 《测试文件》\n", ""), "demo.amount", "must cite its document and clause"),
    ("unknown entry", ("    minimum: 0\n", "    minimum: 0\n    colour: red\n"), "demo.amount", "unknown entries ['colour']"),
    ("unknown entry in a value", ("value: 100000, clause", "value: 100000, note: x, clause"), "demo.amount",
     "unknown entries ['note'] in a value"),
    ("float money", ("value: 100000,", "value: 1000.5,"), "demo.amount", "Not a whole number of yuan."),
    ("float-looking money", ("value: 100000,", "value: \"1000.5\","), "demo.amount", "Not a whole number of yuan."),
    ("whole float money", ("value: 100000,", "value: 100000.0,"), "demo.amount", "Not a whole number of yuan."),
    ("negative money", ("value: 100000,", "value: -5,"), "demo.amount", "Must not be negative."),
    ("impossible month", ("from: 2022-08-01, value: 100000", "from: 2022-13-01, value: 100000"), "demo.amount",
     "'from' must be a date (YYYY-MM-DD), got '2022-13-01'"),
    ("impossible day", ("from: 2022-08-01, value: 100000", "from: 2023-02-30, value: 100000"), "demo.amount",
     "'from' must be a date (YYYY-MM-DD), got '2023-02-30'"),
    ("date not ISO", ("from: 2022-08-01, value: 100000", "from: 1/8/2022, value: 100000"), "demo.amount",
     "'from' must be a date"),
    ("date without padding", ("from: 2022-08-01, value: 100000", "from: 2022-8-1, value: 100000"), "demo.amount",
     "got '2022-8-1'"),
    ("missing from", ("from: 2022-08-01, value: 100000, ", "value: 100000, "), "demo.amount", "missing 'from'"),
    ("missing value", ("value: 100000, clause", "clause"), "demo.amount", "missing 'value'"),
    ("unknown type", ("type: money", "type: currency"), "demo.amount", "unknown parameter type 'currency'"),
    ("unknown unit", ("unit: yuan", "unit: dollars"), "demo.amount", "unit: expected"),
    ("label without English", ("label: {zh: 金额, en: Amount}", "label: {zh: 金额}"), "demo.amount", "missing 'en'"),
    ("no label", ("    label: {zh: 金额, en: Amount}\n", ""), "demo.amount", "label"),
    ("bad key", ("key: demo.amount", "key: Demo Amount"), "Demo Amount", "dotted lower_snake_case"),
    ("integer above maximum", ("value: 5,", "value: 11,"), "demo.count", "less than or equal to 10."),
    ("integer below minimum", ("value: 5,", "value: 0,"), "demo.count", "Must be greater than or equal to 1"),
    ("integer as float", ("value: 5,", "value: 5.5,"), "demo.count", "Not a valid integer."),
    ("bad decimal", ("value: \"1.25\"", "value: abc"), "demo.rate", "Not a valid number."),
]


@pytest.mark.parametrize(("edit", "key", "reason"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_is_refused_naming_the_parameter(tmp_path, edit, key, reason):
    path = write(tmp_path, _replace_once(GOOD, *edit))
    with pytest.raises(ValueError) as exc:
        load_parameter_file(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: parameter {key}: "), message
    assert reason in message


def test_an_unnamed_parameter_is_named_by_position(tmp_path):
    path = write(tmp_path, _replace_once(GOOD, "key: demo.rate", "kee: demo.rate"))
    with pytest.raises(ValueError, match=r"parameter #2: .*unknown entries \['kee'\]"):
        load_parameter_file(path)


def test_an_empty_file_declares_nothing(tmp_path):
    assert load_parameter_file(write(tmp_path, "")) == []
    assert load_parameter_file(write(tmp_path, "document: x\nparameters: []\n")) == []


# -- the shipped reward_tiers file ----------------------------------------------

POLICY_AMOUNTS = {
    "reward_tiers.lead.international": 1_000_000,
    "reward_tiers.lead.national": 300_000,
    "reward_tiers.lead.industry": 200_000,
    "reward_tiers.lead.local": 200_000,
    "reward_tiers.lead.military": 200_000,
    "reward_tiers.lead.zhejiang_made": 200_000,
    "reward_tiers.lead.zhejiang_service": 200_000,
    "reward_tiers.lead.zhejiang_agri": 200_000,
    "reward_tiers.participate.international": 300_000,
    "reward_tiers.participate.national": 150_000,
    "reward_tiers.secretariat.international": 1_000_000,
    "reward_tiers.secretariat.national": 500_000,
    "reward_tiers.secretariat.provincial": 200_000,
    "reward_tiers.award.first": 1_000_000,
    "reward_tiers.award.second": 800_000,
    "reward_tiers.award.third": 500_000,
    "reward_tiers.award.organization": 500_000,
    "reward_tiers.pilot_cap.national": 300_000,
    "reward_tiers.pilot_cap.provincial": 200_000,
}


@pytest.fixture(scope="module")
def shipped():
    return {d.key: d for d in load_parameter_file("parameters.yaml", "plugins.reward_tiers")}


#: The dated parameters of the held-for-review readings (docs/policy-readings.md): not amounts.
READING_PARAMETERS = {
    "reward_tiers.eligible_regions": ("3304",),
    "reward_tiers.brand_series.zhejiang_service": (),
    "reward_tiers.brand_series.zhejiang_agri": (),
}


def test_shipped_file_has_exactly_the_19_amounts_and_the_reading_parameters(shipped, registry):
    assert len(POLICY_AMOUNTS) == 19
    assert set(shipped) == set(POLICY_AMOUNTS) | set(READING_PARAMETERS)
    assert set(registry.parameters) == set(POLICY_AMOUNTS) | set(READING_PARAMETERS)
    assert registry.plugins["reward_tiers"].parameters == list(shipped)
    parameters = registry.default_parameters()
    for key, value in READING_PARAMETERS.items():
        assert shipped[key].type == "string_list"
        assert parameters.value(key, date(2022, 8, 1)).value == value
        assert parameters.value(key, date(2022, 7, 31)) is None


@pytest.mark.parametrize(("key", "amount"), POLICY_AMOUNTS.items(), ids=list(POLICY_AMOUNTS))
def test_shipped_value_is_the_policy_amount_from_2022_08_01(shipped, key, amount):
    decl = shipped[key]
    assert decl.type == "money"
    assert decl.unit == Text("元", "yuan")
    assert decl.clause == "三(二)"
    assert decl.minimum == 0
    assert decl.label.zh and decl.label.en
    (only,) = decl.defaults  # nothing before, nothing after: one version
    assert only.effective_from == date(2022, 8, 1)
    assert type(only.value) is int and only.value == amount
    assert only.clause == "三(二)"
    assert "加快推进标准强市建设的实施意见" in only.document


def test_shipped_values_in_force(registry):
    resolver = registry.default_parameters()
    for key, amount in POLICY_AMOUNTS.items():
        assert resolver.value(key, date(2022, 7, 31)) is None
        assert resolver.value(key, date(2022, 8, 1)) == ParamValue(key, amount, date(2022, 8, 1), None, "shipped")
        assert resolver.value(key, date(2030, 1, 1)).value == amount


# ---------------------------------------------------------------------------
# ParameterResolver
# ---------------------------------------------------------------------------

KEY = "demo.amount"
OTHER = "demo.other"


def _decl(key: str) -> ParameterDeclaration:
    return ParameterDeclaration(key=key, label=Text("金额", "Amount"), unit=Text("元", "yuan"), type="money", clause="三(二)")


DECLS = {KEY: _decl(KEY), OTHER: _decl(OTHER)}


def v(value, effective_from, recorded_at=None, *, key=KEY, id=None, sequence=0) -> ParameterVersion:
    return ParameterVersion(key=key, value=value, effective_from=effective_from, reference="ref",
                            recorded_at=recorded_at, id=id, sequence=sequence)


def test_latest_effective_date_on_or_before_wins_half_open():
    resolver = ParameterResolver(DECLS, [
        v(300, date(2025, 1, 1), datetime(2024, 6, 1), id=2, sequence=2),
        v(100, date(2022, 8, 1), datetime(2022, 8, 1), id=1, sequence=1),
        v(400, date(2026, 1, 1), datetime(2024, 6, 2), id=3, sequence=3),
    ])
    expect = [
        (date(2022, 7, 31), None),
        (date(2022, 8, 1), 100),
        (date(2024, 12, 31), 100),
        (date(2025, 1, 1), 300),
        (date(2025, 12, 31), 300),
        (date(2026, 1, 1), 400),
        (date(2099, 1, 1), 400),
    ]
    assert [(day, getattr(resolver.value(KEY, day), "value", None)) for day, _ in expect] == expect
    assert resolver.value(KEY, date(2025, 1, 1)) == ParamValue(KEY, 300, date(2025, 1, 1), 2, "stored", 2)


def test_same_effective_date_later_recorded_wins():
    first = v(100, date(2023, 1, 1), datetime(2023, 1, 5), id=1)
    correction = v(120, date(2023, 1, 1), datetime(2023, 2, 1), id=2)
    for versions in ([first, correction], [correction, first]):  # input order does not matter
        assert ParameterResolver(DECLS, versions).value(KEY, date(2023, 6, 1)).value == 120


def test_same_effective_date_and_time_higher_sequence_wins():
    at = datetime(2023, 1, 5)
    resolver = ParameterResolver(DECLS, [v(2, date(2023, 1, 1), at, sequence=2), v(1, date(2023, 1, 1), at, sequence=1)])
    assert resolver.value(KEY, date(2023, 1, 1)).value == 2


def test_a_version_without_recording_time_counts_as_earliest():
    resolver = ParameterResolver(DECLS, [v(2, date(2023, 1, 1), datetime(2023, 1, 5)), v(1, date(2023, 1, 1), None)])
    assert resolver.value(KEY, date(2023, 1, 1)).value == 2


def test_believed_at_ignores_versions_recorded_later():
    versions = [
        v(100, date(2022, 8, 1), datetime(2022, 8, 1), id=1),
        v(150, date(2023, 1, 1), datetime(2023, 3, 1), id=2),  # a change recorded on 2023-03-01, backdated
        v(160, date(2022, 8, 1), datetime(2023, 6, 1), id=3),  # a correction of the first value
    ]
    now = ParameterResolver(DECLS, versions)
    assert now.value(KEY, date(2022, 12, 1)).value == 160
    assert now.value(KEY, date(2023, 2, 1)).value == 150

    feb = ParameterResolver(DECLS, versions, believed_at=datetime(2023, 2, 1))
    assert feb.value(KEY, date(2023, 2, 1)).value == 100
    assert feb.value(KEY, date(2022, 12, 1)).value == 100

    exactly = ParameterResolver(DECLS, versions, believed_at=datetime(2023, 3, 1))  # recorded at that instant: believed
    assert exactly.value(KEY, date(2023, 2, 1)).value == 150
    assert exactly.value(KEY, date(2022, 12, 1)).value == 100

    before_all = ParameterResolver(DECLS, versions, believed_at=datetime(2022, 1, 1))
    assert before_all.value(KEY, date(2023, 2, 1)) is None

    # history keeps everything, in recording order, believed or not
    assert [x.id for x in feb.history(KEY)] == [1, 2, 3]
    assert feb.history(OTHER) == []


def test_reads_record_what_was_read():
    resolver = ParameterResolver(DECLS, [v(100, date(2022, 8, 1), id=1), v(5, date(2022, 8, 1), key=OTHER, id=9)])
    assert resolver.reads == set()
    resolver.value(KEY, date(2023, 1, 1))
    resolver.value(KEY, date(2024, 1, 1))  # the same version: recorded once
    resolver.value(KEY, date(2022, 1, 1))  # nothing in force: nothing read
    assert resolver.reads == {ParamValue(KEY, 100, date(2022, 8, 1), 1, "stored", 0)}
    resolver.value(OTHER, date(2023, 1, 1))
    assert resolver.reads == {ParamValue(KEY, 100, date(2022, 8, 1), 1, "stored", 0),
                              ParamValue(OTHER, 5, date(2022, 8, 1), 9, "stored", 0)}


def test_unknown_key_raises_key_error():
    resolver = ParameterResolver(DECLS, [])
    with pytest.raises(KeyError, match="unknown parameter 'demo.nothing'"):
        resolver.value("demo.nothing", date(2023, 1, 1))
    with pytest.raises(KeyError, match="unknown parameter"):
        resolver.history("demo.nothing")
    with pytest.raises(KeyError, match="unknown parameter"):
        resolver.with_versions([v(1, date(2023, 1, 1), key="demo.nothing")])
    assert resolver.value(KEY, date(2023, 1, 1)) is None  # declared, but no version


def test_current_returns_the_full_version():
    resolver = ParameterResolver(DECLS, [v(100, date(2022, 8, 1), id=1), v(200, date(2025, 1, 1), id=2)])
    assert resolver.current(KEY, date(2024, 1, 1)).id == 1
    assert resolver.current(KEY, date(2025, 1, 1)).reference == "ref"
    assert resolver.current(KEY, date(2022, 1, 1)) is None


def test_with_versions_is_a_what_if_that_leaves_the_original_alone():
    base = ParameterResolver(DECLS, [v(100, date(2022, 8, 1), datetime(2022, 8, 1), id=1, sequence=1)])
    what_if = base.with_versions([v(250, date(2024, 1, 1), id=99), v(90, date(2022, 8, 1), id=98)])
    # no id (the 99 given is dropped): not stored, and marked as proposed
    assert what_if.value(KEY, date(2024, 1, 1)) == ParamValue(KEY, 250, date(2024, 1, 1), None, "what-if")
    assert what_if.value(KEY, date(2023, 1, 1)).value == 90  # recorded "now": wins over the stored one on the same date
    assert base.value(KEY, date(2024, 1, 1)) == ParamValue(KEY, 100, date(2022, 8, 1), 1, "stored", 1)
    assert len(what_if.history(KEY)) == 3 and len(base.history(KEY)) == 1


def test_with_versions_on_a_believed_at_resolver_is_visible():
    versions = [v(100, date(2022, 8, 1), datetime(2022, 8, 1)), v(500, date(2022, 8, 1), datetime(2024, 1, 1))]
    past = ParameterResolver(DECLS, versions, believed_at=datetime(2023, 1, 1))
    what_if = past.with_versions([v(200, date(2022, 8, 1))])
    assert what_if.believed_at == datetime(2023, 1, 1)
    assert what_if.value(KEY, date(2023, 1, 1)).value == 200


def test_from_defaults():
    decl = ParameterDeclaration(
        key=KEY, label=Text("金额", "Amount"), unit=Text("元", "yuan"), type="money", clause="三(二)",
        defaults=(DefaultValue(date(2022, 8, 1), 100, "《文》", "三(二)"), DefaultValue(date(2024, 1, 1), 120, "《文》", "三(二)")),
    )
    resolver = ParameterResolver.from_defaults({KEY: decl})
    assert resolver.value(KEY, date(2023, 1, 1)) == ParamValue(KEY, 100, date(2022, 8, 1), None, "shipped")
    assert resolver.value(KEY, date(2024, 1, 1)).value == 120
    assert [(h.reference, h.reason, h.sequence) for h in resolver.history(KEY)] == [
        ("《文》 三(二)", "shipped default", 1), ("《文》 三(二)", "shipped default", 2),
    ]


# -- where a value comes from: stored, shipped, what-if ------------------------------

def test_param_value_origin_defaults_to_stored_and_stays_out_of_json():
    stored = ParamValue(KEY, 100, date(2022, 8, 1), 7, sequence=2)
    assert stored.origin == "stored"
    assert stored == ParamValue(KEY, 100, date(2022, 8, 1), 7, "stored", 2)
    expected = {"key": KEY, "value": 100, "effective_from": "2022-08-01", "version_id": None, "sequence": None}
    # no "origin" key, whatever the origin
    for origin in ("shipped", "what-if", "stored"):
        assert ParamValue(KEY, 100, date(2022, 8, 1), None, origin).to_json() == expected
    # the version's number within its key travels with the database id: users see the number
    assert stored.to_json() == dict(expected, version_id=7, sequence=2)


@pytest.mark.parametrize(
    ("id", "source", "origin"),
    [
        (7, "default", "stored"),  # loaded from the database: it has an id
        (7, "admin", "stored"),
        (7, "cli", "stored"),
        (None, "default", "shipped"),  # a plugin's default used without a database
        (None, "what-if", "what-if"),
        (7, "what-if", "what-if"),  # "what-if" says more than the id does
    ],
    ids=["stored default", "stored admin", "stored cli", "shipped", "what-if", "what-if with an id"],
)
def test_as_param_value_sets_the_origin(id, source, origin):
    version = ParameterVersion(key=KEY, value=100, effective_from=date(2022, 8, 1), reference="ref", source=source, id=id,
                               sequence=4)
    assert version.as_param_value() == ParamValue(KEY, 100, date(2022, 8, 1), id, origin,
                                                   4 if origin == "stored" else None)


def test_from_defaults_values_are_shipped():
    resolver = ParameterResolver.from_defaults(
        {KEY: ParameterDeclaration(key=KEY, label=Text("金额", "Amount"), unit=Text("元", "yuan"), type="money",
                                   clause="三(二)", defaults=(DefaultValue(date(2022, 8, 1), 100, "《文》", "三(二)"),))})
    value = resolver.value(KEY, date(2023, 1, 1))
    assert (value.version_id, value.origin) == (None, "shipped")
    assert resolver.reads == {ParamValue(KEY, 100, date(2022, 8, 1), None, "shipped")}


def test_with_versions_marks_added_versions_what_if_and_keeps_the_others():
    base = ParameterResolver(DECLS, [v(100, date(2022, 8, 1), datetime(2022, 8, 1), id=1, sequence=1),
                                     v(5, date(2022, 8, 1), datetime(2022, 8, 1), key=OTHER)])
    # the proposal repeats the stored value and date: still a distinct, unrecorded value
    what_if = base.with_versions([v(100, date(2024, 1, 1), id=99)])
    assert [h.source for h in what_if.history(KEY)] == ["default", "what-if"]
    assert [h.id for h in what_if.history(KEY)] == [1, None]
    assert what_if.value(KEY, date(2023, 12, 31)) == ParamValue(KEY, 100, date(2022, 8, 1), 1, "stored", 1)
    proposed = what_if.value(KEY, date(2024, 1, 1))
    assert proposed == ParamValue(KEY, 100, date(2024, 1, 1), None, "what-if")
    assert proposed != ParamValue(KEY, 100, date(2024, 1, 1), None, "shipped")
    assert what_if.value(OTHER, date(2024, 1, 1)).origin == "shipped"  # untouched, no id
    assert {r.origin for r in what_if.reads} == {"stored", "what-if", "shipped"}
    assert base.history(KEY)[0].source == "default" and len(base.history(KEY)) == 1


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "amount"),
    [(300000, 300000), ("300,000", 300000), ("300000", 300000), (" 300000 ", 300000), (0, 0), ("0", 0),
     (Decimal("5"), 5), ("1,000,000", 1_000_000),
     # As the policy and a clerk write amounts: 元, 万元 (exact: 3.5万 is 35,000), a yuan sign, full-width digits.
     ("300000元", 300000), ("30万元", 300000), ("30 万", 300000), ("3.5万", 35000), ("0.05万元", 500),
     ("¥300,000", 300000), ("￥ 300000 元", 300000), ("３０万元", 300000), ("300000.00", 300000),
     ("100万元", 1_000_000), ("300，000", 300000), ("30，000元", 30000)],
    ids=["int", "commas", "digits", "spaces", "zero", "zero text", "whole Decimal", "million",
         "yuan", "wan yuan", "wan spaced", "fraction of wan", "small wan", "yuan sign", "full-width sign",
         "full-width digits", "zero cents", "a million in wan", "full-width comma", "full-width comma, yuan"],
)
def test_money_accepts_whole_yuan(raw, amount):
    value = Money().deserialize(raw)
    assert value == amount and type(value) is int


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (1.5, "Not a whole number of yuan."),
        (1.0, "Not a whole number of yuan."),
        ("1.5", "Not a whole number of yuan."),
        (Decimal("5.5"), "Not a whole number of yuan."),
        (True, "Not a whole number of yuan."),
        (False, "Not a whole number of yuan."),
        ("", "Not a whole number of yuan."),
        ("abc", "Not a whole number of yuan."),
        ("²", "Not a whole number of yuan."),
        ([100], "Not a whole number of yuan."),
        (-1, "Must not be negative."),
        ("-1", "Must not be negative."),
        ("-1,000", "Must not be negative."),
        (None, "Field may not be null."),
        ("3.00001万", "Not a whole number of yuan."),
        ("300000.5元", "Not a whole number of yuan."),
        ("-30万元", "Must not be negative."),
        ("-" + "9" * 5000 + "万", "Must not be negative."),  # as "-" and 5,000 digits always said
        ("30万万", "Not a whole number of yuan."),
        ("万元", "Not a whole number of yuan."),
        ("1e5", "Not a whole number of yuan."),
        ("9" * 5000 + "万", "Number too large."),
        ("1000000000万", "Number too large."),
        # 29 significant digits: Decimal's default 28 would round the product to a whole 10^12.
        ("100000000.00000000000000000001万", "Not a whole number of yuan."),
    ],
    ids=["float", "whole float", "fraction text", "fraction Decimal", "True", "False", "empty", "letters",
         "superscript", "list", "negative", "negative text", "negative with commas", "null",
         "fraction of a yuan in wan", "fraction of a yuan", "negative wan", "negative 5,000 digits of wan", "wan twice", "no number",
         "exponent", "5,000 digits of wan", "over the maximum in wan", "a fraction beyond Decimal's precision"],
)
def test_money_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        Money().deserialize(raw)
    assert exc.value.messages == [message]


# ---------------------------------------------------------------------------
# New versions: the schema they must pass
# ---------------------------------------------------------------------------

GOOD_VERSION = {"value": 350000, "effective_from": "2025-01-01", "reason": "市政府调整", "reference": "嘉政发〔2024〕9号"}


def test_version_schema_loads_a_good_version(registry):
    schema = version_schema(registry.parameters["reward_tiers.lead.national"])
    assert schema.load(GOOD_VERSION) == {
        "value": 350000, "effective_from": date(2025, 1, 1), "reason": "市政府调整", "reference": "嘉政发〔2024〕9号",
    }
    assert schema.load(dict(GOOD_VERSION, value="350,000"))["value"] == 350000
    assert version_schema(registry.parameters["reward_tiers.lead.national"]) is schema  # cached per declaration
    # text with leading spaces is not blank
    assert schema.load(dict(GOOD_VERSION, reason=" 2025 amendment"))["reason"].strip() == "2025 amendment"


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"reason": ""}, {"reason": ["Must not be blank."]}),
        ({"reason": "   "}, {"reason": ["Must not be blank."]}),
        ({"reference": "\t\n"}, {"reference": ["Must not be blank."]}),
        ({"effective_from": "2025-02-30"}, {"effective_from": ["Not a valid date."]}),
        ({"effective_from": "soon"}, {"effective_from": ["Not a valid date."]}),
        ({"value": 1.5}, {"value": ["Not a whole number of yuan."]}),
        ({"value": -1}, {"value": ["Must not be negative."]}),
        ({"reason": None}, {"reason": ["Field may not be null."]}),
    ],
    ids=["empty reason", "blank reason", "blank reference", "impossible date", "not a date", "fraction", "negative", "null reason"],
)
def test_version_schema_refuses(registry, change, errors):
    schema = version_schema(registry.parameters["reward_tiers.lead.national"])
    with pytest.raises(ValidationError) as exc:
        schema.load(dict(GOOD_VERSION, **change))
    assert exc.value.messages == errors


def test_version_schema_requires_every_field(registry):
    schema = version_schema(registry.parameters["reward_tiers.award.first"])
    with pytest.raises(ValidationError) as exc:
        schema.load({})
    assert exc.value.messages == {k: ["Missing data for required field."] for k in ("value", "effective_from", "reason", "reference")}


def test_version_schema_applies_declared_bounds():
    decl = ParameterDeclaration(key="demo.count", label=Text("数", "n"), unit=Text("个", "items"), type="integer",
                                clause="一", minimum=1, maximum=10)
    schema = version_schema(decl)
    assert schema.load(dict(GOOD_VERSION, value="7"))["value"] == 7
    with pytest.raises(ValidationError) as exc:
        schema.load(dict(GOOD_VERSION, value=11))
    assert exc.value.messages == {"value": ["Must be greater than or equal to 1 and less than or equal to 10."]}


# ---------------------------------------------------------------------------
# Stored text of a value
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("decl_type", "value"),
    [
        ("money", 300000),
        ("integer", -3),
        ("decimal", Decimal("0.10")),
        ("decimal", Decimal("12345678901234567890.123456789")),
        ("decimal", Decimal("1E-28")),
        ("boolean", True),
        ("string", "浙江制造"),
        ("string_list", ["ZZB", "ZNZ"]),
    ],
    ids=["money", "integer", "decimal trailing zero", "decimal long", "decimal tiny", "boolean", "string", "string list"],
)
def test_encode_decode_round_trip(decl_type, value):
    text = encode_value(decl_type, value)
    back = decode_value(decl_type, text)
    assert back == value and type(back) is type(value)
    if decl_type == "decimal":
        assert str(back) == str(value)  # exact, digits and exponent kept


def test_encoded_text_is_canonical():
    assert encode_value("decimal", Decimal("0.10")) == '"0.10"'  # a string: never a float
    assert encode_value("money", 300000) == "300000"
    assert encode_value("string", "浙江") == '"浙江"'  # readable, not \\u escapes


def test_decode_refuses_a_stored_non_number():
    with pytest.raises(ValueError, match="is not a number"):
        decode_value("decimal", '"abc"')
