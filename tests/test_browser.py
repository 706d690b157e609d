"""End-to-end tests of the admin in a real headless Chromium (Playwright).

Each test serves its own ``app`` (a fresh database, SQLite or PostgreSQL as
the other tests) with the kit's ``core.testing.browser.live_server`` (werkzeug) on 127.0.0.1 and a free
port, and drives the real pages in a new browser context: CSRF protection is
on, and the session cookie is ``Secure`` as in production. Chromium treats
http://127.0.0.1 (and http://localhost) as a potentially trustworthy origin
and keeps ``Secure`` cookies set over plain HTTP there, so the live server
needs no TLS and no cookie relaxation (``test_session_cookie_is_secure``
checks this, and that the server works with plain cookies too).

Elements are found by id, name, URL and data attributes, never by the
wording of the UI; what is asserted is data: amounts, standard numbers, the
rules' explanations in both languages, core's validation messages.

Full-page screenshots of the main pages go to
``$STDPOLICY_TEST_ARTIFACTS/screenshots``, else ``test-artifacts/screenshots``
in the checkout (git-ignored); the folder is printed in the terminal summary.

Chromium is ``/usr/bin/chromium`` (Debian's package; ``playwright install``
is not used), or ``$STDPOLICY_CHROMIUM``. Without it the tests are skipped,
unless ``STDPOLICY_REQUIRE_BROWSER=1`` (CI), when they fail.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import clock
from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, ApprovalListRecord, OutcomeRecord, ReferenceVersionRecord
from core.store import import_records
from core.testing import builtin_plugins
from core.testing.browser import live_server as serve

from conftest import PASSWORD
from refdata_support import quota_app  # noqa: F401  (fixture of the reference data scenario)
from webadmin_support import walk

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs/examples/activities.json"
#: Debian's Chromium; ``STDPOLICY_CHROMIUM`` names another build (Playwright's own browsers are not used).
CHROMIUM = Path(os.environ.get("STDPOLICY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No outside network here: without these Chromium keeps trying to reach Google.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRED = os.environ.get("STDPOLICY_REQUIRE_BROWSER") == "1"
#: How long an expectation waits for the page (ms): failures show quickly, not after Playwright's 30 s.
TIMEOUT = 10_000

LEAD_NATIONAL = "reward_tiers.lead.national"


# -- the browser, the screenshots folder, the live server -------------------------------------


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (STDPOLICY_REQUIRE_BROWSER=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(f"{reason}; set STDPOLICY_REQUIRE_BROWSER=1 to make this an error")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, once per session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _ScreenshotSummary:
    """A pytest plugin, registered when the first browser test runs: prints the folder at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: set[str] = set()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.saved:
            terminalreporter.write_sep("-", "browser screenshots")
            terminalreporter.write_line(f"{len(self.saved)} full-page screenshots in {self.folder}")


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> _ScreenshotSummary:
    base = os.environ.get("STDPOLICY_TEST_ARTIFACTS")
    folder = (Path(base).resolve() if base else ROOT / "test-artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    summary = _ScreenshotSummary(folder)
    pytestconfig.pluginmanager.register(summary, "stdpolicy-browser-screenshots")
    return summary


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """``app`` (this test's database) served on 127.0.0.1 in a thread; its base URL.

    CSRF protection back on and Secure cookies, as in production.
    """
    app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with serve(app) as url:
        yield url


#: The elements wider than their box outside any scrolling box: what pushes the page sideways
#: (the innermost last), for the message of a failed width check.
_TOO_WIDE = """() => {
  const found = [], right = document.documentElement.clientWidth;
  for (const e of document.querySelectorAll('body *')) {
    let a = e.parentElement, scrolls = false;
    for (; a && !scrolls; a = a.parentElement) scrolls = getComputedStyle(a).overflowX !== 'visible';
    if (scrolls) continue;
    const r = e.getBoundingClientRect();
    if (e.scrollWidth > e.clientWidth + 1 || r.right > right + 1)
      found.push(`${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth}/${e.clientWidth}px ${Math.round(r.left)}-${Math.round(r.right)} "${(e.innerText || '').replace(/\\s+/g, ' ').slice(0, 30)}"`);
  }
  return found.join('; ');
}"""


class Browser:
    """One test's page on the live server, with helpers."""

    def __init__(self, page: Any, base: str, screenshots: _ScreenshotSummary) -> None:
        self.page = page
        self.base = base
        self._screenshots = screenshots
        #: Responses the test did not ask for that went wrong: a 5xx anywhere, a 4xx for a stylesheet.
        self.broken: list[str] = []
        #: What the Content-Security-Policy blocked (Chromium reports each on the console).
        self.blocked: list[str] = []
        page.on("response", self._check)
        page.on("console", self._console)

    def _check(self, response: Any) -> None:
        path = response.url.removeprefix(self.base)
        if response.status >= 500 or (response.status >= 400 and path.startswith("/static/")):
            self.broken.append(f"{response.status} {path}")

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(f"{self.path()}: {message.text}")

    def goto(self, path: str, status: int = 200) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == status, \
            f"GET {path}: {response.status if response else 'no response'}, expected {status}"
        return response

    def path(self) -> str:
        return self.page.url.removeprefix(self.base)

    def submit(self, selector: str) -> None:
        """Click a submit button and wait for the page the form leads to (POSTs may come back to the same URL)."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def login(self, username: str, password: str = PASSWORD, screenshot: str | None = None) -> None:
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        if screenshot:
            self.shot(screenshot)
        self.submit("#submit")
        assert self.path() == "/dashboard"
        assert self.page.inner_text(".top .user") == username

    def switch_language(self) -> None:
        """The header's language button (a POST form back to the same page)."""
        before = self.page.get_attribute("html", "lang")
        self.submit("#language-switch")
        assert self.page.get_attribute("html", "lang") != before

    def shot(self, name: str) -> None:
        """A full-page screenshot; the page must not be wider than the window (no sideways scrolling)."""
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.path()} is {overflow}px wider than the window: {self.page.evaluate(_TOO_WIDE)}"
        self.page.screenshot(path=str(self._screenshots.folder / f"{name}.png"), full_page=True)
        self._screenshots.saved.add(name)

    def text(self, selector: str) -> str:
        return " ".join(self.page.inner_text(selector).split())


@contextmanager
def browsing(browser: Any, base: str, screenshots: _ScreenshotSummary, **options: Any) -> Iterator[Browser]:
    """A new browser context (no cookies, Chinese, Shanghai time) on ``base``.

    Leaving the block normally asserts that no response went wrong and the
    Content-Security-Policy blocked nothing; the context is closed either way.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **options)
    context.set_default_timeout(TIMEOUT)
    session = Browser(context.new_page(), base, screenshots)
    try:
        yield session
        assert not session.broken, f"responses that went wrong: {session.broken}"
        assert not session.blocked, f"blocked by the Content-Security-Policy: {session.blocked}"
    finally:
        context.close()


@pytest.fixture
def web(browser: Any, live_server: str, screenshots: _ScreenshotSummary, users: dict[str, int]) -> Iterator[Browser]:
    """A new browser context (no cookies) on this test's live server; the users exist."""
    with browsing(browser, live_server, screenshots) as session:
        yield session


def seed(app: Flask) -> dict[str, int]:
    """Store the example activities (docs/examples/activities.json); external id → stored id."""
    with app.app_context():
        records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
        result = import_records(get_registry(), records, source="activities.json", actor="tests")
        assert result.ok, result.report.invalid
        db.session.commit()
        return dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())


def activity_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ActivityRecord.id)))


def digits(text: str) -> int:
    """The first amount in ``text`` (``¥1,550,000(155万元)`` → 1550000); signed."""
    match = re.search(r"([+−-]?)\s*¥?([\d,]+)", text)
    assert match, f"no amount in {text!r}"
    value = int(match.group(2).replace(",", ""))
    return -value if match.group(1) in ("−", "-") else value


# -- the scenarios ----------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [True, False], ids=["secure-cookie", "plain-cookie"])
def test_session_cookie_is_secure(app: Flask, web: Browser, secure: bool) -> None:
    """Chromium keeps a Secure session cookie over http://127.0.0.1 (a trustworthy origin): the login sticks.

    The live server runs with production's ``SESSION_COOKIE_SECURE=True``; it works with ``False`` as well.
    """
    app.config["SESSION_COOKIE_SECURE"] = secure
    web.login("mr_viewer")
    cookies = {c["name"]: c for c in web.page.context.cookies()}
    assert cookies["session"]["secure"] is secure
    assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"
    web.goto("/activities")  # still logged in on the next request
    assert web.path() == "/activities"


def test_city_admin_switches_a_plugin_and_the_audit_log_shows_it(app: Flask, web: Browser) -> None:
    seed(app)
    web.login("city", screenshot="01-login")
    web.shot("02-dashboard")
    assert web.text("#fig-activities") == "8"

    web.page.click('nav.side a[href="/plugins"]')
    web.page.wait_for_url(web.base + "/plugins")
    cell = web.page.locator('#switches td[data-department="development_reform"][data-plugin="reward_tiers"]')
    assert cell.get_attribute("data-enabled") == "no"  # departments.yaml gives it "carbon" only
    assert cell.get_attribute("data-permitted") == "no"
    assert cell.locator("form:not(.permission)").count() == 0  # nothing to switch on before it is permitted

    web.submit('#switches td[data-department="development_reform"][data-plugin="reward_tiers"] form.permission button')
    assert cell.get_attribute("data-permitted") == "yes" and cell.get_attribute("data-enabled") == "no"
    for wanted in ("yes", "no", "yes"):  # enable, disable, enable again
        web.submit('#switches td[data-department="development_reform"][data-plugin="reward_tiers"] '
                   'form:not(.permission) button[type="submit"]')
        assert web.path() == "/plugins"
        assert cell.get_attribute("data-enabled") == wanted
        assert web.page.locator(".flash.success").count() == 1
    # the other departments are untouched
    states = {td.get_attribute("data-department"): td.get_attribute("data-enabled")
              for td in web.page.locator('#switches td[data-plugin="reward_tiers"]').all()}
    assert states == {"market_regulation": "yes", "development_reform": "yes", "ecology_environment": "no",
                      "civil_affairs": "no", "health": "no"}
    web.shot("03-plugins")

    web.page.click('nav.side a[href="/audit"]')
    web.page.wait_for_url(web.base + "/audit")
    target = "development_reform/reward_tiers"
    enables = web.page.locator(f'#audit tr.entry[data-action="plugin.enable"][data-target="{target}"]')
    disables = web.page.locator(f'#audit tr.entry[data-action="plugin.disable"][data-target="{target}"]')
    assert enables.count() == 2 and disables.count() == 1
    assert web.page.locator(f'#audit tr.entry[data-action="plugin.permit"][data-target="{target}"]').count() == 1
    row = disables.first.inner_text()
    assert "city" in row and "发展和改革委员会" in row  # who, and the department (its name, in Chinese)
    assert "为发展和改革委员会停用标准化奖励与补助" in row and target not in row  # a sentence, not codes
    # newest first: the last switch (an enable) is the top entry
    assert web.page.locator("#audit tr.entry").first.get_attribute("data-action") == "plugin.enable"
    web.shot("04-audit")

    web.goto("/users")
    for name in ("city", "mr_admin", "mr_viewer", "ca_admin", "ca_viewer"):
        assert web.page.locator(f"#user-{name}").count() == 1
    web.shot("05-users")

    web.goto("/parameters/")
    assert web.page.locator(f'a[href="/parameters/{LEAD_NATIONAL}"]').count() == 1
    web.shot("06-parameters")

    web.goto("/admin/p/reward_tiers/")  # the plugin's own page: the reward table, rule beside text
    assert "100万元" in web.text("main")  # the clause's text is quoted
    web.shot("07-plugin-reward-tiers")


def test_department_admin_previews_and_records_a_new_amount(app: Flask, web: Browser) -> None:
    seed(app)
    web.login("mr_admin")
    web.goto(f"/parameters/{LEAD_NATIONAL}")
    assert digits(web.text("#current-value")) == 300_000
    page = web.page

    def preview(amount: int | str, effective_from: date) -> dict[str, int]:
        page.fill("#value", str(amount))
        page.fill("#effective_from", effective_from.isoformat())
        page.fill("#reason", "市政府常务会议决定提高国家标准牵头制定奖励")
        page.fill("#reference", "嘉政发〔2026〕1号 三(二)")
        web.submit("#version-form #preview")
        return {name: digits(web.text(f"#preview-{name}"))
                for name in ("activities", "changed", "current", "new", "difference")}

    # From 2025-01-01: the six reward_tiers activities dated since then are re-evaluated; only
    # EX-001 (leading drafter of GB/T 45123-2025, ¥300,000) changes, by ¥50,000.
    figures = preview("35万元", date(2025, 1, 1))  # typed as the policy writes amounts
    assert figures == {"activities": 6, "changed": 1, "current": 1_550_000, "new": 1_600_000, "difference": 50_000}
    assert "up" in (page.get_attribute("#preview-difference", "class") or "")
    web.shot("08-parameter-preview-past")
    assert page.locator("#history tbody tr").count() == 1  # a preview stores nothing

    # From a future date: activities cannot be dated in the future, so nothing is affected.
    future = clock.today() + timedelta(days=60)
    figures = preview(350_000, future)
    assert figures == {"activities": 0, "changed": 0, "current": 0, "new": 0, "difference": 0}
    web.shot("09-parameter-preview-future")

    web.submit("#confirm-form #save")
    assert web.path() == f"/parameters/{LEAD_NATIONAL}"
    assert page.locator(".flash.success").count() == 1
    rows = page.locator("#history tbody tr")
    assert rows.count() == 2
    newest = rows.first
    assert "version-future" in (newest.get_attribute("class") or "")  # scheduled, not in force yet
    cells = [" ".join(c.split()) for c in newest.locator("td").all_inner_texts()]
    assert cells[1] == future.isoformat()
    assert digits(cells[2]) == 350_000
    assert cells[3] == "市政府常务会议决定提高国家标准牵头制定奖励" and cells[4] == "嘉政发〔2026〕1号 三(二)"
    assert cells[5].startswith("mr_admin")
    # still ¥300,000 today; the next change is announced
    assert digits(web.text("#current-value")) == 300_000
    assert future.isoformat() in web.text("#parameter-facts") and "350,000" in web.text("#parameter-facts")
    web.shot("10-parameter-saved")

    # the stored outcomes did not change (a version applies when activities are evaluated)
    with app.app_context():
        amounts = db.session.scalars(select(OutcomeRecord.amount).where(OutcomeRecord.rule == "R2", OutcomeRecord.amount > 0))
        assert list(amounts) == [300_000]


def test_import_shows_the_bad_row_and_stores_nothing_then_a_good_file(app: Flask, web: Browser) -> None:
    from core.services import preview_import

    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    good = [dict(examples[0], id="WEB-001"), dict(examples[6], id="WEB-002")]
    bad = [good[0], dict(good[0], id="WEB-BAD", standard_code="GB/T 123-20201"), good[1]]
    with app.app_context():  # core's message for that row, in Chinese (the default UI language)
        (invalid,) = preview_import(get_registry(), bad).invalid
        (error,) = invalid.errors
    assert (invalid.row, error.field) == (2, "standard_code") and "GB/T 123-20201" in error.message_zh

    web.login("mr_admin")
    web.page.click('nav.side a[href="/import"]')
    web.page.wait_for_url(web.base + "/import")
    web.shot("11-import")

    def upload(records: list[dict], name: str) -> None:
        web.page.set_input_files("#upload-form #file", files=[{
            "name": name, "mimeType": "application/json",
            "buffer": json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8"),
        }])
        web.submit("#upload-form #submit")
        assert web.path() == "/import"

    upload(bad, "with-one-bad-row.json")
    assert [web.text(f"#sum-{n}") for n in ("records", "valid", "invalid")] == ["3", "2", "1"]
    rows = web.page.locator("#import-errors tr.invalid-row")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-row") == "2"
    cells = [" ".join(c.split()) for c in row.locator("td").all_inner_texts()]
    assert cells[0] == "第2行" and cells[1] == "WEB-BAD"
    assert cells[3] == "标准编号" and cells[4] == '"GB/T 123-20201"' and cells[5] == error.message_zh
    assert web.page.locator('form[action="/import/confirm"]').count() == 0  # no way to store it
    web.shot("12-import-errors")

    assert activity_count(app) == 0
    web.goto("/activities")
    assert web.page.locator("#register").count() == 0  # the register is still empty

    web.goto("/import")
    upload(good, "good.json")
    assert [web.text(f"#sum-{n}") for n in ("records", "valid", "invalid", "new")] == ["2", "2", "0", "2"]
    web.shot("13-import-confirm")
    web.submit('#import-confirm form[action="/import/confirm"] [type="submit"]')
    assert web.path() == "/import/confirm"
    assert web.text("#res-stored") == "2"
    assert digits(web.text("#res-total")) == 1_300_000  # R2 ¥300,000 + R10 ¥1,000,000
    assert sorted(web.page.locator("#stored-activities tbody tr td:first-child").all_inner_texts()) == ["WEB-001", "WEB-002"]
    web.shot("14-import-result")
    assert activity_count(app) == 2


def test_find_an_activity_and_read_its_explanation_in_both_languages(app: Flask, web: Browser) -> None:
    ids = seed(app)
    with app.app_context():
        outcome = db.session.scalar(select(OutcomeRecord).where(OutcomeRecord.activity_id == ids["EX-001"]))
        stored_zh, stored_en = outcome.explanation_zh, outcome.explanation_en

    web.login("mr_viewer")
    web.goto("/activities")
    assert web.page.locator("#register tbody tr").count() == 8
    web.page.fill("#register-filters #q", "GB/T 45123-2025")
    web.submit('#register-filters button[type="submit"]')
    assert web.path().startswith("/activities?") and "q=GB" in web.path()
    found = web.page.locator("#register tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(found) == ["EX-001", "EX-002"]
    web.shot("15-activities-search")

    web.page.click('#register a:text-is("EX-001")')
    web.page.wait_for_url(f"{web.base}/activities/{ids['EX-001']}")
    assert web.page.get_attribute("html", "lang") == "zh-CN"
    explanation = web.text('#outcomes .explanation > p[lang="zh-CN"]')
    assert "国家标准 GB/T 45123-2025" in explanation and "30万元" in explanation
    assert explanation == " ".join(stored_zh.split())
    assert digits(web.text("#activity-amount")) == 300_000
    web.shot("16-activity-zh")

    web.switch_language()
    assert web.path() == f"/activities/{ids['EX-001']}"
    assert web.page.get_attribute("html", "lang") == "en"
    explanation = web.text('#outcomes .explanation > p[lang="en"]')
    assert "National standard GB/T 45123-2025" in explanation and "a reward of ¥300,000" in explanation
    assert explanation == " ".join(stored_en.split())
    # the other language stays one click away
    web.page.click("#outcomes details.other-language summary")
    assert "国家标准 GB/T 45123-2025" in web.text('#outcomes details.other-language p[lang="zh-CN"]')
    web.shot("17-activity-en")

    web.goto("/activities")  # the choice sticks to the session
    assert web.page.get_attribute("html", "lang") == "en"
    web.shot("18-activities-en")


def test_viewer_has_no_import_or_record_buttons_and_other_departments_get_404(app: Flask, web: Browser) -> None:
    seed(app)
    web.login("mr_viewer")
    assert web.page.locator('nav.side a[href="/import"]').count() == 0
    web.goto("/import", status=403)
    web.goto(f"/parameters/{LEAD_NATIONAL}")
    assert web.page.locator("#read-only").count() == 1
    assert web.page.locator("#version-form, #preview, #save").count() == 0
    assert digits(web.text("#current-value")) == 300_000
    web.shot("19-parameter-viewer")
    web.goto("/plugins")
    assert web.page.locator("#switches form").count() == 0  # sees the state, cannot switch
    web.submit("form[action='/logout'] button")
    assert web.path() == "/login"

    # civil_affairs has not enabled reward_tiers: its parameters and its page do not exist for them
    web.login("ca_admin")
    web.goto(f"/parameters/{LEAD_NATIONAL}", status=404)
    web.shot("20-parameter-other-department-404")
    web.goto("/admin/p/reward_tiers/", status=404)
    web.goto("/parameters/")
    assert web.page.locator(f'a[href="/parameters/{LEAD_NATIONAL}"]').count() == 0
    web.goto("/activities")
    assert web.page.locator("#register").count() == 0  # the reward_tiers activities are not theirs


# -- sessions and passwords ---------------------------------------------------------------------


def test_a_cookie_copied_before_logout_opens_nothing_after_it(browser: Any, web: Browser) -> None:
    """Another browser given the session cookie gets in while the session holds, and not after logout."""
    web.login("mr_admin")
    copy = browser.new_context()
    copy.set_default_timeout(TIMEOUT)
    try:
        copy.add_cookies(web.page.context.cookies())
        thief = copy.new_page()
        thief.goto(web.base + "/activities")
        assert thief.url == web.base + "/activities"
        web.submit("form[action='/logout'] button")
        assert web.path() == "/login"
        thief.goto(web.base + "/activities")
        assert thief.url.startswith(web.base + "/login")
        response = thief.request.get(web.base + "/activities/export.csv", max_redirects=0)
        assert response.status == 302 and "/login" in response.headers["location"]
    finally:
        copy.close()


def test_a_reset_password_is_used_once_and_replaced(app: Flask, browser: Any, web: Browser) -> None:
    web.login("city")
    web.goto("/users")
    web.page.click("#user-mr_viewer a.reset-link")
    web.page.wait_for_url(re.compile(r".*/users/\d+/password$"))
    web.submit("#reset-password")
    one_time = web.text("#one-time-password")
    assert len(one_time) >= 16
    web.shot("21-one-time-password")

    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    other.set_default_timeout(TIMEOUT)
    try:
        user = Browser(other.new_page(), web.base, web._screenshots)
        user.goto("/login")
        user.page.fill("#username", "mr_viewer")
        user.page.fill("#password", one_time)
        user.submit("#submit")
        assert user.path() == "/account/password" and user.page.locator("#must-change").count() == 1
        user.goto("/activities")  # nothing else opens until the password is changed
        assert user.path() == "/account/password"
        user.page.fill("#current", one_time)
        user.page.fill("#password", "a-new-secret-phrase-9")
        user.page.fill("#confirm", "a-new-secret-phrase-9")
        user.shot("22-change-password")
        user.submit("#submit")
        assert user.path() == "/dashboard"
        assert user.page.locator(".flash.success").count() == 1
        assert not user.broken and not user.blocked
    finally:
        other.close()

    web.goto("/users")
    link = web.page.locator("#user-mr_viewer a.sessions-link")
    assert link.inner_text() == "1"
    link.click()
    web.page.wait_for_url(re.compile(r".*/users/\d+/sessions$"))
    assert web.page.locator('#sessions tr[data-status="open"]').count() == 1
    assert web.page.locator('#sessions tr[data-status="ended"]').count() == 1  # the one-time password's login
    web.shot("23-sessions")
    web.submit("#end-all-sessions button")
    assert web.page.locator('#sessions tr[data-status="open"]').count() == 0


# -- narrow screens, and Chinese pages without codes (issue 6) ------------------------------------


#: Reads what a reader sees of ``<main>``: the text of a copy without small print (codes and keys beside
#: their names), names users gave (user and file names) and closed other-language explanations.
VISIBLE_TEXT = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("small.detail, span.name, details:not([open]), select").forEach(e => e.remove());
  document.body.appendChild(main);  // laid out, so innerText leaves out what CSS hides
  const text = main.innerText;
  main.remove();
  return text;
}"""


def english_words(text: str) -> list[str]:
    return sorted(set(re.findall(r"[A-Za-z]*[a-z]{3,}[A-Za-z]*", text)) - {"Excel"})


def test_chinese_pages_show_names_not_codes(app: Flask, web: Browser) -> None:
    """Coded values (provincial, third, organization), kinds, plugins, hooks and keys read as Chinese names."""
    with app.app_context():
        registry = get_registry()
        for path in (EXAMPLES, ROOT / "core/data/demo_activities.json"):
            records = json.loads(path.read_text(encoding="utf-8"))
            assert import_records(registry, records, source=f"upload:{path.name}", actor="cli:root").ok
        db.session.commit()
        ids = dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())
    web.login("mr_admin")
    pages = {
        "31-activities-awards-zh": "/activities?kind=innovation_award",
        "32-activities-pilots-zh": "/activities?kind=pilot_project",
        "33-activity-provincial-pilot-zh": f"/activities/{ids['JX-025']}",
        "34-activity-organisation-award-zh": f"/activities/{ids['JX-022']}",
        "35-plugins-zh": "/plugins",
        "36-dashboard-zh": "/dashboard",
    }
    for name, path in pages.items():
        web.goto(path)
        assert web.page.get_attribute("html", "lang") == "zh-CN"
        text = web.page.evaluate(VISIBLE_TEXT)
        assert english_words(text) == [], f"{path}: {english_words(text)}"
        web.shot(name)
    web.goto("/activities?kind=innovation_award")
    subjects = web.page.locator("#register tbody tr td:nth-child(5)").all_inner_texts()
    assert {" ".join(s.split()) for s in subjects} == {"一等奖", "二等奖", "三等奖", "组织奖"}
    legend = web.text("#rule-legend")
    assert "R10" in legend and "R11" in legend and "中国标准创新贡献奖" in legend
    web.goto(f"/activities/{ids['JX-025']}")
    assert "省级" in web.text("#activity-fields") and "provincial" not in web.text("#activity-fields")


@pytest.mark.parametrize("width", [375, 600, 899])
def test_narrow_screens_get_a_menu_button(app: Flask, browser: Any, live_server: str, screenshots: _ScreenshotSummary,
                                          users: dict[str, int], width: int) -> None:
    seed(app)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT)
    web = Browser(context.new_page(), live_server, screenshots)
    try:
        web.login("mr_admin")
        menu, button = web.page.locator("nav.side"), web.page.locator("#menu-button")
        assert button.is_visible() and not menu.is_visible()
        web.shot(f"37-narrow-{width}-closed")
        button.click()
        assert menu.is_visible()
        assert web.page.locator('nav.side a[href="/activities"]').is_visible()
        web.shot(f"38-narrow-{width}-open")
        web.page.click('nav.side a[href="/activities"]')
        web.page.wait_for_url(web.base + "/activities")
        assert not menu.is_visible()  # a new page starts with the menu folded
        assert web.page.locator("#register tbody tr").count() == 8
        web.shot(f"39-narrow-{width}-activities")  # no sideways scrolling: wide tables scroll in their own box
        # the keyboard opens it too: the button's checkbox takes the focus and Space
        web.page.focus("#menu-toggle")
        web.page.keyboard.press("Space")
        assert menu.is_visible()
        for path in ("/dashboard", "/plugins", "/parameters/", "/audit"):
            web.goto(path)
            web.shot(f"40-narrow-{width}{path.replace('/', '-').rstrip('-')}")
        assert not web.broken, web.broken
        assert not web.blocked, f"blocked by the Content-Security-Policy: {web.blocked}"
    finally:
        context.close()


def test_wide_screens_keep_the_side_menu(app: Flask, web: Browser) -> None:
    web.login("mr_viewer")
    assert web.page.locator("nav.side").is_visible()
    assert not web.page.locator("#menu-button").is_visible()


# -- reference data (the test plugin quota, tests/quota_plugin) --------------------------------
# Here rather than in a module of its own: the session's browser fixture must be this module's.

REFDATA_TABLE = "quota.limits"


@pytest.fixture
def quota_web(browser: Any, quota_app: Flask, screenshots: _ScreenshotSummary) -> Iterator[Browser]:
    quota_app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with serve(quota_app) as base, browsing(browser, base, screenshots) as session:
        yield session


def _refdata_versions(app: Flask) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [(v.sequence, v.source, v.row_count) for v in db.session.scalars(
            select(ReferenceVersionRecord).filter_by(table_key=REFDATA_TABLE).order_by(ReferenceVersionRecord.sequence))]


def _edited_export(data: bytes) -> bytes:
    """The exported workbook as an office would change it: a new product with two indicators, a limit lowered."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    indicators = json.loads(sheet.cell(row=2, column=4).value)
    indicators[0]["各级限定值"] = ["44", "49", "54"]
    sheet.cell(row=2, column=4).value = json.dumps(indicators, ensure_ascii=False)
    sheet.append(["GB 21256-2013", "球团", 2, json.dumps([
        {"指标名称": "工序能耗", "单位": "kgce/t", "方向": "越低越好", "各级限定值": ["15", "24"]},
        {"指标名称": "电耗", "单位": "kWh/t", "方向": "越低越好", "各级限定值": ["30", "35"], "准入值": "32"},
    ], ensure_ascii=False), None, "是"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_office_updates_a_table_by_xlsx_and_in_the_browser(quota_app: Flask, quota_web: Browser, tmp_path) -> None:
    web = quota_web
    web.login("mr_admin")
    web.page.click("a[href='/reference-data/']")
    web.page.wait_for_url("**/reference-data/")
    web.shot("refdata-index")
    web.page.click(f"[id='table-{REFDATA_TABLE}'] a")
    web.page.wait_for_url(f"**/reference-data/{REFDATA_TABLE}")
    assert "GB 21256-2013" in web.text("#rows")

    # Export the version in force, change it as an office would, upload it.
    with web.page.expect_download() as download:
        web.page.click("#export-xlsx")
    exported = tmp_path / "export.xlsx"
    download.value.save_as(exported)
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(_edited_export(exported.read_bytes()))
    web.page.set_input_files("#file", str(changed))
    web.page.fill("#effective_from", "2024-01-01")
    web.page.fill("#reason", "新版标准实施")
    web.page.fill("#reference", "GB 21256-2024 4.1")
    web.shot("refdata-table")
    web.submit("#upload-form [type=submit]")
    assert "/preview/" in web.path()
    assert _refdata_versions(quota_app) == [(1, "shipped", 2)]  # nothing recorded yet
    assert "电耗" in web.text("#diff-added") and "GB 21256-2013 / 烧结" in web.text("#diff-changed")
    web.shot("refdata-preview")
    web.submit("#confirm-form [type=submit]")
    assert _refdata_versions(quota_app) == [(1, "shipped", 2), (2, "import", 3)]
    assert "version=2" in web.path()

    # Compare the two versions.
    web.page.select_option("#diff-a", "1")
    web.page.select_option("#diff-b", "2")
    web.submit("#compare-form [type=submit]")
    assert "球团" in web.text("#diff-added")
    web.shot("refdata-diff")

    # Edit the rows in the browser: remove 焦化, give 球团 three grades.
    web.goto(f"/reference-data/{REFDATA_TABLE}/edit")
    lines = {web.page.input_value(f"[name=r{i}-product]"): i for i in range(1, 4)}
    web.page.check(f"[name=r{lines['焦化']}-remove]")
    web.page.fill(f"[name=r{lines['球团']}-grades]", "3")
    web.page.fill("#effective_from", "2025-01-01")
    web.page.fill("#reason", "球团分为三级")
    web.page.fill("#reference", "嘉发改〔2025〕1号")
    web.shot("refdata-edit")
    web.submit("#preview")
    assert "焦化" in web.text("#diff-removed")
    web.submit("#confirm-form [type=submit]")
    assert _refdata_versions(quota_app)[-1] == (3, "admin", 2)
    assert "第3版" in web.text("#current-version") or "第3版" in web.text("#history")


# The carbon plugin's pages (plugins/carbon): here, as the session's browser fixture must be this module's.


@pytest.fixture
def carbon_web(browser: Any, stdpolicy_app: Flask, stdpolicy_runner: Any,
               screenshots: _ScreenshotSummary) -> Iterator[Browser]:
    done = stdpolicy_runner.invoke(args=["init", "--demo"])       # the sample quota versions and records
    assert done.exit_code == 0, done.output
    stdpolicy_app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    with serve(stdpolicy_app) as base, browsing(browser, base, screenshots, accept_downloads=True) as session:
        yield session


@pytest.mark.stdpolicy_plugins("carbon", "reward_tiers")
def test_an_ecology_viewer_reads_the_carbon_overview_and_exports_the_rectification_list(
        carbon_web: Browser, stdpolicy_user: Any) -> None:
    from openpyxl import load_workbook

    web = carbon_web
    web.login(stdpolicy_user(role="dept_viewer", department="ecology_environment"))
    web.goto("/admin/p/carbon/")
    assert web.text("h1") == "碳达峰碳中和标准"
    industry = web.text("#compliance-by-industry")
    assert "建材" in industry and "钢铁" in industry and "%" in industry
    assert "嘉善县" in web.text("#compliance-by-county")
    web.shot("carbon-overview")
    with web.page.expect_navigation():
        web.page.click("text=能耗限额整改名单")
    assert "海宁示例建材有限公司" in web.text("#carbon-list")
    web.page.select_option('select[name="county"]', "330421")
    web.submit('#carbon-filters button[type="submit"]')
    listed = web.text("#carbon-list")
    assert "嘉善示例化工有限公司" in listed and "海宁示例建材有限公司" not in listed
    with web.page.expect_download() as download:
        web.page.click("#export-xlsx")
    rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][0] == "单位" and [r[0] for r in rows[1:]] == ["嘉善示例化工有限公司"]


def test_an_office_plans_a_budget_what_if_saves_compares_and_records_it(app: Flask, web: Browser) -> None:
    """Issue #12 part 3: propose a reward amount, see its cost, save two scenarios, compare them, record one;
    the stored amounts then change exactly as the planning page said (checked in the database)."""
    ids = seed(app)
    with app.app_context():
        paid_leads = {activity_id: int(amount) for activity_id, amount in db.session.execute(
            select(OutcomeRecord.activity_id, OutcomeRecord.amount)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.rule == "R2", OutcomeRecord.amount > 0))}
    assert paid_leads
    web.login("mr_admin")
    web.goto("/whatif/")

    def plan(value: int, name: str) -> None:
        web.page.select_option("#key", LEAD_NATIONAL)
        web.submit('button[value="choose"]')
        web.page.fill("#value", str(value))
        web.page.fill("#effective_from", "2022-08-01")  # the shipped version's date: the proposal replaces it
        web.submit("#add-change")
        assert digits(web.text("#difference")) == sum(value - amount for amount in paid_leads.values())
        assert {int(row.get_attribute("data-id") or 0) for row in web.page.locator("#affected tbody tr").all()} \
            == set(paid_leads)
        web.page.fill("#save-name", name)
        web.submit("#save-scenario")
        assert web.page.locator(".flash.success").count() == 1

    plan(600000, "国家标准奖励60万")
    web.shot("40-whatif-scenario")
    web.goto("/whatif/")
    plan(450000, "国家标准奖励45万")
    web.goto("/whatif/scenarios")
    assert web.page.locator("#scenarios tbody tr").count() == 2
    for box in web.page.locator('#scenarios input[name="id"]').all():
        box.check()
    web.submit("#compare")
    proposed = [digits(cell.inner_text()) for cell in web.page.locator("#row-proposed td").all()]
    current = digits(web.text("#row-current td"))
    assert sorted(proposed) == sorted(current + sum(v - a for a in paid_leads.values()) for v in (600000, 450000))
    web.shot("41-whatif-compare")

    web.page.click("#comparison thead a >> nth=0")
    web.page.wait_for_url(re.compile(r".*/whatif/scenarios/\d+$"))
    predicted = {int(row.get_attribute("data-id") or 0): digits(row.locator("td").nth(5).inner_text())
                 for row in web.page.locator("#affected tbody tr").all()}
    web.page.fill("#reason", "2025年预算调整")
    web.page.fill("#reference", "嘉政办发〔2022〕10号 三(二)")
    web.submit("#record-scenario")
    assert web.page.locator(".flash.success").count() == 1 and web.page.locator("#recorded").count() == 1
    with app.app_context():
        stored = {activity_id: int(amount) for activity_id, amount in db.session.execute(
            select(OutcomeRecord.activity_id, func.sum(OutcomeRecord.amount))
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.activity_id.in_(list(predicted)))
            .group_by(OutcomeRecord.activity_id))}
    assert stored == predicted and set(predicted) <= set(ids.values())


# -- approval lists (拨付清单) ------------------------------------------------------------------


def test_an_administrator_previews_issues_and_downloads_an_approval_list(
        app: Flask, browser: Any, live_server: str, screenshots: _ScreenshotSummary, users: dict[str, int]) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    done = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output
    with browsing(browser, live_server, screenshots, accept_downloads=True) as web:
        web.login("mr_admin")
        web.goto("/approvals/")
        web.page.fill("#period_from", "2024-01-01")
        web.page.fill("#period_to", "2024-12-31")
        web.page.fill("#note", "2024年度第一批")
        web.submit("#period-form #preview")
        assert web.text("#preview-count") == "9"
        assert digits(web.text("#preview-total")) == 3_200_000 and "叁佰贰拾万元整" in web.text("#preview-total")
        assert "桐乡玻纤复合材料有限公司" in web.text("#preview-rows")
        assert digits(web.text("#preview-counties-total")) == 3_200_000
        web.shot("approvals-preview")
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(ApprovalListRecord)) == 0  # a preview stores nothing

        web.submit("#issue-form #issue")
        assert web.path().endswith("/approvals/2024-001") or "2024-001" in web.path()
        assert web.page.locator(".flash.success").count() == 1
        assert web.text("#list-number") == "2024-001" and web.page.locator("#digest-ok").count() == 1
        assert web.page.locator("#rows tbody tr").count() == 9
        assert digits(web.text("#counties-total")) == 3_200_000
        web.shot("approvals-list")

        texts = {}
        for fmt in ("xlsx", "pdf", "notice"):
            with web.page.expect_download() as download:
                web.page.click(f"#download-{fmt}")
            texts[fmt] = Path(download.value.path()).read_bytes()
        sheet = load_workbook(io.BytesIO(texts["xlsx"])).active
        assert sheet["A1"].value == "标准化奖励与补助资金拨付清单"
        pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(texts["pdf"])).pages).replace("\n", "")
        assert "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》" in pdf and "叁佰贰拾万元整" in pdf
        notice = "".join(p.extract_text() for p in PdfReader(io.BytesIO(texts["notice"])).pages).replace("\n", "")
        assert "公示" in notice and "91330483MA2CUW803G" not in notice and "桐乡玻纤复合材料有限公司" in notice

        web.goto("/approvals/")
        assert "2024-001" in web.text("#issued-lists")


#: Two organisations claiming rank 1 on one standard, and a Shanghai-registered drafter: held for review (issue #11).
HELD_RECORDS = [
    {"id": "X-1", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": "913304007429141869",
     "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "Y-1", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": "91330482MA2AH5T006",
     "organisation": "平湖光电新能源有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "S-1", "kind": "standard_drafting", "date": "2023-05-10", "credit_code": "91310115MA1FL0AB0P",
     "organisation": "上海某某科技有限公司", "standard_code": "GB/T 43001-2023", "rank": 1},
]


def test_a_reviewer_approves_one_held_outcome_and_rejects_another(app: Flask, web: Browser) -> None:
    from core.models import ReviewDecisionRecord

    with app.app_context():
        assert import_records(get_registry(), HELD_RECORDS, source="held.json", actor="tests").ok
        db.session.commit()
        held = dict(db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.id)
            .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)).all())
    web.login("mr_admin")
    web.goto("/reviews")
    page = web.page
    assert page.locator("#review-queue tbody tr").count() == 3
    row = f"#outcome-row-{held['X-1']}"
    assert digits(web.text(f"{row} td.num")) == 300_000 and "平湖光电新能源有限公司" in web.text(row)
    web.shot("reviews-queue")

    page.fill(f"#note-{held['X-1']}", "核对起草单位名单,排名第一位无误")
    web.submit(f"#decide-{held['X-1']} button[value=approved]")
    assert web.path() == "/reviews" and page.locator(".flash.success").count() == 1
    page.fill(f"#note-{held['S-1']}", "注册地在上海市,不属于本市企业")
    web.submit(f"#decide-{held['S-1']} button[value=rejected]")
    assert page.locator("#review-queue tbody tr").count() == 1  # Y-1 still pending

    with web.page.expect_navigation():
        page.click("#tab-decided")
    assert page.get_attribute(f"#outcome-row-{held['X-1']}", "data-state") == "approved"
    assert page.get_attribute(f"#outcome-row-{held['S-1']}", "data-state") == "rejected"
    assert "注册地在上海市,不属于本市企业" in web.text(f"#outcome-row-{held['S-1']}")
    web.shot("reviews-decided")
    with app.app_context():
        stored = db.session.execute(select(ReviewDecisionRecord.outcome_id, ReviewDecisionRecord.decision,
                                           ReviewDecisionRecord.decided_by).order_by(ReviewDecisionRecord.id)).all()
    assert [tuple(r) for r in stored] == [(held["X-1"], "approved", "mr_admin"), (held["S-1"], "rejected", "mr_admin")]



# -- every page: the demo instance, followed link by link ------------------------------------------

@pytest.fixture
def demo_web(browser: Any, stdpolicy_app: Flask, stdpolicy_runner: Any,
             screenshots: _ScreenshotSummary) -> Iterator[Browser]:
    """The built-in plugins' demo data (``init --demo``) on a live server."""
    done = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output
    stdpolicy_app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    with serve(stdpolicy_app) as base, browsing(browser, base, screenshots) as session:
        yield session


@pytest.mark.stdpolicy_plugins(*builtin_plugins())
@pytest.mark.parametrize("language,width", [("zh_CN", 375), ("en", 375), ("zh_CN", 768), ("en", 1024)])
def test_every_page_a_city_administrator_reaches_opens_and_fits_the_screen(demo_web: Browser, stdpolicy_user: Any,
                                                                           language: str, width: int) -> None:
    """Working for each department that enables a built-in plugin, follow every link of every page from
    the dashboard (one URL per path) on a phone's screen in each language, on a tablet's in Chinese,
    and on a small laptop's in English (the wider words).

    None may answer an error (``browsing`` checks every response: three
    parameter pages answered 500 once) or be wider than the screen: a
    figure's amount pushed the dashboard sideways with one font; in English
    a select as wide as its longest option, an inline form and the printable
    forerunner list did on a phone, and wide tables (audit log, users,
    reward table) on a 1024-pixel laptop.
    """
    web = demo_web
    web.login(stdpolicy_user(role="city_admin"))
    web.page.set_viewport_size({"width": width, "height": 800})
    web.goto(f"/dashboard?lang={language}")
    seen: set[str] = set()
    wide: list[str] = []

    def open_page(path: str) -> list[str]:
        web.goto(path)
        overflow = web.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide.append(f"{path}: {overflow}px: {web.page.evaluate(_TOO_WIDE)}")
        return web.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")

    for department in ("market_regulation", "ecology_environment", "civil_affairs"):
        web.goto("/dashboard")
        web.page.select_option("#department-select", department)
        web.submit("#department-switch button[type=submit]")
        walk(open_page, seen)
        seen.discard("/dashboard")  # each department's own
    for plugin in builtin_plugins():
        assert any(path.startswith(f"/admin/p/{plugin}/") for path in seen), plugin
    assert len(seen) > 100, sorted(seen)  # parameters, tables, every plugin's pages, the register, reviews …
    assert not wide, wide

