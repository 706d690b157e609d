"""``stdpolicy reviews list|approve|reject`` (issue #11): the queue and decisions on the command line."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, AuditEntry, OutcomeRecord, ReviewDecisionRecord
from core.store import import_records
from review_support import HELD_RECORDS

RECORDS = HELD_RECORDS


@pytest.fixture
def held(app: Flask) -> dict[str, int]:
    with app.app_context():
        assert import_records(get_registry(), RECORDS, source="held.json", actor="tests").ok
        db.session.commit()
        return dict(db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.id)
            .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None))).all())


def invoke(runner, *args: str):
    return runner.invoke(args=list(args))


def listed(runner, *args: str) -> list[dict]:
    result = invoke(runner, "reviews", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_shows_the_queue_with_filters(runner, held) -> None:
    items = listed(runner)
    assert [i["activity"] for i in items] == ["S-1", "X-1", "Y-1"]
    x = items[1]
    assert (x["outcome_id"], x["held_amount"], x["status"], x["review"]) == (held["X-1"], 300_000, "pending", None)
    assert x["county"] == {"code": "330400", "zh": "嘉兴市(市本级)", "en": "Jiaxing (city level)"}
    [reason] = x["reasons"]
    assert reason["code"] == "rank_conflict" and reason["label"]["zh"] == "排名冲突"
    assert reason["other"]["organisation"] == "平湖光电新能源有限公司"
    assert [i["activity"] for i in listed(runner, "--reason", "region")] == ["S-1"]
    assert [i["activity"] for i in listed(runner, "--reason", "排名冲突")] == ["X-1", "Y-1"]
    assert [i["activity"] for i in listed(runner, "--county", "平湖市")] == ["Y-1"]
    assert [i["activity"] for i in listed(runner, "--county", "330400")] == ["X-1"]
    assert [i["activity"] for i in listed(runner, "--year", "2023")] == ["S-1"]
    assert listed(runner, "--status", "approved") == []
    assert listed(runner, "--department", "civil_affairs") == []  # it does not see reward_tiers

    table = invoke(runner, "reviews", "list")
    assert table.exit_code == 0
    assert "排名冲突" in table.stdout and "待核实 pending" in table.stdout and "3 held outcome(s), ¥900,000 held" in table.stdout

    bad = invoke(runner, "reviews", "list", "--county", "上海")
    assert bad.exit_code == 2 and "--county" in bad.output and "平湖市" in bad.output
    assert invoke(runner, "reviews", "list", "--status", "maybe").exit_code == 2


def test_approve_and_reject_then_list_by_status(app: Flask, runner, held) -> None:
    done = invoke(runner, "reviews", "approve", str(held["X-1"]), "--note", "核对起草单位名单,排名无误",
                  "--department", "market_regulation")
    assert done.exit_code == 0, done.output
    assert f"outcome {held['X-1']} approved" in done.stdout and "¥300,000 payable" in done.stdout
    done = invoke(runner, "reviews", "reject", str(held["S-1"]), "--note", "非本市企业", "-d", "市场监督管理局")
    assert done.exit_code == 0, done.output

    [x] = listed(runner, "--status", "approved")
    assert x["activity"] == "X-1" and x["review"]["decision"] == "approved"
    assert x["review"]["note"] == "核对起草单位名单,排名无误" and x["review"]["decided_by"].startswith("cli")
    assert [i["activity"] for i in listed(runner, "--status", "rejected")] == ["S-1"]
    assert [i["activity"] for i in listed(runner, "--status", "pending")] == ["Y-1"]
    # a later decision replaces the earlier one in effect
    again = invoke(runner, "reviews", "reject", str(held["X-1"]), "--note", "复核后不予核准", "-d", "market_regulation")
    assert again.exit_code == 0 and "replaces the decision" in again.stdout
    assert [i["activity"] for i in listed(runner, "--status", "rejected")] == ["S-1", "X-1"]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("review.%"))
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["review.approve", "review.reject", "review.reject"]


@pytest.mark.parametrize(("args", "words"), [
    (["approve", "{X}", "--note", "   ", "-d", "market_regulation"], "note must not be blank"),
    (["approve", "{X}", "--note", "ok", "-d", "civil_affairs"], "does not own reward_tiers"),
    (["approve", "{P}", "--note", "ok", "-d", "market_regulation"], "not held for review"),
    (["reject", "999999", "--note", "ok", "-d", "market_regulation"], "no outcome 999999"),
    (["approve", "{X}", "--note", "ok", "-d", "nowhere"], "--department"),
    (["approve", "{X}", "-d", "market_regulation"], "--note"),
])
def test_a_refused_decision_exits_2_and_stores_nothing(app: Flask, runner, held, args: list[str], words: str) -> None:
    args = [a.replace("{X}", str(held["X-1"])).replace("{P}", str(held["P-1"])) for a in args]
    result = invoke(runner, "reviews", *args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    with app.app_context():
        assert db.session.scalars(select(ReviewDecisionRecord)).all() == []
