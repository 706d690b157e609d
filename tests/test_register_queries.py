"""core.store.register: the register's pages, filters, scoping, one activity, export rows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.interchange import read_records
from core.models import ActivityRecord, OutcomeRecord
from core.store import find_department, import_records, record_version, reevaluate, set_enabled
from core.services import preview_import
from core.store.register import (
    EXPORT_COLUMNS,
    RegisterFilter,
    activity_detail,
    export_rows,
    format_parameters,
    register_page,
    visible_kinds,
    year_range,
)

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "docs/examples/activities.json", ROOT / "core/data/demo_activities.json"]
REWARD = {"reward_tiers"}


def _records() -> list[dict]:
    records = []
    for path in FILES:
        records.extend(json.loads(path.read_text(encoding="utf-8")))
    return records


#: The records of the two files in import order (stored ids follow it).
RECORDS = _records()
#: Newest first: date descending, then the later import first (the register's order).
ORDERED = [r for _, r in sorted(enumerate(RECORDS), key=lambda ir: (ir[1]["date"], ir[0]), reverse=True)]
ALL = [r["id"] for r in ORDERED]


def expected(predicate) -> list[str]:
    """The ids of the records ``predicate`` accepts, in register order (computed from the files)."""
    return [r["id"] for r in ORDERED if predicate(r)]


JIASHAN_CODE = "91330421MA2D0L608J"  # 嘉善恒昇电子科技有限公司
JIASHAN = expected(lambda r: r["credit_code"] == JIASHAN_CODE)


def current_amounts() -> dict[str, int]:
    """External id → sum of its current outcomes, read plainly from the table."""
    totals: dict[str, int] = {}
    for ref, amount in db.session.execute(
        select(ActivityRecord.external_id, OutcomeRecord.amount)
        .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(OutcomeRecord.superseded_at.is_(None))
    ):
        totals[ref] = totals.get(ref, 0) + amount
    return totals


def load_examples(app) -> dict[str, int]:
    """Import the example and demo activities; external id → stored id."""
    with app.app_context():
        registry = get_registry()
        for path in FILES:
            result = import_records(registry, read_records(str(path), registry), source=path.name, actor="tests")
            assert result.ok, result.report.invalid
        db.session.commit()
        return dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())


@pytest.fixture
def ids(app) -> dict[str, int]:
    return load_examples(app)


def refs(page_or_rows) -> list[str]:
    rows = getattr(page_or_rows, "rows", page_or_rows)
    return [row.ref for row in rows]


def every_page(registry, filters: dict, total: int, per_page: int = 4) -> list[str]:
    """The refs of every page of the register filtered by ``filters``, first to last; each page must say ``total``."""
    got: list[str] = []
    for n in range(1, total // per_page + 3):
        page = register_page(registry, REWARD, RegisterFilter(**filters), page=n, per_page=per_page)
        assert page.total == total, filters
        got += refs(page)
        if not page.has_next:
            return got
    raise AssertionError(f"{filters}: a next page after every activity was listed")


def import_paid(registry, ref: str, day: str, standard: str) -> None:
    """Import one paid activity (JIASHAN_CODE led national standard ``standard``): a new evaluation run, uncommitted."""
    result = import_records(registry, [{
        "id": ref, "kind": "standard_drafting", "date": day, "credit_code": JIASHAN_CODE,
        "standard_code": standard, "rank": 1,
    }], source="tests", actor="tests")
    assert result.ok and result.result.total_amount > 0


def listing(**filters) -> list[str]:
    return refs(register_page(get_registry(), REWARD, RegisterFilter(**filters), per_page=100))


def test_all_newest_first_with_amounts(app, ids):
    with app.app_context():
        page = register_page(get_registry(), REWARD)
        assert page.total == 34 and page.pages == 1
        assert refs(page) == ALL
        by_ref = {row.ref: row for row in page.rows}
        assert by_ref["EX-007"].amount == 1_000_000 and by_ref["EX-007"].rules == [("R10", 1_000_000)]
        assert by_ref["EX-002"].amount == 150_000 and by_ref["EX-002"].rules == [("R6", 150_000)]
        assert by_ref["EX-004"].amount == 0 and by_ref["EX-004"].rules == [("R3", 0)]
        assert by_ref["EX-003"].organisation == "嘉善恒昇电子科技有限公司"
        assert by_ref["EX-003"].credit_code == "91330421MA2D0L608J"
        assert by_ref["EX-003"].county.zh == "嘉善县"
        assert by_ref["EX-001"].subject == "GB/T 45123-2025"


def test_pagination(app, ids):
    with app.app_context():
        registry = get_registry()
        pages = [register_page(registry, REWARD, page=n, per_page=10) for n in (1, 2, 3, 4)]
        assert [refs(p) for p in pages] == [ALL[0:10], ALL[10:20], ALL[20:30], ALL[30:34]]
        assert pages[0].pages == 4 and not pages[0].has_prev and pages[0].has_next
        assert pages[3].has_prev and not pages[3].has_next and (pages[3].first, pages[3].last) == (31, 34)
        # past the end: the last page; before the start: the first
        assert refs(register_page(registry, REWARD, page=99, per_page=10)) == ALL[30:34]
        assert refs(register_page(registry, REWARD, page=0, per_page=10)) == ALL[0:10]


def _subject(r: dict) -> str:
    return r.get("standard_code") or r.get("committee_code") or r.get("award") or r.get("pilot_level") or ""


def _canonical(number: str) -> str:
    return number.replace("—", "-")


@pytest.mark.parametrize("q, predicate", [
    # organisation name, part of it
    ("嘉善", lambda r: "嘉善" in (r.get("organisation") or "")),
    ("恒昇电子", lambda r: r["credit_code"] == JIASHAN_CODE),
    # credit code: its start, all of it, in lower case
    ("91330421", lambda r: r["credit_code"].startswith("91330421")),
    (JIASHAN_CODE, lambda r: r["credit_code"] == JIASHAN_CODE),
    (JIASHAN_CODE.lower(), lambda r: r["credit_code"] == JIASHAN_CODE),
    # a standard number as stored, without the space and with an em dash, full-width, lower case, a part
    ("GB/T 42587-2023", lambda r: _canonical(_subject(r)) == "GB/T 42587-2023"),
    ("GB/T42587—2023", lambda r: _canonical(_subject(r)) == "GB/T 42587-2023"),
    ("ＧＢ／Ｔ 42587—2023", lambda r: _canonical(_subject(r)) == "GB/T 42587-2023"),
    ("gb/t 45123", lambda r: _subject(r).startswith("GB/T 45123")),
    ("42587", lambda r: "42587" in _subject(r)),
    # a committee
    ("SAC/TC 548", lambda r: _subject(r).replace(" ", "").startswith("SAC/TC548")),
    # the record's own id
    ("JX-007", lambda r: r["id"] == "JX-007"),
    ("  JX-007 ", lambda r: r["id"] == "JX-007"),
    # LIKE wildcards are literal characters
    ("%", lambda r: False),
    ("_", lambda r: False),
    ("no such thing", lambda r: False),
])
def test_search(app, ids, q, predicate):
    with app.app_context():
        found = listing(q=q)
        assert found == expected(predicate)
        if q.strip() not in ("%", "_", "no such thing"):
            assert found  # each case finds something in the example data


def test_search_examples_by_hand(app, ids):
    with app.app_context():
        assert set(listing(q="GB/T45123—2025")) == {"EX-001", "EX-002"}
        assert listing(q="嘉善") == JIASHAN and len(JIASHAN) >= 2


def test_filters(app, ids):
    year = lambda r: int(r["date"][:4])  # noqa: E731
    county = lambda r: r["credit_code"][2:8]  # noqa: E731
    with app.app_context():
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
        for kind in ("standard_drafting", "tc_secretariat", "innovation_award", "pilot_project"):
            assert listing(kind=kind) == expected(lambda r: r["kind"] == kind)
        assert listing(kind="tc_secretariat")[:2] == ["EX-006", "JX-020"]
        for y in (2022, 2023, 2024, 2025):
            assert listing(year=y) == expected(lambda r: year(r) == y)
        assert listing(year=2021) == []
        for code in ("330400", "330402", "330411", "330421", "330424", "330481", "330482", "330483"):
            assert listing(county=code) == expected(lambda r: county(r) == code)
        assert listing(county="330421") == JIASHAN
        assert listing(plugin="reward_tiers") == ALL
        assert listing(paid_only=True) == expected(lambda r: r["id"] in paid)
        assert 0 < len(paid) < len(ALL)
        assert "EX-007" in paid and "EX-004" not in paid and "EX-005" not in paid  # R10; a revision; before 2022-08-01
        assert listing(year=2024, county="330400", paid_only=True) == expected(
            lambda r: year(r) == 2024 and county(r) == "330400" and r["id"] in paid)
        assert listing(kind="standard_drafting", year=2023, q="浙江秀洲") == expected(
            lambda r: r["kind"] == "standard_drafting" and year(r) == 2023 and "浙江秀洲" in r["organisation"])
        page = register_page(get_registry(), REWARD, RegisterFilter(kind="innovation_award", paid_only=True))
        awards = expected(lambda r: r["kind"] == "innovation_award" and r["id"] in paid)
        assert page.total == len(awards)
        assert sum(r.amount for r in page.rows) == sum(current_amounts()[ref] for ref in awards)


def test_department_scoping(app, ids):
    with app.app_context():
        registry = get_registry()
        # civil affairs enables public_services only (not installed): it sees no activity at all
        civil = find_department("civil_affairs")
        from core.store import enabled_plugins

        plugins = enabled_plugins(civil)
        assert "reward_tiers" not in plugins
        assert register_page(registry, plugins).total == 0
        assert register_page(registry, set()).total == 0
        assert list(export_rows(registry, plugins)) == []
        assert activity_detail(registry, plugins, ids["EX-001"]) is None
        # a filter for a kind or plugin the department does not see finds nothing
        assert register_page(registry, {"carbon"}, RegisterFilter(kind="standard_drafting")).total == 0
        assert register_page(registry, REWARD, RegisterFilter(plugin="carbon")).total == 0
        assert register_page(registry, REWARD, RegisterFilter(kind="no_such_kind")).total == 0
        assert visible_kinds(registry, REWARD) == ["standard_drafting", "tc_secretariat", "innovation_award", "pilot_project"]
        assert activity_detail(registry, REWARD, 999_999) is None


def test_year_range(app, ids):
    with app.app_context():
        assert year_range() == (2022, 2025)


def test_year_range_empty(app):
    with app.app_context():
        assert year_range() is None


def _raise_participation(app) -> int:
    """A new national participation amount from 2025-01-01, re-evaluated; the version's id."""
    with app.app_context():
        registry = get_registry()
        version = record_version(registry, "reward_tiers.participate.national", {
            "value": 200000, "effective_from": "2025-01-01", "reason": "test raise", "reference": "test doc",
        }, actor="tests", source="cli")
        reevaluate(registry, actor="tests")
        db.session.commit()
        return version.id


def test_detail_and_superseded_history(app, ids):
    version_id = _raise_participation(app)
    with app.app_context():
        registry = get_registry()
        detail = activity_detail(registry, REWARD, ids["EX-002"])
        assert detail.record.external_id == "EX-002"
        assert detail.organisation.name == "平湖光电新能源有限公司"
        assert [(o.rule, o.amount) for o in detail.current] == [("R6", 200_000)]
        assert detail.amount == 200_000
        assert [(o.rule, o.amount) for o in detail.superseded] == [("R6", 150_000)]
        assert detail.superseded[0].superseded_at is not None
        used = {p["key"]: p for p in detail.current[0].parameters}
        assert used["reward_tiers.participate.national"]["version_id"] == version_id
        assert used["reward_tiers.participate.national"]["value"] == 200000
        # the register shows the current amount only; an activity dated before the change keeps its amount
        page = register_page(registry, REWARD, RegisterFilter(q="GB/T 45123-2025"))
        assert [(r.ref, r.amount) for r in page.rows] == [("EX-002", 200_000), ("EX-001", 300_000)]
        assert register_page(registry, REWARD, RegisterFilter(q="EX-003")).rows[0].amount == 300_000  # international: unchanged


def test_export_rows(app, ids):
    with app.app_context():
        registry = get_registry()
        rows = list(export_rows(registry, REWARD))
        assert [r.external_id for r in rows] == ALL  # one current outcome each
        ex7 = next(r for r in rows if r.external_id == "EX-007")
        assert (ex7.activity_id, ex7.date, ex7.organisation, ex7.credit_code) == (
            ids["EX-007"], date(2024, 12, 18), "嘉兴市某某制造有限公司", "913304007429141869")
        assert (ex7.kind, ex7.subject, ex7.plugin, ex7.rule, ex7.amount, ex7.clause) == (
            "innovation_award", "first", "reward_tiers", "R10", 1_000_000, "三(二)")
        assert ex7.plugin_version == registry.plugins["reward_tiers"].version
        assert isinstance(ex7.amount, int)
        assert "1,000,000" in ex7.explanation_en or "1000000" in ex7.explanation_en
        assert ex7.explanation_zh and ex7.explanation_zh != ex7.explanation_en
        assert ex7.parameters.startswith("reward_tiers.award.first=1000000 (#")
        assert " from 2022-08-01)" in ex7.parameters
        assert ex7.county.zh == "嘉兴市(市本级)"
        for name in EXPORT_COLUMNS:
            assert hasattr(ex7, name)
        assert [r.external_id for r in export_rows(registry, REWARD, RegisterFilter(kind="tc_secretariat"))] == \
            expected(lambda r: r["kind"] == "tc_secretariat")
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
        assert [r.external_id for r in export_rows(registry, REWARD, RegisterFilter(q="嘉善", paid_only=True))] == \
            expected(lambda r: r["credit_code"] == JIASHAN_CODE and r["id"] in paid)


def test_export_rows_superseded_and_activities_without_outcomes(app, ids):
    _raise_participation(app)
    with app.app_context():
        registry = get_registry()
        rows = list(export_rows(registry, REWARD, RegisterFilter(q="EX-002")))
        assert [(r.rule, r.amount) for r in rows] == [("R6", 200_000)]  # the superseded one is not exported
        # switched off everywhere and re-evaluated: every outcome is superseded, none current
        set_enabled(find_department("market_regulation"), "reward_tiers", False, "tests")
        reevaluate(registry, actor="tests")
        db.session.commit()
        assert db.session.scalar(select(OutcomeRecord.id).where(OutcomeRecord.superseded_at.is_(None))) is None
        rows = list(export_rows(registry, REWARD))
        assert [r.external_id for r in rows] == ALL
        assert all(r.rule is None and r.amount is None and r.plugin is None and r.parameters is None for r in rows)
        page = register_page(registry, REWARD, RegisterFilter(paid_only=True))
        assert page.total == 0
        assert all(r.amount == 0 and r.rules == [] for r in register_page(registry, REWARD).rows)


def test_format_parameters():
    assert format_parameters([
        {"key": "a.b", "value": 300000, "effective_from": "2022-08-01", "version_id": 7},
        {"key": "a.c", "value": "x", "effective_from": "2023-01-01", "version_id": None},
        {"key": "a.d", "value": ["一", "b"], "effective_from": "2023-01-01", "version_id": 2},
    ]) == 'a.b=300000 (#7 from 2022-08-01); a.c=x (from 2023-01-01); a.d=["一", "b"] (#2 from 2023-01-01)'
    assert format_parameters([]) == "" and format_parameters(None) == ""
    # the number is the version's number within its key: carried by the outcome, or looked up by id
    assert format_parameters([
        {"key": "a.b", "value": 1, "effective_from": "2022-08-01", "version_id": 20, "sequence": 2},
        {"key": "a.c", "value": 1, "effective_from": "2022-08-01", "version_id": 21},
    ], {21: 3}) == "a.b=1 (#2 from 2022-08-01); a.c=1 (#3 from 2022-08-01)"


def test_preview_import_stores_nothing(app, ids):
    with app.app_context():
        registry = get_registry()
        before = db.session.scalar(select(db.func.count(ActivityRecord.id)))
        records = read_records(str(FILES[0]), registry)
        preview = preview_import(registry, records + [dict(records[0])])
        assert preview.ok is False  # the repeated id is an error
        preview = preview_import(registry, records)
        assert (preview.valid, preview.new, preview.already_stored, preview.repeated) == (8, 0, 8, 0)
        fresh = dict(records[0], id="NEW-1", standard_code="GB/T 45999-2025")
        preview = preview_import(registry, [fresh, dict(fresh, id=None)])
        assert (preview.new, preview.already_stored) == (2, 0)
        copy = {k: v for k, v in fresh.items() if k != "id"}
        preview = preview_import(registry, [copy, dict(copy)])
        assert (preview.new, preview.repeated) == (1, 1)
        preview = preview_import(registry, [fresh], kinds=["tc_secretariat"])
        assert not preview.ok
        [error] = preview.invalid[0].errors
        assert error.field == "kind" and "standard_drafting" in error.message and "“标准制定”" in error.message_zh
        db.session.rollback()
        assert db.session.scalar(select(db.func.count(ActivityRecord.id))) == before


@pytest.mark.parametrize("path", ["few", "probe", "rows"])
def test_every_query_shape_gives_the_same_rows(app, ids, monkeypatch, path):
    """A page is read one of three ways (by id, walking the date index with sets, or with row tests)."""
    from core.store.register import thresholds as register

    if path == "few":
        monkeypatch.setattr(register, "FEW", 10**9)
        monkeypatch.setattr(register, "SHORT_WALK", -1)
    elif path == "probe":
        monkeypatch.setattr(register, "FEW", -1)
        monkeypatch.setattr(register, "SHORT_WALK", -1)
    else:
        monkeypatch.setattr(register, "SHORT_WALK", 10**12)
    year = lambda r: int(r["date"][:4])  # noqa: E731
    with app.app_context():
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
        cases = [
            ({}, lambda r: True),
            ({"kind": "standard_drafting"}, lambda r: r["kind"] == "standard_drafting"),
            ({"county": "330421"}, lambda r: r["credit_code"][2:8] == "330421"),
            ({"q": "嘉善"}, lambda r: "嘉善" in r["organisation"]),
            ({"q": "GB/T42587—2023"}, lambda r: r.get("standard_code", "").replace("—", "-") == "GB/T 42587-2023"),
            ({"paid_only": True}, lambda r: r["id"] in paid),
            ({"paid_only": True, "year": 2024}, lambda r: r["id"] in paid and year(r) == 2024),
            ({"paid_only": True, "kind": "standard_drafting", "county": "330400"},
             lambda r: r["id"] in paid and r["kind"] == "standard_drafting" and r["credit_code"][2:8] == "330400"),
            ({"q": "嘉兴", "year": 2023}, lambda r: "嘉兴" in r["organisation"] and year(r) == 2023),
        ]
        registry = get_registry()
        for filters, predicate in cases:
            want = expected(predicate)
            assert want, filters
            assert every_page(registry, filters, len(want)) == want, filters
            assert [r.external_id for r in export_rows(registry, REWARD, RegisterFilter(**filters))] == want


def test_a_stored_kind_no_plugin_declares_is_never_shown(app, ids):
    """Activities of an uninstalled plugin's kind stay stored but out of every register."""
    from core.models import Organisation

    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == JIASHAN_CODE))
        db.session.add(ActivityRecord(
            kind="retired_kind", organisation_id=org.id, date=date(2025, 12, 1), fields={}, subject="GB/T 42587-2023",
            external_id="OLD-1", fingerprint="f" * 64, source="tests", created_by="tests",
        ))
        db.session.commit()
        old_id = db.session.scalar(select(ActivityRecord.id).where(ActivityRecord.external_id == "OLD-1"))
        registry = get_registry()
        assert listing() == ALL
        assert listing(q="OLD-1") == [] and listing(county="330421") == JIASHAN
        assert listing(q="GB/T 42587-2023") == expected(
            lambda r: r.get("standard_code", "").replace("—", "-") == "GB/T 42587-2023")
        assert register_page(registry, REWARD).total == len(ALL)
        assert "OLD-1" not in [r.external_id for r in export_rows(registry, REWARD)]
        assert activity_detail(registry, REWARD, old_id) is None


def test_search_counts_an_activity_matching_several_ways_once(app, ids):
    """Organisation name, subject and own id all match: one activity, counted once, on every page shape."""
    with app.app_context():
        registry = get_registry()
        result = import_records(registry, [{
            "id": "45123", "kind": "standard_drafting", "date": "2025-07-01", "credit_code": "91330402MA2BK7Q04U",
            "organisation": "嘉兴禾润新材料股份有限公司", "standard_code": "GB/T 45123-2025", "rank": 2,
        }], source="tests", actor="tests")
        assert result.ok and len(result.stored) == 1
        db.session.commit()
        want = ["45123"] + expected(lambda r: r.get("standard_code", "").startswith("GB/T 45123"))
        for q in ("45123", "GB/T45123—2025"):
            page = register_page(registry, REWARD, RegisterFilter(q=q))
            assert page.total == len(want) and refs(page) == want
            page = register_page(registry, REWARD, RegisterFilter(q=q, year=2025))
            assert page.total == len(want) and refs(page) == want
        # the organisation matches too (its name), and its other activities with it
        page = register_page(registry, REWARD, RegisterFilter(q="禾润"))
        assert page.total == 1 + len(expected(lambda r: "禾润" in r["organisation"]))


def test_paid_count_follows_every_evaluation_run(app, ids):
    """The "paid only" count is kept until the next run: an import or a re-evaluation changes it at once."""
    def paid_total() -> int:
        return register_page(get_registry(), REWARD, RegisterFilter(paid_only=True)).total

    with app.app_context():
        registry = get_registry()
        before = paid_total()
        assert before == sum(1 for amount in current_amounts().values() if amount > 0)
        assert paid_total() == before  # again, from the cache
        import_paid(registry, "PAID-NEW", "2025-07-01", "GB/T 46001-2025")
        db.session.commit()
        assert paid_total() == before + 1
        # a national participation worth nothing from 2025: those activities are no longer paid
        record_version(registry, "reward_tiers.participate.national", {
            "value": 0, "effective_from": "2025-01-01", "reason": "test", "reference": "test doc",
        }, actor="tests", source="cli")
        reevaluate(registry, actor="tests")
        db.session.commit()
        after = sum(1 for amount in current_amounts().values() if amount > 0)
        assert paid_total() == after and after < before + 1
