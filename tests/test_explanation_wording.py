"""Explanations cite dates and clauses as a document writes them, in each language.

Dates: ``2022年8月1日`` and ``1 August 2022``, never ``2022-08-01``
(``core.date_zh``, ``core.date_en``); clauses: ``第二部分第(五)项第1目`` and
``Part II, item (5), point 1``, never Chinese numerals in the English
(``core.clause_words``). docs/plugins/explanations.md asks it of every plugin;
checked on every built-in plugin's demo records.
"""

from __future__ import annotations

import json
import locale
import re
from datetime import date
from importlib import resources

import pytest

from core import clause_words, date_en, date_zh, load_registry
from core.evaluation import EvaluationContext

ISO_DATE = re.compile(r"(?<![\d/.-])\d{4}-\d{2}-\d{2}(?![\d-])")


def test_the_two_spellings_of_a_date() -> None:
    assert (date_zh(date(2022, 8, 1)), date_en(date(2022, 8, 1))) == ("2022年8月1日", "1 August 2022")
    assert (date_zh(date(2024, 12, 31)), date_en(date(2024, 12, 31))) == ("2024年12月31日", "31 December 2024")


def test_english_month_names_whatever_the_locale() -> None:
    previous = locale.setlocale(locale.LC_TIME)
    try:
        for name in ("zh_CN.UTF-8", "de_DE.UTF-8", "C.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            assert date_en(date(2022, 3, 5)) == "5 March 2022"
    finally:
        locale.setlocale(locale.LC_TIME, previous)


def test_clauses_in_both_languages() -> None:
    assert clause_words("三(二)") == ("第三部分第(二)项", "Part III, item (2)")
    assert clause_words("二(五)1") == ("第二部分第(五)项第1目", "Part II, item (5), point 1")
    assert clause_words("二（十二）3") == ("第二部分第(十二)项第3目", "Part II, item (12), point 3")
    assert clause_words("七(二十一)") == ("第七部分第(二十一)项", "Part VII, item (21)")
    for odd in ("Annex 2", "十十(一)", "", "三(二"):
        assert clause_words(odd) == (odd, odd)


@pytest.fixture(scope="module")
def explanations() -> list[tuple[str, str, str]]:
    """(activity id, Chinese, English) of every outcome of every plugin's demo records."""
    registry = load_registry()  # every built-in plugin
    records = json.loads(resources.files("core").joinpath("data/demo_activities.json").read_text(encoding="utf-8"))
    records += [record for found in registry.demo_records().values() for record in found]
    references = registry.default_references(demo=True)
    report = registry.validate(records, references=references)
    assert report.valid and not report.invalid
    context = EvaluationContext(parameters=registry.default_parameters(), references=references,
                                evaluated_on=date(2025, 6, 30))
    result = registry.evaluate(report.valid, context)
    plugins = {outcome.plugin for outcome in result.outcomes}
    assert {"reward_tiers", "carbon", "benchmarking", "public_services"} <= plugins
    return [(o.activity.ref, o.explanation_zh, o.explanation_en) for o in result.outcomes]


def test_no_explanation_writes_an_iso_date(explanations: list[tuple[str, str, str]]) -> None:
    found = [(ref, text) for ref, zh, en in explanations for text in (zh, en) if ISO_DATE.search(text)]
    assert not found, found[:5]


def test_the_explanations_do_state_dates(explanations: list[tuple[str, str, str]]) -> None:
    """The check above is not vacuous: dates are there, in both spellings."""
    assert any(re.search(r"\d{4}年\d{1,2}月\d{1,2}日", zh) for _, zh, _ in explanations)
    assert any(re.search(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November"
                         r"|December) \d{4}\b", en) for _, _, en in explanations)


def test_no_english_explanation_cites_a_clause_in_chinese_numerals(explanations: list[tuple[str, str, str]]) -> None:
    numbered = re.compile(r"\b(?:[Pp]art|item|point) \(?[一二三四五六七八九十]")
    found = [(ref, en) for ref, _, en in explanations if numbered.search(en)]
    assert not found, found[:3]
