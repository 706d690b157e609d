"""The plugin API: what ``core`` exports, and plugins that use nothing else.

Every built-in plugin and the external test plugin import only ``core``
(the names of its ``__all__``), ``core.testing`` (in their tests) and their
own package; their templates extend ``stdpolicy/plugin_page.html`` and link
to their own views only. ``import core`` stays light: no Flask, no database
engine, no openpyxl, no Babel until an admin helper is first used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import core
from core.testing import private_uses

ROOT = Path(__file__).resolve().parent.parent
BUILTIN_PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists())
#: The external test plugin as distributed: its package and its own tests.
EXTERNAL_PLUGIN = ROOT / "tests" / "external_plugin"


def test_every_exported_name_exists() -> None:
    assert len(core.__all__) == len(set(core.__all__))
    for name in core.__all__:
        assert getattr(core, name) is not None, name


@pytest.mark.parametrize("plugin", BUILTIN_PLUGINS + [EXTERNAL_PLUGIN], ids=lambda p: p.name)
def test_plugins_use_the_public_api_only(plugin: Path) -> None:
    assert [str(use) for use in private_uses(plugin)] == []


def test_builtin_plugins_are_checked() -> None:
    assert "reward_tiers" in [p.name for p in BUILTIN_PLUGINS]
    assert (EXTERNAL_PLUGIN / "src" / "stdpolicy_demo_plugin" / "__init__.py").exists()


def test_the_scaffolds_plugin_uses_the_public_api_only(tmp_path: Path) -> None:
    from core.scaffold import new_plugin

    package = new_plugin("training", tmp_path)
    checked = [p.relative_to(package).as_posix() for p in package.rglob("*") if p.suffix in (".py", ".html")]
    assert "src/stdpolicy_training/admin.py" in checked and "src/stdpolicy_training/templates/training/index.html" in checked
    assert [str(use) for use in private_uses(package)] == []


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_check_finds_every_private_use(tmp_path: Path) -> None:
    """A plugin that reaches past the API in each way the check knows is reported at each place."""
    package = tmp_path / "sneaky"
    _write(package / "__init__.py", "\n".join([
        "from core import hookimpl, Text",          # 1: public
        "from core.store import resolver",          # 2: private module
        "import webadmin.access",                   # 3: the admin
        "from core import clock",                   # 4: a module of core, not in __all__
        "from plugins.reward_tiers import rules",   # 5: another plugin
        "from . import helpers",                    # 6: own package
        "import core",                              # 7: fine
        "core.db.session",                          # 8: private, through the package
        "import importlib; importlib.import_module('core.registry')",  # 9
        "from flask import url_for; url_for('parameters.detail')",     # 10: an admin endpoint
        "from core.testing import evaluate",        # 11: the kit outside tests/
        "import yaml",                              # 12: third party: fine
    ]))
    _write(package / "helpers.py", "from sneaky import __name__ as _n\n")
    _write(package / "tests" / "test_it.py", "from core.testing import evaluate\nfrom core import testing\n")
    _write(package / "templates" / "sneaky" / "page.html",
           '{% extends "base.html" %}\n{% from "macros.html" import field %}\n'
           '<a href="{{ url_for(\'register.index\') }}">x</a><a href="{{ url_for(\'.index\') }}">y</a>\n'
           '{% include "sneaky/part.html" %}{% extends "stdpolicy/plugin_page.html" %}\n')
    found = {(use.path.name, use.line) for use in private_uses(package)}
    assert found == {
        ("__init__.py", 2), ("__init__.py", 3), ("__init__.py", 4), ("__init__.py", 5), ("__init__.py", 8),
        ("__init__.py", 9), ("__init__.py", 10), ("__init__.py", 11),
        ("page.html", 1), ("page.html", 2), ("page.html", 3),
    }


def test_import_core_does_not_import_the_admin_stack() -> None:
    heavy = ("flask", "sqlalchemy", "openpyxl", "babel", "flask_babel", "werkzeug", "jinja2")
    code = ("import sys, core; "
            f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_admin_helpers_are_exported_lazily() -> None:
    code = ("import sys, core; assert 'flask' not in sys.modules; "
            "from core import render_page, may_manage, export_xlsx; assert 'flask' in sys.modules; "
            "assert core.render_page is render_page and 'render_page' in core.__all__ and 'render_page' in dir(core)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        core.no_such_thing  # noqa: B018


def test_the_lazy_names_are_exactly_the_page_helpers() -> None:
    """core/__init__.py lists core.pages' names by hand (importing pages would import Flask): the lists agree."""
    import core.pages

    assert set(core._LAZY) == set(core.pages.__all__)
    assert set(core._LAZY) <= set(core.__all__)
