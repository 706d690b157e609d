"""Browser tests of plugin pages: a live server of the test's admin and a headless Chromium.

``stdpolicy_live_server`` (a fixture of the kit) serves the test's
``stdpolicy_app`` on 127.0.0.1 with CSRF protection on, as in production;
``run_in_browser(scenario)`` starts Debian's Chromium through Playwright and
calls ``scenario(browser)``. Chromium is ``/usr/bin/chromium`` (or
``$STDPOLICY_CHROMIUM``); without it, or without Playwright, the test is
skipped, unless ``STDPOLICY_REQUIRE_BROWSER=1`` (CI), where it fails.

The scenario runs in a thread of its own: a project may keep a session-wide
Playwright (and its asyncio loop) in the main thread, where a second sync
Playwright is refused; a new thread has no loop, so both work.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["CHROMIUM_ARGS", "chromium_path", "live_server", "run_in_browser"]

#: Chromium's switches for a closed network and a container: no sandbox, no
#: GPU, and none of the background connections this machine's network refuses.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium_path() -> Path:
    """Where Chromium is expected (``$STDPOLICY_CHROMIUM``, else Debian's /usr/bin/chromium)."""
    return Path(os.environ.get("STDPOLICY_CHROMIUM", "/usr/bin/chromium"))


def _unavailable(reason: str) -> None:
    if os.environ.get("STDPOLICY_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def run_in_browser(scenario: Callable[[Any], None], *, timeout: float = 300) -> None:
    """Call ``scenario(browser)`` with a headless Chromium (a Playwright ``Browser``), in a thread of its own.

    What the scenario raises (a failed assertion included) is raised again in
    the test's thread; the browser is closed either way.
    """
    chromium = chromium_path()
    if not chromium.exists():
        _unavailable(f"{chromium} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    raised: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                                     args=list(CHROMIUM_ARGS))
                try:
                    scenario(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 — handed back to the test's thread
            raised.append(exc)

    thread = threading.Thread(target=run, name="stdpolicy-browser")
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), f"the browser scenario did not finish in {timeout:.0f} s"
    if raised:
        raise raised[0]


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL, without a trailing slash."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, name="stdpolicy-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
