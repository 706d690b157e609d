"""The wheel carries every module and data file the project needs.

Built as `pip install .` builds it (not editable): a package or template
left out of the wheel breaks every installed copy while an editable
install in the checkout keeps working.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("core", "plugins", "webadmin", "migrations")
SHIPPED_SUFFIXES = {".py", ".html", ".yaml", ".csv", ".css", ".po", ".mo", ".ini", ".mako", ".json", ".typed", ".cfg", ".tmpl"}


def _plugin_tests(name: str) -> bool:
    """A built-in plugin's own tests (``plugins/<name>/tests/``) stay in the checkout."""
    parts = Path(name).parts
    return len(parts) > 3 and parts[0] == "plugins" and parts[2] == "tests"


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", *TOP_LEVEL], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [line for line in out.stdout.splitlines()
            if (Path(line).suffix in SHIPPED_SUFFIXES or Path(line).name == "README") and not _plugin_tests(line)]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    # From a copy of the tracked files, as a clean clone: a build/ folder
    # left in the checkout would otherwise lend the wheel files setup.py misses.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        target = source / name
        if (ROOT / name).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    # A plugin with migrations of its own, as carbon's will be: its scripts must ship too.
    for name in PROBE:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text('"""probe"""\n', encoding="utf-8")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = out.glob("stdpolicy-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


#: Files of a would-be plugin with its own tables, added to the copy the wheel is built from.
PROBE = ("plugins/probe/__init__.py", "plugins/probe/migrations/__init__.py",
         "plugins/probe/migrations/versions/0001_probe_things.py")


def test_migration_scripts_of_every_environment_are_in_the_wheel(wheel_names: set[str]) -> None:
    assert set(PROBE) <= wheel_names  # a plugin's versions/ folder is not a package: package data
    assert {"migrations/versions/0008_environments.py", "webadmin/migrations/versions/0001_admin_tables.py",
            "core/alembic_env/env.py", "core/alembic_env/script.py.mako"} <= wheel_names


def test_every_tracked_module_and_data_file_is_in_the_wheel(wheel_names: set[str]) -> None:
    missing = [name for name in _tracked_files() if name not in wheel_names]
    assert not missing, f"left out of the wheel: {missing}"


def test_plugins_tests_are_not_in_the_wheel(wheel_names: set[str]) -> None:
    assert [name for name in wheel_names if _plugin_tests(name)] == []
    assert "plugins/reward_tiers/rules.py" in wheel_names


def test_nothing_outside_the_four_packages_is_in_the_wheel(wheel_names: set[str]) -> None:
    strays = sorted({name.split("/", 1)[0] for name in wheel_names
                     if not name.startswith(TOP_LEVEL) and ".dist-info/" not in name})
    assert not strays, f"swept into the wheel: {strays}"


def test_core_is_marked_typed_in_the_wheel(wheel_names: set[str]) -> None:
    """PEP 561: a plugin's own mypy run reads core's annotations only with ``core/py.typed`` installed."""
    assert "core/py.typed" in wheel_names
