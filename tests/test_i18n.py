"""The admin's languages: every message has its Chinese, the .mo matches the .po, pages follow the choice.

Messages are extracted from the sources here, with Babel's API and the
method map of ``webadmin/babel.cfg``, so a string wrapped in ``_()`` without
a Chinese translation in ``webadmin/translations/zh_CN/LC_MESSAGES/messages.po``
fails this file. docs/translations.md says how to update the catalogue.
"""

from __future__ import annotations

import ast
import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from core.db import db

ROOT = Path(__file__).resolve().parent.parent
WEBADMIN = ROOT / "webadmin"
PO = WEBADMIN / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
#: The keywords of the extraction command in docs/translations.md (on top of Babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "gettext": None, "ngettext": (1, 2)}


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def _extracted() -> dict[str, list[str]]:
    """msgid (the singular of a plural) → where it is used, extracted from webadmin now."""
    with (WEBADMIN / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEBADMIN), method_map, options_map, keywords=KEYWORDS,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"webadmin/{filename}:{lineno}")
    return found


# -- the catalogue ------------------------------------------------------------------------


def test_extraction_finds_the_admin_messages():
    found = _extracted()
    assert len(found) > 250
    # Python (lazy and plain), templates, and plurals are all picked up
    assert {"Dashboard", "The passwords differ.", "Record a new version", "%(num)d entry"} <= set(found)


def test_every_message_has_a_chinese_translation():
    catalog = _catalog()
    missing = []
    for msgid, where in sorted(_extracted().items()):
        message = catalog.get(msgid)
        strings = message.string if message is not None and isinstance(message.string, tuple) else (
            (message.string,) if message is not None else ())
        if message is None or message.fuzzy or not strings or not all(s and s.strip() for s in strings):
            missing.append(f"{msgid!r} ({', '.join(where[:2])})")
    assert not missing, (
        f"{len(missing)} message(s) without a Chinese translation in {PO.relative_to(ROOT)} "
        "(see docs/translations.md):\n  " + "\n  ".join(missing)
    )


def test_translations_keep_their_placeholders():
    catalog = _catalog()
    # Babel's own checks: python-format placeholders, plural forms
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(re.findall(r"%\(\w+\)[sd]|\{\d*\}", ids[-1])))
        for string in strings:
            assert sorted(set(re.findall(r"%\(\w+\)[sd]|\{\d*\}", string))) == wanted, (message.id, string)


def test_compiled_catalogue_is_up_to_date():
    catalog = _catalog()
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    with MO.open("rb") as handle:
        committed = read_mo(handle)
    fresh = read_mo(compiled)

    def plain(value):  # read_mo gives the msgids and msgstrs of plurals as lists
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def messages(c):
        return {plain(m.id): plain(m.string) for m in c if m.id}

    assert messages(committed) == messages(fresh), (
        f"{MO.relative_to(ROOT)} is older than the .po: run "
        "`pybabel compile -d webadmin/translations` (docs/translations.md)"
    )
    assert committed.plural_forms == fresh.plural_forms


def test_the_catalogue_is_package_data():
    """setup.py ships translations/*/LC_MESSAGES/* of webadmin (so an installed admin speaks Chinese)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    package_data = ast.literal_eval(next(k.value for k in call.keywords if k.arg == "package_data"))
    shipped = {p.relative_to(WEBADMIN).as_posix() for pattern in package_data["webadmin"] for p in WEBADMIN.glob(pattern)}
    assert "translations/zh_CN/LC_MESSAGES/messages.mo" in shipped


def test_zh_cn_catalogue_is_found_although_babel_says_zh_hans_cn(app):
    """Babel parses zh_CN as zh_Hans_CN; the admin still finds translations/zh_CN."""
    from flask_babel import get_locale, gettext

    with app.test_request_context("/?lang=zh_CN"):
        assert str(get_locale()) == "zh_Hans_CN"
        assert gettext("Dashboard") == "工作台"
    with app.test_request_context("/?lang=en"):
        assert gettext("Dashboard") == "Dashboard"


# -- pages --------------------------------------------------------------------------------

PAGES = [
    # url, who, (Chinese, English) title
    ("/dashboard", "mr_admin", ("工作台", "Dashboard")),
    ("/activities", "mr_admin", ("标准化活动登记", "Activities")),
    ("/parameters/", "mr_admin", ("政策参数", "Parameters")),
    ("/parameters/reward_tiers.lead.national", "mr_admin", ("政策参数", "Parameters")),
    ("/plugins", "mr_admin", ("政策插件", "Plugins")),
    ("/audit", "mr_admin", ("审计日志", "Audit log")),
    ("/import", "mr_admin", ("导入标准化活动", "Import activities")),
    ("/tokens", "mr_admin", ("接口令牌", "API tokens")),
    ("/users", "city", ("用户管理", "Users")),
    ("/users/new", "city", ("新建用户", "New user")),
]


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


@pytest.mark.parametrize("url, who, titles", PAGES, ids=[p[0] for p in PAGES])
def test_pages_are_chinese_by_default_and_english_on_request(client, login, url, who, titles):
    zh, en = titles
    login(who)
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert f"{zh} · 嘉兴市标准强市建设政策" in _title(html)
    assert "标准化政策管理系统" in html and "退出登录" in html
    assert ">Log out<" not in html and ">Dashboard<" not in html  # no English left in the frame

    html = client.get(f"{url}{'&' if '?' in url else '?'}lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert f"{en} · Jiaxing Standards City Policy" in _title(html)
    assert ">Log out<" in html and "退出登录" not in html


def test_the_menu_is_chinese(client, login):
    login("city")
    html = client.get("/dashboard").get_data(as_text=True)
    menu = html.split('<nav class="side"', 1)[1].split("</nav>", 1)[0]
    for label in ("工作台", "标准化活动登记", "数据导入", "政策参数", "政策插件", "审计日志", "用户管理", "接口令牌"):
        assert f">{label}</a>" in menu
    assert not re.search(r">[A-Za-z ]+</a>", menu)


def test_the_language_choice_sticks_in_the_session(client, login):
    login("mr_admin")
    assert "<title>Parameters" in client.get("/parameters/?lang=en").get_data(as_text=True)
    # no ?lang any more: still English, on every page
    assert "<title>Dashboard" in client.get("/dashboard").get_data(as_text=True)
    assert "<title>Audit log" in client.get("/audit").get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    # and back
    assert "<title>工作台" in client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    assert "<title>政策插件" in client.get("/plugins").get_data(as_text=True)


def test_the_language_button_switches_and_sticks(client, login):
    login("mr_admin")
    response = client.post("/language/en", data={"next": "/plugins"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plugins")
    assert "<title>Plugins" in client.get("/plugins").get_data(as_text=True)
    client.post("/language/zh_CN", data={"next": "/plugins"})
    assert "<title>政策插件" in client.get("/plugins").get_data(as_text=True)


def test_login_page_and_error_pages_are_chinese(client, users):
    html = client.get("/login").get_data(as_text=True)
    assert "<title>登录" in html and 'value="登录"' in html and ">用户名</label>" in html
    html = client.post("/login", data={"username": "mr_admin", "password": "wrong-password-123"}).get_data(as_text=True)
    assert "用户名或密码错误。" in html
    client.post("/login", data={"username": "mr_admin", "password": "correct-horse-battery-1"})
    html = client.get("/no/such/page").get_data(as_text=True)
    assert "页面不存在。" in html and "返回工作台" in html
    assert "There is no such page." in client.get("/no/such/page?lang=en").get_data(as_text=True)


def test_plural_messages_in_both_languages(client, login):
    login("city")  # logging in wrote one audit entry
    html = client.get("/audit").get_data(as_text=True)
    assert re.search(r"共\d+条记录", html)
    html = client.get("/audit?lang=en").get_data(as_text=True)
    assert re.search(r"\b1 entry\b|\b\d+ entries\b", html)


# -- form errors --------------------------------------------------------------------------


def _errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html)


def test_users_form_errors_are_chinese(client, login):
    login("city")
    html = client.post("/users/new", data={
        "username": "new_person", "role": "dept_admin", "department": "market_regulation",
        "password": "long-enough-password", "confirm": "another-password-1",
    }).get_data(as_text=True)
    assert "两次输入的密码不一致。" in _errors(html)
    html = client.post("/users/new", data={"username": "", "role": "dept_admin", "department": "", "password": "short"}).get_data(as_text=True)
    errors = _errors(html)
    assert "该字段是必填字段。" in errors  # WTForms' own message, through Flask-WTF's translations
    assert "至少10个字符。" in errors
    assert not [e for e in errors if re.search(r"[A-Za-z]{4,}", e)], errors

    html = client.post("/users/new?lang=en", data={"username": "", "password": "short", "confirm": "x"}).get_data(as_text=True)
    assert {"This field is required.", "At least 10 characters.", "The passwords differ."} <= set(_errors(html))


def test_parameter_form_errors_are_chinese(client, login):
    login("mr_admin")
    html = client.post("/parameters/reward_tiers.lead.national", data={
        "value": "350000", "effective_from": "2026-01-01", "reason": "", "reference": "嘉政发〔2026〕1号", "based_on": "0",
        "preview": "y",
    }).get_data(as_text=True)
    block = html.split('id="version-form"', 1)[1]
    assert "该字段是必填字段。" in _errors(block)
    assert ">变更理由</label>" in block and ">政策依据</label>" in block and ">生效日期</label>" in block
    assert 'value="预览变更影响"' in block

    html = client.post("/parameters/reward_tiers.lead.national?lang=en", data={
        "value": "350000", "effective_from": "2026-01-01", "reason": "", "reference": "x", "based_on": "0", "preview": "y",
    }).get_data(as_text=True)
    assert "This field is required." in _errors(html.split('id="version-form"', 1)[1])


def test_flashed_messages_are_chinese(app, client, login, users):
    login("city")
    client.post(f"/users/{users['city']}/deactivate")
    assert "不能停用本人账号。" in client.get("/users").get_data(as_text=True)


# -- dates and money ----------------------------------------------------------------------


def test_times_are_beijing_time_in_both_languages(app, client, login, users):
    from webadmin.models import User

    with app.app_context():
        user = db.session.get(User, users["mr_viewer"])
        user.created_at = datetime(2024, 1, 1, 16, 30)  # stored as naive UTC
        db.session.commit()
    login("city")
    for lang in ("zh_CN", "en"):
        html = client.get(f"/users?lang={lang}").get_data(as_text=True)
        row = html.split('id="user-mr_viewer"', 1)[1].split("</tr>", 1)[0]
        assert "2024-01-02 00:30" in row, lang  # 16:30 UTC is 00:30 the next day in Beijing


def test_a_figure_s_amount_may_break_before_its_gloss(app):
    from webadmin.i18n import money_figure

    with app.test_request_context("/?lang=zh_CN"):
        assert str(money_figure(2_550_000)) == "¥2,550,000<wbr>(255万元)"  # one line too wide for a phone's card
        assert str(money_figure(5_000)) == "¥5,000" and str(money_figure(None)) == "—"
    with app.test_request_context("/?lang=en"):
        assert str(money_figure(2_550_000)) == "¥2,550,000"


def test_money_in_both_languages(app):
    from webadmin.i18n import money

    with app.test_request_context("/?lang=zh_CN"):
        assert money(1_000_000) == "¥1,000,000(100万元)"
        assert money(150_000) == "¥150,000(15万元)"
        assert money(None) == "—"
    with app.test_request_context("/?lang=en"):
        assert money(1_000_000) == "¥1,000,000"
