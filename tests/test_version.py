"""``core.__version__`` and ``core.HOOK_API_VERSION`` (core/version.py)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from packaging.version import Version

import core

ROOT = Path(__file__).resolve().parent.parent


def test_version_is_the_distribution_version() -> None:
    assert core.__version__ == version("stdpolicy")
    declared = re.search(r'version="([^"]+)"', (ROOT / "setup.py").read_text(encoding="utf-8"))
    assert declared is not None and core.__version__ == declared.group(1)


def test_hook_api_version_is_major_minor() -> None:
    assert re.fullmatch(r"\d+\.\d+", core.HOOK_API_VERSION)
    assert Version(core.HOOK_API_VERSION) >= Version("1.0")


def test_both_are_public() -> None:
    assert {"__version__", "HOOK_API_VERSION"} <= set(core.__all__)
