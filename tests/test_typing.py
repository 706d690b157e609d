"""mypy runs clean on core (mypy.ini: disallow_untyped_defs, check_untyped_defs …), as `.ci/run` checks.

What must pass and why: docs/typing.md. A new module under core/ is checked
too; this test names the first errors when one is not clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_clean_on_core() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the test extra: pip install -e '.[test]'")
    cwd = os.getcwd()
    os.chdir(ROOT)  # mypy.ini's `files = core`, and its cache beside it
    try:
        out, err, status = api.run([])
    finally:
        os.chdir(cwd)
    assert status == 0, (out + err)[-4000:]
    assert "Success: no issues found" in out
