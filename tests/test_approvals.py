"""Approval lists (拨付清单): issue, freeze, supplement, export (XLSX, PDF, public notice) — service and command line."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core.app import get_registry
from core.approvals import capital_yuan, clause_as_printed
from core.db import db
from core.models import ApprovalListItemRecord, ApprovalListRecord, AuditEntry, Department
from core.services import approvals as service
from review_support import HELD_RECORDS

TITLE = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
LOCAL = "reward_tiers.lead.local"              # JX-005, DB33/T 2598-2023, lead: 200,000
PARTICIPATE = "reward_tiers.participate.national"  # JX-009, GB/T 43867-2024, rank 4: 150,000


def invoke(runner, *args: str):
    return runner.invoke(args=list(args))


def count(app: Flask, model) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)))


def snapshot(app: Flask, number: str) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The list and its rows, every column."""
    with app.app_context():
        record = db.session.scalar(select(ApprovalListRecord).filter_by(number=number))
        assert record is not None, number
        items = db.session.scalars(select(ApprovalListItemRecord).filter_by(list_id=record.id)
                                   .order_by(ApprovalListItemRecord.position))
        columns = ApprovalListItemRecord.__table__.columns
        head = tuple(getattr(record, c.name) for c in ApprovalListRecord.__table__.columns)
        return head, [tuple(getattr(item, c.name) for c in columns) for item in items]


def pdf_text(data: bytes) -> str:
    """Every page's text, lines joined (a long title or name may wrap in its cell)."""
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


@pytest.fixture
def demo(bare_app: Flask):
    runner = bare_app.test_cli_runner()
    done = invoke(runner, "init", "--demo")
    assert done.exit_code == 0, done.output
    return runner


def create(runner, *extra: str, period: tuple[str, str] = ("2024-01-01", "2024-12-31")):
    return invoke(runner, "approvals", "create", "--from", period[0], "--to", period[1],
                  "--department", "market_regulation", *extra)


def export(runner, tmp_path: Path, number: str, fmt: str) -> bytes:
    out = tmp_path / f"{number}.{fmt}"
    done = invoke(runner, "approvals", "export", number, "--format", fmt, "--output", str(out))
    assert done.exit_code == 0, done.output
    return out.read_bytes()


# -- capital numerals and clauses ---------------------------------------------------

@pytest.mark.parametrize(("amount", "written"), [
    (300000, "叁拾万元整"),
    (10500000, "壹仟零伍拾万元整"),
    (100000, "壹拾万元整"),
    (100500, "壹拾万零伍佰元整"),
    (150000, "壹拾伍万元整"),
    (1000010, "壹佰万零壹拾元整"),
    (1010000, "壹佰零壹万元整"),
    (20000, "贰万元整"),
    (3200000, "叁佰贰拾万元整"),
    (-50000, "负伍万元整"),
])
def test_capital_numerals_as_finance_writes_them(amount: int, written: str) -> None:
    assert capital_yuan(amount) == written


def test_capital_numerals_take_integer_yuan_only() -> None:
    with pytest.raises(TypeError):
        capital_yuan(300000.0)  # type: ignore[arg-type]


def test_clause_as_the_document_numbers_it() -> None:
    assert clause_as_printed("三(二)") == "第三部分第(二)项"
    assert clause_as_printed("三(二)") == "第三部分第(二)项"
    assert clause_as_printed("Annex 2") == "Annex 2"


# -- the demo data's list for 2024, end to end ---------------------------------------

def test_a_list_for_2024_on_the_demo_data_exports_and_stays_as_issued(bare_app: Flask, demo, tmp_path: Path) -> None:
    runner = demo
    issued = create(runner, "--note", "2024年度第一批")
    assert issued.exit_code == 0, issued.output
    assert issued.output.startswith("issued approval list 2024-001: 9 rows, total 3,200,000 yuan")

    [listed] = json.loads(invoke(runner, "approvals", "list", "--format", "json").output)
    assert (listed["number"], listed["kind"], listed["items"], listed["total_amount"]) == ("2024-001", "original", 9,
                                                                                          3200000)
    shown = invoke(runner, "approvals", "show", "2024-001")
    assert shown.exit_code == 0 and "(verified)" in shown.output and "桐乡玻纤复合材料有限公司" in shown.output

    head, items = snapshot(bare_app, "2024-001")
    with bare_app.app_context():
        record = db.session.scalar(select(ApprovalListRecord).filter_by(number="2024-001"))
        rows = db.session.scalars(select(ApprovalListItemRecord).filter_by(list_id=record.id)).all()
        organisations = {row.organisation_name for row in rows}
        assert sum(row.amount for row in rows) == record.total_amount == 3200000
        assert [row.position for row in rows] == list(range(1, 10))
        assert {row.rule for row in rows} >= {"R3", "R4", "R5", "R6", "R7", "R9", "R10", "R11", "R13"}
        # frozen copies: the achievement as printed, the date, the parameters read
        lead = next(row for row in rows if row.rule == "R3")
        assert (lead.achievement, lead.achievement_date, lead.amount) == ("DB33/T 2598-2023", date(2024, 1, 12), 200000)
        assert lead.parameters and lead.parameters[0]["key"] == LOCAL
        award = next(row for row in rows if row.rule == "R10")
        assert award.achievement == "中国标准创新贡献奖三等奖(获奖项目:皮革 物理和机械试验系列标准)"
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="approvals.issue")).all()
        assert entry.target == "2024-001" and entry.after["total_amount"] == 3200000 and entry.detail == "2024年度第一批"
        assert entry.department.code == "market_regulation"
        assert service.verify(record)

    pdf = export(runner, tmp_path, "2024-001", "pdf")
    text = pdf_text(pdf)
    assert TITLE in text and "第三部分第(二)项" in text and "叁佰贰拾万元整" in text
    for name in organisations:
        assert name in text, name
    for label in ("经办人", "复核人", "审批人", "清单编号:2024-001", "小计:海宁市", "合计(9项)", "第 1 页"):
        assert label in text, label

    notice = pdf_text(export(runner, tmp_path, "2024-001", "notice"))
    assert "公示" in notice and "7个工作日" in notice and "叁佰贰拾万元整" in notice
    for name in organisations:
        assert name in notice
    with bare_app.app_context():
        for row in db.session.scalars(select(ApprovalListItemRecord)):
            assert row.credit_code not in notice  # no credit codes in the public notice
    assert "参数" not in notice and "reward_tiers" not in notice

    xlsx = export(runner, tmp_path, "2024-001", "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    flat = [str(c) for row in cells for c in row if c is not None]
    assert flat[0] == "标准化奖励与补助资金拨付清单"
    assert f"政策依据:{TITLE}第三部分第(二)项" in flat and "清单编号:2024-001" in flat
    header = next(i for i, row in enumerate(cells) if row[0] == "序号")
    assert cells[header][:3] == ("序号", "单位名称", "统一社会信用代码")
    assert [row[0] for row in cells[header + 1:] if isinstance(row[0], int)] == list(range(1, 10))
    [total] = [row for row in cells if row[1] == "合计(9项)"]
    assert (total[7], total[8]) == (3200000, "叁佰贰拾万元整")
    [haining] = [row for row in cells if row[1] == "小计:海宁市(2项)"]
    assert (haining[7], haining[8]) == (700000, "柒拾万元整")
    assert any(row[1] == "经办人:" and row[3] == "复核人:" and row[5] == "审批人:" for row in cells)

    # A parameter change and a re-evaluation: the outcomes change, the issued list does not.
    assert invoke(runner, "params", "set", LOCAL, "250000", "--from", "2022-08-01", "--reason", "test",
                  "--reference", "嘉委发〔2025〕1号").exit_code == 0
    assert invoke(runner, "reevaluate").exit_code == 0
    assert snapshot(bare_app, "2024-001") == (head, items)
    assert export(runner, tmp_path, "2024-001", "pdf") == pdf
    assert export(runner, tmp_path, "2024-001", "xlsx") == xlsx
    with bare_app.app_context():
        assert service.verify(db.session.scalar(select(ApprovalListRecord).filter_by(number="2024-001")))

    # The same period again: nothing new is payable; what changed goes on a supplementary list.
    again = create(runner)
    assert again.exit_code == 2 and "nothing payable from 2024-01-01 to 2024-12-31" in again.output
    supplement = create(runner, "--supplements", "2024-001")
    assert supplement.exit_code == 0, supplement.output
    assert supplement.output.startswith("issued approval list 2024-001-补1: 1 rows, total 50,000 yuan")
    with bare_app.app_context():
        record = db.session.scalar(select(ApprovalListRecord).filter_by(number="2024-001-补1"))
        [row] = db.session.scalars(select(ApprovalListItemRecord).filter_by(list_id=record.id)).all()
        assert record.kind == "supplementary" and record.title.endswith("(补充第2024-001号清单)")
        earlier = db.session.scalar(select(ApprovalListItemRecord).where(
            ApprovalListItemRecord.list_id == record.supplements_id, ApprovalListItemRecord.achievement == "DB33/T 2598-2023"))
        assert row.amount == 50000 and row.corrects_item_id == earlier.id and earlier.position == 1
        assert row.explanation_zh.startswith("原清单2024-001第1行已拨付200000元,现应拨付250000元")
    assert snapshot(bare_app, "2024-001") == (head, items)
    supplement_pdf = pdf_text(export(runner, tmp_path, "2024-001-补1", "pdf"))
    assert "补充第2024-001号清单" in supplement_pdf and "伍万元整" in supplement_pdf
    nothing = create(runner, "--supplements", "2024-001-补1")
    assert nothing.exit_code == 2 and "nothing payable changed since list 2024-001" in nothing.output


def test_an_organisation_named_like_a_formula_is_text_in_the_workbook(bare_app: Flask, demo, tmp_path: Path) -> None:
    # openpyxl writes text starting with "=" as a formula: the applicant's link ran in the finance office's Excel.
    runner = demo
    name = '=HYPERLINK("http://evil.example/","点此核对")'
    new = tmp_path / "formula.json"
    new.write_text(json.dumps([{"id": "JX-F", "kind": "standard_drafting", "date": "2024-11-05",
                                "credit_code": "91330402MA2BK7Q04U", "organisation": name,
                                "standard_code": "GB/T 44100-2024", "rank": 1}]), encoding="utf-8")
    assert invoke(runner, "import", str(new)).exit_code == 0
    assert create(runner).exit_code == 0
    sheet = load_workbook(io.BytesIO(export(runner, tmp_path, "2024-001", "xlsx"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and cell.value.startswith("=")]
    assert [cell.value for cell in cells] == [name] and all(cell.data_type == "s" for cell in cells)


def test_a_supplementary_list_takes_back_what_is_no_longer_payable_and_adds_what_is_new(
        bare_app: Flask, demo, tmp_path: Path) -> None:
    runner = demo
    assert create(runner).exit_code == 0
    # No longer payable: the local standard's reward set to 0; changed: participation raised; new: an activity.
    assert invoke(runner, "params", "set", LOCAL, "0", "--from", "2022-08-01", "--reason", "t").exit_code == 0
    assert invoke(runner, "params", "set", PARTICIPATE, "180000", "--from", "2022-08-01", "--reason", "t").exit_code == 0
    assert invoke(runner, "reevaluate").exit_code == 0
    new = tmp_path / "new.json"
    new.write_text(json.dumps([{"id": "JX-NEW", "kind": "standard_drafting", "date": "2024-11-05",
                                "credit_code": "91330402MA2BK7Q04U", "organisation": "嘉兴禾润新材料股份有限公司",
                                "standard_code": "GB/T 44100-2024", "rank": 1, "title": "新材料 测试方法"}]),
                   encoding="utf-8")
    assert invoke(runner, "import", str(new)).exit_code == 0

    done = create(runner, "--supplements", "2024-001", "--note", "参数调整后补充")
    assert done.exit_code == 0, done.output
    with bare_app.app_context():
        record = db.session.scalar(select(ApprovalListRecord).filter_by(number="2024-001-补1"))
        rows = {row.achievement: row for row in
                db.session.scalars(select(ApprovalListItemRecord).filter_by(list_id=record.id))}
        first = {row.achievement: row for row in db.session.scalars(
            select(ApprovalListItemRecord).join(ApprovalListRecord).where(ApprovalListRecord.number == "2024-001"))}
        assert rows["DB33/T 2598-2023"].amount == -200000
        assert rows["DB33/T 2598-2023"].corrects_item_id == first["DB33/T 2598-2023"].id
        assert "现不再符合拨付条件" in rows["DB33/T 2598-2023"].explanation_zh
        assert rows["GB/T 43867-2024"].amount == 30000
        assert rows["GB/T 43867-2024"].corrects_item_id == first["GB/T 43867-2024"].id
        assert rows["GB/T 44100-2024《新材料 测试方法》"].amount == 300000
        assert rows["GB/T 44100-2024《新材料 测试方法》"].corrects_item_id is None
        assert record.total_amount == -200000 + 30000 + 300000 and record.item_count == 3
    text = pdf_text(export(runner, tmp_path, "2024-001-补1", "pdf"))
    assert "负贰拾万元整" in text and "壹拾叁万元整" in text
    # A later original list for the year does not list the new activity again.
    again = create(runner)
    assert again.exit_code == 2


def test_numbers_run_per_year(bare_app: Flask, demo, tmp_path: Path) -> None:
    runner = demo
    assert create(runner, period=("2024-01-01", "2024-06-30")).output.startswith("issued approval list 2024-001:")
    assert create(runner, period=("2024-07-01", "2024-12-31")).output.startswith("issued approval list 2024-002:")
    assert create(runner, period=("2023-01-01", "2023-12-31")).output.startswith("issued approval list 2023-001:")
    # an overlapping period lists only what no list has yet: here, nothing
    assert create(runner, period=("2024-03-01", "2024-09-30")).exit_code == 2


def test_refused_requests_store_nothing(bare_app: Flask, demo) -> None:
    runner = demo
    empty = create(runner, period=("2019-01-01", "2019-12-31"))
    assert empty.exit_code == 2 and "nothing payable from 2019-01-01 to 2019-12-31" in empty.output
    backwards = create(runner, period=("2024-12-31", "2024-01-01"))
    assert backwards.exit_code == 2 and "--to:" in backwards.output
    bad_day = create(runner, period=("2024-02-30", "2024-12-31"))
    assert bad_day.exit_code == 2 and "--from:" in bad_day.output
    other = invoke(runner, "approvals", "create", "--from", "2024-01-01", "--to", "2024-12-31",
                   "--department", "civil_affairs")
    assert other.exit_code == 2 and "civil_affairs does not own reward_tiers" in other.output
    unknown = create(runner, "--supplements", "2099-001")
    assert unknown.exit_code == 2 and "no approval list is numbered 2099-001" in unknown.output
    missing = invoke(runner, "approvals", "export", "2024-009", "--format", "pdf", "--output", "x.pdf")
    assert missing.exit_code == 2 and "no approval list is numbered '2024-009'" in missing.output
    assert count(bare_app, ApprovalListRecord) == 0 and count(bare_app, ApprovalListItemRecord) == 0
    with bare_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="approvals.issue")) == 0


def test_a_city_administrator_issues_for_any_department_and_a_failure_stores_nothing(
        bare_app: Flask, demo, monkeypatch: pytest.MonkeyPatch) -> None:
    with bare_app.app_context():
        registry = get_registry()
        civil = db.session.scalar(select(Department).filter_by(code="civil_affairs"))
        with pytest.raises(service.ApprovalRefused):
            service.create(registry, "reward_tiers", date(2024, 1, 1), date(2024, 12, 31), actor="t", department=civil)

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(service, "audit", broken)
        with pytest.raises(RuntimeError):
            service.create(registry, "reward_tiers", date(2024, 1, 1), date(2024, 12, 31), actor="t",
                           department=civil, city_admin=True)
    assert count(bare_app, ApprovalListRecord) == 0 and count(bare_app, ApprovalListItemRecord) == 0
    monkeypatch.undo()
    with bare_app.app_context():
        civil = db.session.scalar(select(Department).filter_by(code="civil_affairs"))
        preview = service.draft(get_registry(), "reward_tiers", date(2024, 1, 1), date(2024, 12, 31))
        record = service.create(get_registry(), "reward_tiers", date(2024, 1, 1), date(2024, 12, 31), actor="city",
                                department=civil, city_admin=True)
        assert (record.number, record.item_count, record.total_amount) == ("2024-001", len(preview.rows), preview.total)
        assert [c.county.zh for c in preview.counties][:2] == ["嘉兴市(市本级)", "嘉善县"]


def test_issuers_at_the_same_time_get_distinct_numbers_and_nothing_twice(bare_app: Flask, demo, database_url: str,
                                                                         tmp_path: Path) -> None:
    from fault_support import start_stdpolicy

    instance = tmp_path / "instance"
    periods = [("2024-01-01", "2024-12-31")] * 3 + [("2024-01-01", "2024-06-30"), ("2024-07-01", "2024-12-31")]
    processes = [start_stdpolicy(database_url, instance, "approvals", "create", "--from", a, "--to", b,
                                 "--department", "market_regulation", env={"STDPOLICY_LOCK_TIMEOUT": "120"})
                 for a, b in periods]
    results = [process.communicate(timeout=300) + (process.returncode,) for process in processes]
    for out, err, code in results:
        assert code in (0, 2), err
        assert "Traceback" not in err and "IntegrityError" not in err
        assert code == 0 or "nothing payable" in err
    with bare_app.app_context():
        numbers = sorted(db.session.scalars(select(ApprovalListRecord.number)))
        assert numbers == [f"2024-{n:03d}" for n in range(1, len(numbers) + 1)]
        listed = list(db.session.scalars(select(ApprovalListItemRecord.activity_id)))
        assert len(listed) == len(set(listed)) == 9  # every payable activity once, whoever issued it
    assert sum(1 for *_, code in results if code == 0) == len(numbers)


def test_held_outcomes_are_listed_once_a_reviewer_approves_them(app: Flask, runner) -> None:
    """Rank conflict on GB/T 44101-2024: both claims held (待核实); one approved, one rejected; a plain participant paid."""
    from core.services.reviews import decide
    from core.store import find_department, import_records

    records = HELD_RECORDS[:3]
    with app.app_context():
        registry = get_registry()
        assert import_records(registry, records, source="held.json", actor="tests").ok
        db.session.commit()
        from core.models import ActivityRecord, OutcomeRecord

        held = {ref: oid for ref, oid in db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.id).join(OutcomeRecord)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.status == "held"))}
        assert set(held) == {"X-1", "Y-1"}
        pending = service.draft(registry, "reward_tiers", date(2024, 1, 1), date(2024, 12, 31))
        assert [row.achievement for row in pending.rows] == ["GB/T 44102-2024"]  # held and pending: not payable
        market = find_department("market_regulation")
        approved = decide(held["X-1"], "approved", "排名经标准文本核实", actor="reviewer", department=market).decision.id
        decide(held["Y-1"], "rejected", "非第一起草单位", actor="reviewer", department=market)
    issued = invoke(runner, "approvals", "create", "--from", "2024-01-01", "--to", "2024-12-31",
                    "--department", "market_regulation")
    assert issued.exit_code == 0, issued.output
    with app.app_context():
        rows = db.session.scalars(select(ApprovalListItemRecord).order_by(ApprovalListItemRecord.position)).all()
        assert {(r.organisation_name, r.amount) for r in rows} == {("嘉兴市某某制造有限公司", 300000),
                                                                   ("嘉兴南湖某某研究院", 150000)}
        [x] = [r for r in rows if r.organisation_name == "嘉兴市某某制造有限公司"]
        assert x.review_decision_id == approved
