"""``stdpolicy plugin new``: the package it writes installs and its tests pass as written.

The slow test does what a plugin author does: generate a plugin into a
temporary folder, ``pip install`` it (not editable: its package data must
be declared) into a fresh virtual environment that sees this project's
packages, and run ``pytest`` in its folder. On PostgreSQL when
``STDPOLICY_DATABASE_URL`` names a server, as the rest of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli.scaffold import plugin_group
from core.scaffold import PluginNameError, check_name, new_plugin


def test_the_command_writes_a_complete_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(plugin_group, ["new", "training", "--path", str(tmp_path),
                                               "--label-zh", "培训补助", "--label-en", "Training subsidy"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "stdpolicy-training"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {"pyproject.toml", "README.md", "src/stdpolicy_training/__init__.py", "src/stdpolicy_training/rules.py",
            "src/stdpolicy_training/schemas.py", "src/stdpolicy_training/parameters.yaml",
            "src/stdpolicy_training/admin.py", "src/stdpolicy_training/templates/training/index.html",
            "src/stdpolicy_training/models.py", "src/stdpolicy_training/migrations/__init__.py",
            "src/stdpolicy_training/migrations/versions/0001_bases.py", "tests/test_storage.py", ".gitignore",
            "tests/training.policy.yaml", "tests/test_rules.py", "tests/test_admin.py"} <= files
    assert not any(name.endswith(".tmpl") or "$" in name for name in files)
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."stdpolicy.plugins"]\ntraining = "stdpolicy_training"' in pyproject
    assert 'stdpolicy_plugins = ["training"]' in pyproject
    init = (root / "src/stdpolicy_training/__init__.py").read_text(encoding="utf-8")
    assert 'api=">=1.0,<2"' in init and 'Text("培训补助", "Training subsidy")' in init
    assert "key: training.per_event" in (root / "src/stdpolicy_training/parameters.yaml").read_text(encoding="utf-8")
    assert "wrote" in result.output and "stdpolicy enable training" in result.output


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    (tmp_path / "stdpolicy-training").mkdir()
    (tmp_path / "stdpolicy-training" / "notes.txt").write_text("mine")
    result = CliRunner().invoke(plugin_group, ["new", "training", "--path", str(tmp_path)])
    assert result.exit_code == 2 and "exists and is not empty: nothing was written" in result.output
    assert [p.name for p in (tmp_path / "stdpolicy-training").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("name, words", [
    ("Training", "lower_snake_case"),
    ("t", "lower_snake_case"),
    ("9lives", "lower_snake_case"),
    ("with-dash", "lower_snake_case"),
    ("core", "reserved"),
    ("class", "reserved"),
])
def test_names_it_cannot_use(name: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(PluginNameError, match=words):
        check_name(name)
    result = CliRunner().invoke(plugin_group, ["new", name, "--path", str(tmp_path)])
    assert result.exit_code == 2 and words in result.output and "nothing was written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_installed_plugins_name_is_taken(tmp_path: Path) -> None:
    result = CliRunner().invoke(plugin_group, ["new", "reward_tiers", "--path", str(tmp_path)])
    assert result.exit_code == 2 and "an installed plugin already has this name" in result.output
    assert list(tmp_path.iterdir()) == []


def _fresh_venv(where: Path) -> Path:
    """A virtual environment that sees this interpreter's packages (stdpolicy and its test extra), nothing installed."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    host = sysconfig.get_paths()["purelib"]
    # addsitedir (not a plain path line) so the host's own .pth files — stdpolicy's editable install — apply too.
    (Path(site) / "stdpolicy_host.pth").write_text(f"import site; site.addsitedir({host!r})\n", encoding="utf-8")
    return python


def test_the_generated_plugin_installs_and_its_tests_pass(tmp_path: Path) -> None:
    package = new_plugin("training", tmp_path, label_zh="培训补助", label_en="Training subsidy")
    python = _fresh_venv(tmp_path / "venv")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", str(package)],
        capture_output=True, text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Installed, not run from the source folder: the templates and YAML must be in the package data.
    where = subprocess.run([str(python), "-c", "import stdpolicy_training; print(stdpolicy_training.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(tmp_path / "venv") in where

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    ran = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnknownMarkWarning"],
                         cwd=package, env=env, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-2000:]
    summary = ran.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
