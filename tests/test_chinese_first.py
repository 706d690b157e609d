"""Chinese first, everywhere (issue 6): names instead of codes, one version number, a legend, what to do next.

A Chinese page names coded values, kinds, plugins, hooks, parameters and
actors in Chinese; a code or key appears only as small print beside its name
(``small.detail``), and what users typed (user and file names) as it is
(``span.name``). ``english_words`` finds any other Latin word of three or
more lower-case letters in what a reader sees.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.interchange import read_records
from core.models import ActivityRecord
from core.store import find_department, import_records, record_version

from conftest import PASSWORD
from test_register_queries import FILES
from webadmin_support import permit


def english_words(html: str) -> list[str]:
    """Latin words a reader of ``<main>`` sees, leaving out small print, names and the closed other-language text."""
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    for pattern in (r'<small class="detail">.*?</small>', r'<span class="name">.*?</span>', r"<details.*?</details>",
                    r"<option.*?</option>"):
        main = re.sub(pattern, " ", main, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", main))
    return sorted(set(re.findall(r"[A-Za-z]*[a-z]{3,}[A-Za-z]*", text)) - {"Excel"})


@pytest.fixture
def stored(app) -> dict[str, int]:
    """The example and demo activities, imported by 市场监管局 from the command line as root; ref → id."""
    with app.app_context():
        registry = get_registry()
        record_version(registry, "reward_tiers.award.third", {"value": "600000", "effective_from": "2022-08-01",
                                                              "reason": "提高奖励", "reference": "嘉政发〔2024〕1号"},
                       actor="cli:root", source="cli", department=find_department("market_regulation"))
        for path in FILES:
            result = import_records(registry, read_records(str(path), registry), source=f"upload:{path.name}",
                                    actor="cli:root", department=find_department("market_regulation"))
            assert result.ok
        db.session.commit()
        return dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())


@pytest.mark.parametrize("url", [
    "/dashboard", "/activities", "/activities?kind=innovation_award", "/activities?kind=pilot_project",
    "/activities/{JX-023}", "/activities/{JX-022}", "/activities/{JX-025}", "/activities/{JX-014}",
    "/parameters/", "/parameters/reward_tiers.award.third", "/plugins", "/audit?action=plugin.enable",
    "/audit?action=parameter.version",
])
def test_chinese_pages_show_no_codes(client, login, stored, url):
    login("mr_admin")
    page = client.get(re.sub(r"\{([^}]+)\}", lambda m: str(stored[m.group(1)]), url))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert english_words(html) == [], url
    for leak in ("stdpolicy (built-in)", "shipped with the plugin", "cli:root", "sequence", ">third<", ">organization<",
                 ">provincial<"):
        assert leak not in html, (url, leak)


def test_the_register_names_coded_subjects(client, login, stored):
    login("mr_viewer")
    zh = client.get("/activities?kind=innovation_award").get_data(as_text=True)
    for label in ("一等奖", "二等奖", "三等奖", "组织奖"):
        assert label in zh
    pilots = client.get("/activities?kind=pilot_project").get_data(as_text=True)
    assert "国家级" in pilots and "省级" in pilots
    en = client.get("/activities?kind=innovation_award&lang=en").get_data(as_text=True)
    assert "third prize" in en and '<small class="detail"><code>third</code></small>' in en  # the code as small print


def test_rule_codes_have_a_legend(client, login, stored):
    login("mr_viewer")
    page = client.get("/activities").get_data(as_text=True)
    legend = page.split('id="rule-legend"', 1)[1].split("</div>", 1)[0]
    assert "牵头制定并完成国家标准" in legend  # R2
    assert "R0" in legend and "不属于三(二)奖励范围" in legend
    assert 'title="牵头制定并完成国家标准 · ' in page  # each badge says what it means
    detail = client.get(f"/activities/{stored['JX-014']}").get_data(as_text=True)  # an enterprise standard: R0
    assert "不属于三(二)奖励范围" in detail.split('id="rule-legend"', 1)[1]


def test_the_activity_page_names_fields_parameters_and_people(client, login, stored):
    login("mr_viewer")
    page = client.get(f"/activities/{stored['JX-023']}").get_data(as_text=True)
    assert "三等奖" in page and "<code>third</code>" not in page and "<code>award</code>" not in page
    assert "中国标准创新贡献奖三等奖" in page  # the parameter's label, with its key as small print
    assert '<small class="detail"><code>reward_tiers.award.third</code></small>' in page
    assert "第2版" in page  # the version recorded above: the same number as the parameters page
    assert '命令行(<span class="name">root</span>)' in page
    assert '上传文件 <span class="name">demo_activities.json</span>' in page
    assert '<span id="import-department">市场监督管理局</span>' in page


def test_parameter_pages_and_dashboard_use_labels_and_one_number(client, login, stored):
    login("mr_viewer")
    detail = client.get("/parameters/reward_tiers.award.third").get_data(as_text=True)
    assert "插件预置值" in detail and "shipped" not in detail
    assert '<td class="nowrap">第1版</td>' in detail and '<td class="nowrap">第2版</td>' in detail
    assert "金额(元)" in detail  # the type, named
    assert re.search(r"自2022-08-01起施行\(第2版\)", detail)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    recent = dashboard.split("recent-version", 1)[1].split("</tr>", 1)[0]
    assert "中国标准创新贡献奖三等奖" in recent and "第2版" in recent and "命令行" in recent
    assert '<small class="detail"><code>reward_tiers.award.third</code></small>' in recent


def test_the_plugins_page_says_what_hooks_do(client, login):
    login("mr_viewer")
    page = client.get("/plugins").get_data(as_text=True)
    assert "评估标准化活动:适用规则、金额及说明" in page and "系统内置" in page
    assert '<small class="detail"><code>stdpolicy_evaluate</code></small>' in page


# -- a department with nothing switched on ------------------------------------------------------


def add_user(app, name: str, role: str, department: str) -> None:
    from webadmin.models import User

    with app.app_context():
        user = User(username=name, role=role, department_id=find_department(department).id, created_by="tests")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


def test_a_department_with_nothing_switched_on_sees_what_to_do_next(app, client, login, users):
    add_user(app, "ee_admin", "dept_admin", "ecology_environment")
    add_user(app, "ee_viewer", "dept_viewer", "ecology_environment")
    client.post("/login", data={"username": "ee_viewer", "password": PASSWORD})
    for url in ("/dashboard", "/activities", "/parameters/"):
        page = client.get(url).get_data(as_text=True)
        steps = page.split('id="next-steps"', 1)[1].split("</section>", 1)[0]
        assert "生态环境局尚未启用任何政策插件" in steps
        assert "本部门尚未获准使用任何政策插件" in steps and 'href="/plugins"' in steps
        assert "<code>carbon</code>" in steps  # permitted by default, not installed here
    permit(app, "ecology_environment")
    steps = client.get("/dashboard").get_data(as_text=True).split('id="next-steps"', 1)[1].split("</section>", 1)[0]
    assert "本部门可启用:标准化奖励与补助" in steps
    assert '可由本部门管理员(ee_admin)或市级管理员在“政策插件”页面启用' in steps
    client.post("/logout")
    client.post("/login", data={"username": "ee_admin", "password": PASSWORD})
    steps = client.get("/dashboard").get_data(as_text=True).split('id="next-steps"', 1)[1].split("</section>", 1)[0]
    assert 'id="next-plugins"' in steps and "启用政策插件" in steps  # the administrator gets the button
    client.post("/plugins/ecology_environment/reward_tiers", data={"enabled": "1"})
    assert 'id="next-steps"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_department_with_plugins_sees_no_next_steps(client, login):
    login("mr_viewer")
    assert 'id="next-steps"' not in client.get("/dashboard").get_data(as_text=True)
