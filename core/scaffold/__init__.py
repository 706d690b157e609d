"""``stdpolicy plugin new NAME``: a complete, installable plugin package to start from.

The package is written from the templates in ``core/scaffold/template/``
(``string.Template``: ``${plugin}``, ``${package}`` …; ``$$`` is a dollar
sign), folder ``package`` renamed to the plugin's import name, ``.tmpl``
taken off, ``dot-x`` written as ``.x``. What it holds, each piece on the plugin API only
(docs/plugins/example.md walks through it):

- ``pyproject.toml``: the ``stdpolicy.plugins`` entry point, the hook-API
  range, the test extra, pytest set to the plugin;
- the plugin: an activity kind, dated parameters citing their clause,
  versioned reference data (a course catalogue) read by the rules, rules
  with bilingual explanations and statuses, a table of its own (training
  bases) with its migration, an admin page on ``stdpolicy/plugin_page.html``
  that lists the table, lets the plugin's managers add to it and exports
  to XLSX;
- tests on the kit: policy cases, the rules, the admin page per role and
  department, the models against the migrations, the plugin API check.

Its tests pass as generated (CI generates one, installs it and runs them).
Nothing is overwritten: the target folder must not exist or be empty.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

__all__ = ["PluginNameError", "Scaffold", "new_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class PluginNameError(ValueError):
    """A plugin name the scaffold cannot use; the message says why."""


@dataclass(frozen=True)
class Scaffold:
    """What the templates are filled with."""

    plugin: str
    label_zh: str
    label_en: str
    clause: str

    @property
    def package(self) -> str:
        return f"stdpolicy_{self.plugin}"

    @property
    def distribution(self) -> str:
        return f"stdpolicy-{self.plugin.replace('_', '-')}"

    @property
    def title(self) -> str:
        return self.plugin.replace("_", " ").capitalize()

    def values(self) -> dict[str, str]:
        from ..version import HOOK_API_VERSION

        major = int(HOOK_API_VERSION.split(".")[0])
        return {
            "plugin": self.plugin,
            "package": self.package,
            "distribution": self.distribution,
            "title": self.title,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "clause": self.clause,
            "kind": f"{self.plugin}_event",
            "api_range": f">={HOOK_API_VERSION},<{major + 1}",
            "class_name": "".join(part.capitalize() for part in self.plugin.split("_")),
        }


def check_name(name: str, taken: set[str] | None = None) -> None:
    """Raise ``PluginNameError`` unless ``name`` can name a new plugin."""
    if not _NAME.match(name):
        raise PluginNameError(f"{name!r}: a plugin name is lower_snake_case, 2 to 40 characters, starting with a letter "
                              "(it names the entry point, prefixes the parameter keys and the table names)")
    if keyword.iskeyword(name) or name in ("core", "webadmin", "migrations", "plugins", "stdpolicy"):
        raise PluginNameError(f"{name!r} is reserved")
    if taken and name in taken:
        raise PluginNameError(f"{name!r}: an installed plugin already has this name (installed: {', '.join(sorted(taken))})")


def _templates() -> Path:
    return Path(str(resources.files("core").joinpath("scaffold/template")))


def new_plugin(name: str, path: str | Path = ".", *, label_zh: str | None = None, label_en: str | None = None,
               clause: str = "二(八)3", taken: set[str] | None = None) -> Path:
    """Write the plugin package ``stdpolicy-<name>`` into ``path``; its folder.

    Refuses (``FileExistsError``) when the folder exists and is not empty:
    nothing is overwritten.
    """
    check_name(name, taken)
    scaffold = Scaffold(name, label_zh or f"{name}插件", label_en or f"{name.replace('_', ' ').capitalize()} plugin", clause)
    target = Path(path) / scaffold.distribution
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty: nothing was written")
    values = scaffold.values()
    root = _templates()
    for source in sorted(root.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(root)
        parts = [scaffold.package if part == "package" else part for part in relative.parts]
        parts = [Template(part).substitute(values) for part in parts]
        if parts[-1].endswith(".tmpl"):
            parts[-1] = parts[-1][: -len(".tmpl")]
        if parts[-1].startswith("dot-"):  # a wheel's package data leaves dotfiles out
            parts[-1] = "." + parts[-1][len("dot-"):]
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        destination.write_text(Template(text).substitute(values), encoding="utf-8")
    return target
