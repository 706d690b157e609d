"""Whether a plugin package uses the plugin API only.

A plugin may import ``core`` (the names in ``core.__all__``), ``core.testing``
(its tests), its own package, and any third-party library; nothing else of
this project: no other module of ``core``, nothing of ``webadmin``,
``migrations`` or another plugin. Its templates extend or include only
``stdpolicy/…`` templates and their own, and link with ``url_for`` only to
their own blueprint's views (``url_for('.index')``) — never to an endpoint
of the admin, whose names may change.

``private_uses(package_dir)`` lists every breach with file and line; the
project's tests run it over every built-in plugin, the external test plugin
and the scaffold's output, and a plugin's own tests may run it too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PrivateUse", "private_uses"]

#: This project's top-level packages: nothing of them but the plugin API may be imported.
PROJECT_PACKAGES = ("core", "webadmin", "migrations", "plugins")
#: What a plugin may import of them.
PUBLIC_MODULES = ("core", "core.testing")

_TEMPLATE_REFERENCE = re.compile(r"{%-?\s*(extends|include|import|from)\s+[\"']([^\"']+)[\"']")
_URL_FOR = re.compile(r"url_for\(\s*[\"']([^\"']+)[\"']")


@dataclass(frozen=True)
class PrivateUse:
    """One place where a plugin reaches past the plugin API."""

    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _public_names() -> frozenset[str]:
    import core

    return frozenset(core.__all__)


def _own_package(package_dir: Path) -> str:
    """The package's import name: its folder's dotted path below the first folder without ``__init__.py``."""
    parts = [package_dir.name]
    parent = package_dir.parent
    while (parent / "__init__.py").exists():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)


def _in_tests(path: Path, package_dir: Path) -> bool:
    return "tests" in path.relative_to(package_dir).parts[:-1]


def _check_module(name: str, own: str, line: int, path: Path) -> Iterator[PrivateUse]:
    top = name.split(".")[0]
    if name == own or name.startswith(own + "."):
        return
    if top not in PROJECT_PACKAGES:
        return  # a third-party library, or the standard library
    if name in PUBLIC_MODULES:
        return
    yield PrivateUse(path, line, f"imports {name}: only core (its __all__), core.testing and the plugin's own package")


def _python_uses(path: Path, own: str, public: frozenset[str], package_dir: Path) -> Iterator[PrivateUse]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tests = _in_tests(path, package_dir)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _check_module(alias.name, own, node.lineno, path)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: the plugin's own package
                continue
            module = node.module or ""
            if module == "core":
                for alias in node.names:
                    if alias.name == "testing" and tests:
                        continue
                    if alias.name not in public:
                        yield PrivateUse(path, node.lineno, f"imports {alias.name} from core: not in core.__all__")
            elif module == "core.testing" and not tests:
                yield PrivateUse(path, node.lineno, "imports core.testing outside the plugin's tests/")
            else:
                yield from _check_module(module, own, node.lineno, path)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__"):
                yield from _check_module(node.args[0].value, own, node.lineno, path)
            elif called == "url_for" and not node.args[0].value.startswith("."):
                yield PrivateUse(path, node.lineno, f"url_for({node.args[0].value!r}): link to the plugin's own views "
                                                    "('.name') or through core's helpers (parameter_url)")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "core" \
                and node.attr not in public and node.attr != "testing":
            yield PrivateUse(path, node.lineno, f"uses core.{node.attr}: not in core.__all__")


def _template_uses(path: Path, package_dir: Path) -> Iterator[PrivateUse]:
    own_folders = {p.name for p in path.parents if p.parent.name == "templates"} | {
        d.name for templates in package_dir.rglob("templates") for d in templates.iterdir() if d.is_dir()}
    text = path.read_text(encoding="utf-8")
    for match in _TEMPLATE_REFERENCE.finditer(text):
        target = match.group(2)
        first = target.split("/")[0]
        if first != "stdpolicy" and first not in own_folders:
            line = text.count("\n", 0, match.start()) + 1
            yield PrivateUse(path, line, f"{match.group(1)} {target!r}: only stdpolicy/… templates and the plugin's own")
    for match in _URL_FOR.finditer(text):
        endpoint = match.group(1)
        if not endpoint.startswith("."):
            line = text.count("\n", 0, match.start()) + 1
            yield PrivateUse(path, line, f"url_for({endpoint!r}): link to the plugin's own views ('.name') "
                                         "or through core's helpers (parameter_url)")


def private_uses(package_dir: str | Path) -> list[PrivateUse]:
    """Every import and template reference in ``package_dir`` that reaches past the plugin API.

    Files under a ``tests/`` folder may also import ``core.testing``.
    """
    package_dir = Path(package_dir).resolve()
    own = _own_package(package_dir)
    public = _public_names()
    found: list[PrivateUse] = []
    for path in sorted(package_dir.rglob("*.py")):
        found.extend(_python_uses(path, own, public, package_dir))
    for path in sorted(package_dir.rglob("templates/**/*")):
        if path.is_file() and path.suffix in (".html", ".htm", ".j2", ".jinja", ".txt", ".xml"):
            found.extend(_template_uses(path, package_dir))
    return found
