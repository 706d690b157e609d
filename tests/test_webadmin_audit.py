"""The audit log page: what each role sees, filters, pages, and no way to change an entry."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core.db import db
from core.models import AuditEntry
from core.store import find_department, set_enabled

from webadmin_support import fast_password_hashing, permit  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def add_entry(app, action: str, target: str, *, actor: str = "someone", department: str | None = None,
              at: datetime | None = None, before=None, after=None, detail: str | None = None) -> int:
    with app.app_context():
        entry = AuditEntry(action=action, actor=actor, target=target, before=before, after=after, detail=detail,
                           department_id=find_department(department).id if department else None)
        if at is not None:
            entry.at = at
        db.session.add(entry)
        db.session.commit()
        return entry.id


def actions_on_page(page: str) -> list[str]:
    return re.findall(r'<tr class="entry" data-action="([^"]+)"', page)


def targets_on_page(page: str) -> list[str]:
    return re.findall(r'<tr class="entry" data-action="[^"]+" data-target="([^"]*)">', page)


def entry_row(page: str, target: str) -> str:
    return re.search(rf'<tr class="entry" data-action="[^"]+" data-target="{re.escape(target)}">.*?</table>', page, re.S).group(0)


def visible_text(html: str) -> str:
    """The text a reader sees (tags and attributes removed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_city_admin_sees_every_entry_newest_first(app, client, login):
    add_entry(app, "login.failure", "nobody", detail="10.0.0.9")
    add_entry(app, "user.create", "later", department="civil_affairs")
    login("city")  # adds login.success
    page = client.get("/audit?lang=en").get_data(as_text=True)
    assert actions_on_page(page)[:3] == ["login.success", "user.create", "login.failure"]
    assert "10.0.0.9" in page
    with app.app_context():
        total = db.session.scalar(select(func.count(AuditEntry.id)))
    assert f"{total} entries" in page


def test_entries_read_as_sentences_with_a_field_by_field_table(app, client, login):
    with app.app_context():
        set_enabled(find_department("market_regulation"), "reward_tiers", False, "mr_admin")
        db.session.commit()
    add_entry(app, "parameter.version", "reward_tiers.lead.national", actor="cli:root", department="market_regulation",
              before={"value": "300000", "effective_from": "2022-08-01", "sequence": 1},
              after={"value": "350000", "effective_from": "2025-01-01", "reason": "新政策", "reference": "嘉政发〔2025〕1号",
                     "sequence": 2})
    login("city")
    zh = entry_row(client.get("/audit?action=parameter.version").get_data(as_text=True), "reward_tiers.lead.national")
    text = visible_text(zh)
    assert "登记了牵头制定国家标准" in text and "的第2版" in text  # a sentence naming the parameter and its version
    assert "命令行(root)" in text and "市场监督管理局" in text
    assert "cli:root" not in text and "sequence" not in text and "parameter.version" not in text and "{" not in text
    # field by field: label, before, after; the value as money, the version as its number
    assert re.search(r"<th scope=\"row\">取值</th><td class=\"before\">¥300,000\(30万元\)</td><td class=\"after\">¥350,000\(35万元\)</td>", zh)
    assert re.search(r"<th scope=\"row\">版本</th><td class=\"before\">第1版</td><td class=\"after\">第2版</td>", zh)
    assert re.search(r"<th scope=\"row\">生效日期</th><td class=\"before\">2022-08-01</td><td class=\"after\">2025-01-01</td>", zh)
    assert re.search(r"<th scope=\"row\">变更理由</th><td class=\"before\">—</td><td class=\"after\">新政策</td>", zh)
    en = visible_text(entry_row(client.get("/audit?action=parameter.version&lang=en").get_data(as_text=True),
                                "reward_tiers.lead.national"))
    assert "Recorded Version 2 of Leading the drafting of a national standard" in en and "Command line (root)" in en
    page = client.get("/audit?action=plugin.disable&lang=zh_CN").get_data(as_text=True)
    row = entry_row(page, "market_regulation/reward_tiers")
    assert "为市场监督管理局停用标准化奖励与补助" in visible_text(row)
    assert re.search(r"<th scope=\"row\">已启用</th><td class=\"before\">是</td><td class=\"after\">否</td>", row)


def test_an_unknown_action_still_reads(app, client, login):
    add_entry(app, "session.ended", "someone", actor="system", after={"reason": "idle", "minutes": 30})
    login("city")
    row = entry_row(client.get("/audit?lang=en").get_data(as_text=True), "someone")
    assert "Other change" in row and "<code>session.ended</code>" in row and "<code>minutes</code>" in row
    assert ">System<" in row


def test_department_users_see_their_department_and_their_plugins_parameters(app, client, login):
    add_entry(app, "user.create", "mr_new", department="market_regulation")
    add_entry(app, "user.create", "ca_new", department="civil_affairs")
    add_entry(app, "login.failure", "someone", detail="10.0.0.1")
    add_entry(app, "parameter.version", "reward_tiers.drafting.national")
    add_entry(app, "parameter.version", "carbon.quota.grade")
    add_entry(app, "parameter.version", "rewardXtiers.like.escape")  # "_" is no wildcard
    add_entry(app, "outcomes.reevaluate", "all activities")

    login("mr_viewer")
    page = client.get("/audit").get_data(as_text=True)
    targets = targets_on_page(page)
    assert "mr_new" in targets and "reward_tiers.drafting.national" in targets
    assert "market_regulation/reward_tiers" in targets  # plugin.enable by init
    for hidden in ("ca_new", "someone", "carbon.quota.grade", "rewardXtiers.like.escape", "all activities"):
        assert hidden not in targets
    assert 'value="login.failure"' not in page  # not even among the actions to filter on

    client.post("/logout")
    login("ca_admin")
    targets = targets_on_page(client.get("/audit").get_data(as_text=True))
    assert "ca_new" in targets
    assert "mr_new" not in targets and "reward_tiers.drafting.national" not in targets
    # civil affairs, permitted by the city, enables reward_tiers: now its parameters' history concerns them
    permit(app, "civil_affairs")
    client.post("/plugins/civil_affairs/reward_tiers", data={"enabled": "1"})
    targets = targets_on_page(client.get("/audit").get_data(as_text=True))
    assert "reward_tiers.drafting.national" in targets and "civil_affairs/reward_tiers" in targets


def test_department_filter_cannot_widen_a_department_users_view(app, client, login):
    add_entry(app, "user.create", "ca_new", department="civil_affairs")
    login("mr_admin")
    targets = targets_on_page(client.get("/audit?department=civil_affairs").get_data(as_text=True))
    assert targets == []
    targets = targets_on_page(client.get("/audit?department=none").get_data(as_text=True))
    assert "ca_new" not in targets


def test_filters(app, client, login):
    add_entry(app, "user.create", "one", actor="Alice", department="civil_affairs", at=datetime(2025, 3, 1, 4, 0))
    add_entry(app, "user.create", "two", actor="bob", department="market_regulation", at=datetime(2025, 3, 5, 4, 0))
    add_entry(app, "token.create", "three", actor="alice", department="civil_affairs", at=datetime(2025, 3, 9, 4, 0))
    add_entry(app, "login.failure", "four", actor="alice", at=datetime(2025, 3, 9, 5, 0))
    login("city")

    def targets(query: str) -> list[str]:
        response = client.get("/audit?" + query)
        assert response.status_code == 200
        return targets_on_page(response.get_data(as_text=True))

    assert targets("action=user.create&date_to=2025-12-31") == ["two", "one"]
    assert targets("actor=ALI&date_to=2025-12-31") == ["four", "three", "one"]
    assert targets("department=civil_affairs&date_to=2025-12-31") == ["three", "one"]
    assert targets("department=none&actor=alice") == ["four"]
    assert targets("date_from=2025-03-05&date_to=2025-03-05") == ["two"]
    assert targets("date_from=2025-03-02&date_to=2025-03-09&actor=alice&action=token.create") == ["three"]
    page = client.get("/audit?lang=en").get_data(as_text=True)
    assert '<option value="token.create">API token issued</option>' in page
    assert '<option value="none">No department</option>' in page
    assert '<option value="civil_affairs">Civil Affairs Bureau</option>' in page


def test_dates_are_beijing_days(app, client, login):
    # 17:30 UTC on 1 March is 01:30 on 2 March in Beijing
    add_entry(app, "user.create", "late", actor="x", at=datetime(2025, 3, 1, 17, 30))
    login("city")
    assert targets_on_page(client.get("/audit?actor=x&date_from=2025-03-02&date_to=2025-03-02").get_data(as_text=True)) == ["late"]
    assert targets_on_page(client.get("/audit?actor=x&date_to=2025-03-01").get_data(as_text=True)) == []


def test_a_bad_date_is_reported_and_ignored(app, client, login):
    login("city")
    response = client.get("/audit?date_from=yesterday&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="error"' in page
    assert actions_on_page(page)  # unfiltered


def test_fifty_a_page(app, client, login):
    start = datetime(2030, 1, 1)
    for n in range(120):
        add_entry(app, "test.entry", f"n{n:03d}", at=start + timedelta(minutes=n))
    login("city")
    first = targets_on_page(client.get("/audit?action=test.entry").get_data(as_text=True))
    assert len(first) == 50 and first[0] == "n119" and first[-1] == "n070"
    page = client.get("/audit?action=test.entry&page=3").get_data(as_text=True)
    assert targets_on_page(page) == [f"n{n:03d}" for n in range(19, -1, -1)]
    assert "action=test.entry" in re.search(r'<a href="([^"]+)" rel="prev">', page).group(1)
    assert targets_on_page(client.get("/audit?action=test.entry&page=99").get_data(as_text=True)) == []


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_route_changes_an_entry(app, client, login, method):
    entry_id = add_entry(app, "user.create", "kept")
    login("city")
    for url in ("/audit", f"/audit/{entry_id}", f"/audit/{entry_id}/delete", f"/audit/{entry_id}/edit"):
        assert getattr(client, method)(url).status_code in (404, 405)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/audit")]
    assert [r.rule for r in rules] == ["/audit"]
    assert rules[0].methods <= {"GET", "HEAD", "OPTIONS"}
    with app.app_context():
        assert db.session.get(AuditEntry, entry_id).target == "kept"


def test_the_database_refuses_changes_to_entries(app):
    entry_id = add_entry(app, "user.create", "kept")
    with app.app_context():
        for statement in ("UPDATE audit_log SET target = 'changed' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"):
            with pytest.raises(Exception):
                with db.session.begin_nested():
                    db.session.execute(text(statement), {"id": entry_id})
            db.session.rollback()
        assert db.session.get(AuditEntry, entry_id).target == "kept"


def test_an_import_that_renamed_an_organisation_reads_as_names(app, client, login):
    add_entry(app, "activities.import", "upload:renamed.json", actor="mr_admin", department="market_regulation",
              after={"stored": 1, "skipped": 0, "run": 3,
                     "renamed": [{"credit_code": "913304007429141869", "before": "嘉兴市某某制造有限公司",
                                  "after": "嘉兴市某某制造股份有限公司"}]})
    login("city")
    row = entry_row(client.get("/audit?action=activities.import&lang=zh_CN").get_data(as_text=True), "upload:renamed.json")
    text = visible_text(row)
    assert "从上传文件 renamed.json导入标准化活动" in text
    assert "单位名称变更" in text and "嘉兴市某某制造有限公司 → 嘉兴市某某制造股份有限公司 (913304007429141869)" in text
    assert "credit_code" not in text and "{" not in text
