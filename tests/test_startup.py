"""``stdpolicy evaluate`` starts without the admin (issue #13: start-up).

The console script (``webadmin.cli:main``) runs ``evaluate`` in an
application with core's database and the plugins only; every other command
line goes to the admin's group. These tests check, in a fresh interpreter,
what evaluating a JSON file imports (none of the admin's extensions, views
and catalogues, openpyxl, Alembic or Flask-Migrate), that its output and
exit status are those of the admin's group, and that the Alembic-free
readings of the migration state (heads from the scripts' text, revisions
from the version tables) agree with Alembic's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine

from conftest import PROJECT_PLUGINS
from core.environments import current_revisions, environments, script_heads

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"

#: Top-level packages (and modules of the admin) a file-only evaluate must not import.
FORBIDDEN = ("flask_babel", "babel", "openpyxl", "alembic", "flask_migrate", "flask_login", "flask_wtf", "wtforms",
             "flask_limiter", "zxcvbn", "webadmin.factory", "webadmin.views", "webadmin.commands", "webadmin.models",
             "core.cli.database", "core.cli.refdata", "core.cli.params", "core.cli.scaffold", "core.cli.approvals",
             "cn2an", "weasyprint",
             # Part B: the use cases evaluate does not run, and the register's queries.
             "core.services.whatif", "core.services.reviews", "core.services.setup", "core.services.approvals",
             "core.services.plugins", "core.services.refdata", "core.store.register", "core.store.whatif",
             "core.store.approvals")

#: The plugins' modules of admin pages, charts and commands: imported by the admin, never by evaluate.
PLUGIN_ADMIN = ("admin", "views", "charts", "commands")

_LAUNCH = (
    "import core.app, core.registry, os, sys; "
    f"core.app.load_registry = lambda **kw: core.registry.load_registry(only={PROJECT_PLUGINS!r}, **kw); "
    "from {module} import main\n"
    "try:\n"
    "    main(sys.argv[1:], prog_name='stdpolicy')\n"
    "finally:\n"
    "    open(os.environ['LOADED_MODULES'], 'w').write('\\n'.join(sorted(sys.modules)))\n"
)


def _launch(app: Flask, tmp_path: Path, *args: str, module: str = "webadmin.cli"
            ) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``stdpolicy ARGS`` in a fresh interpreter through the launcher (or ``module``'s group); the modules it imported."""
    listing = tmp_path / "modules.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(STDPOLICY_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], STDPOLICY_INSTANCE_PATH=str(tmp_path / "i"),
               PYTHONPATH=str(ROOT), LOADED_MODULES=str(listing), COLUMNS="80")
    done = subprocess.run([sys.executable, "-c", _LAUNCH.replace("{module}", module), *args], cwd=ROOT, env=env, capture_output=True, timeout=300)
    return done, set(listing.read_text().split("\n"))


def _imported(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_evaluate_imports_nothing_of_the_admin(app: Flask, runner, tmp_path: Path) -> None:
    for name, status in (("activities.json", 0), ("activities.jsonl", 0), ("with-errors.json", 1)):
        done, modules = _launch(app, tmp_path, "evaluate", str(EXAMPLES / name))
        assert done.returncode == status, done.stderr.decode()
        assert [m for m in FORBIDDEN if _imported(modules, m)] == []
        # The admin's own group gives the same bytes and status (same day: the process and the runner run now).
        full = runner.invoke(args=["evaluate", str(EXAMPLES / name)])
        assert (full.exit_code, full.stdout_bytes) == (status, done.stdout)
        assert json.loads(done.stdout)["results"]


def test_evaluate_in_the_launcher_keeps_messages_and_statuses(app: Flask, tmp_path: Path) -> None:
    """Bad options, a missing file, an unknown department, --help: what the admin's group says, in the same words."""
    cases = [
        ("evaluate", str(tmp_path / "missing.json")),
        ("evaluate", str(EXAMPLES / "activities.json"), "--department", "no_such_department"),
        ("evaluate", str(EXAMPLES / "activities.json"), "--format", "xml"),
        ("evaluate", "--help"),
        ("evaluate",),
    ]
    for args in cases:
        done, _ = _launch(app, tmp_path, *args)
        full, _ = _launch(app, tmp_path, *args, module="webadmin.commands")
        assert (done.returncode, done.stdout, done.stderr) == (full.returncode, full.stdout, full.stderr), args


def test_import_and_reevaluate_run_without_the_admin(app: Flask, tmp_path: Path) -> None:
    """The other commands of large files start light too, with the admin's messages and statuses."""
    light, modules = _launch(app, tmp_path, "import", str(EXAMPLES / "with-errors.json"))
    full, _ = _launch(app, tmp_path, "import", str(EXAMPLES / "with-errors.json"), module="webadmin.commands")
    assert light.returncode == full.returncode == 1
    assert (light.stdout, light.stderr) == (full.stdout, full.stderr)
    assert not _imported(modules, "webadmin.commands") and not _imported(modules, "webadmin.views")
    stored, modules = _launch(app, tmp_path, "import", str(EXAMPLES / "activities.json"))
    assert stored.returncode == 0, stored.stderr.decode()
    assert b"stored 8 activities" in stored.stdout
    assert [m for m in FORBIDDEN if _imported(modules, m)] == []
    again, modules = _launch(app, tmp_path, "reevaluate", "--full")
    assert again.returncode == 0, again.stderr.decode()
    assert b"8 activities evaluated, 0 changed" in again.stdout
    assert not _imported(modules, "webadmin.commands")


def test_other_commands_go_to_the_admin(app: Flask, tmp_path: Path) -> None:
    done, modules = _launch(app, tmp_path, "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    for command in ("evaluate", "import", "reevaluate", "params", "plugins", "users", "tokens", "run", "db"):
        assert f"  {command} " in text, command
    assert _imported(modules, "webadmin.commands")


def test_heads_read_from_the_scripts_are_alembics(app: Flask) -> None:
    with app.app_context():
        known = environments()
        assert {env.kind for env in known} >= {"core", "application"}
        for env in known:
            assert script_heads(env.versions) is not None, env.name  # our scripts never need the fallback
            assert env.heads() == env.alembic_heads(), env.name


def test_heads_fall_back_to_alembic_for_scripts_beyond_the_reader(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision: str = "b"\ndown_revision = "a"\n')
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = ("a",)\n')
    (tmp_path / "__init__.py").write_text('revision = "ignored"\n')
    assert script_heads(tmp_path) == ("b", "c")
    (tmp_path / "m.py").write_text('revision = "m"\ndown_revision = ("b", "c")\n')
    assert script_heads(tmp_path) == ("m",)
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = "m"\nbranch_labels = ("x",)\n')
    assert script_heads(tmp_path) is None
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = VALUE\n')
    assert script_heads(tmp_path) is None
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = "nowhere"\n')
    assert script_heads(tmp_path) is None
    assert script_heads(tmp_path / "no-such-folder") is None


def test_current_revisions_are_alembics(app: Flask) -> None:
    from alembic.migration import MigrationContext

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as connection:
            for table in ("alembic_version", "alembic_version_webadmin", "alembic_version_nobody"):
                context = MigrationContext.configure(connection, opts={"version_table": table})
                assert current_revisions(connection, table) == tuple(sorted(context.get_current_heads())), table
    finally:
        engine.dispose()


# -- the plugins' declaration files: parsed by libyaml, same values ----------------------------------------


def _shipped_yaml() -> list[Path]:
    return sorted(p for folder in (ROOT / "core", ROOT / "plugins") for p in folder.rglob("*.yaml")
                  if "tests" not in p.relative_to(ROOT).parts)


def test_declaration_files_read_by_libyaml_give_the_python_parsers_values() -> None:
    import yaml

    from core.yamlload import DatedLoader, load_dated

    class PythonDated(yaml.SafeLoader):
        pass

    PythonDated.add_constructor("tag:yaml.org,2002:timestamp", DatedLoader.yaml_constructors["tag:yaml.org,2002:timestamp"])
    files = _shipped_yaml()
    assert len(files) >= 15
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_dated(text) == yaml.load(text, Loader=PythonDated), path  # noqa: S506
    # An impossible date stays text (the error then names the parameter), as with the Python parser.
    assert load_dated("from: 2022-13-01\nok: 2022-12-01\n") == {"from": "2022-13-01", "ok": date(2022, 12, 1)}


def test_parameters_and_reference_data_do_not_use_the_pure_python_parser(monkeypatch) -> None:
    """PyYAML here has libyaml: a start-up that parses with the Python parser (~0.2 s) fails this."""
    import yaml
    import yaml.parser

    from core.parameters import load_parameter_file
    from core.refdata import load_reference_versions

    assert yaml.__with_libyaml__

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed by PyYAML's pure-Python parser")

    monkeypatch.setattr(yaml.parser.Parser, "parse_stream_start", refuse)
    assert load_parameter_file("parameters.yaml", "plugins.reward_tiers")
    assert load_reference_versions("data/carbon_standards.yaml", "plugins.carbon")


def test_entry_points_named_by_their_distributions_headers() -> None:
    """The built-in plugins' distribution and version, read from the metadata's headers alone."""
    from importlib.metadata import entry_points

    from core.registry import ENTRY_POINT_GROUP, _distribution

    found = list(entry_points(group=ENTRY_POINT_GROUP))
    assert {ep.name for ep in found} >= set(PROJECT_PLUGINS)
    for ep in found:
        assert ep.dist is not None
        assert _distribution(ep) == (ep.dist.name, ep.dist.version), ep.name


def test_use_cases_imported_on_first_use() -> None:
    """``core.services`` exports every use case, each module imported when one of its names is asked for."""
    import importlib

    import core.services as services

    for name in services.__all__:
        module = importlib.import_module(f"core.services.{services._SOURCES[name]}")
        assert getattr(services, name) is getattr(module, name), name
    assert set(services._SOURCES) == set(services.__all__)
    try:
        services.no_such_use_case  # noqa: B018
    except AttributeError as exc:
        assert "no_such_use_case" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


_COLLECTOR = (
    "import gc, json, os, sys\n"
    "import core.services\n"
    "def spy(*args, **kwargs):\n"
    "    from core.services.evaluate import evaluate_records\n"
    "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), collections=collections() - before)\n"
    "    return evaluate_records(*args, **kwargs)\n"
    "core.services.evaluate_records = spy  # what core.cli.activities imports\n"
    "def spy_streamed(*args, **kwargs):\n"
    "    from core.services.evaluate import evaluate_streamed\n"
    "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), collections=collections() - before)\n"
    "    return evaluate_streamed(*args, **kwargs)\n"
    "core.services.evaluate_streamed = spy_streamed  # JSON output: in bounded memory (core/streaming.py)\n"
    "def collections():\n"
    "    return sum(s['collections'] for s in gc.get_stats())\n"
    "seen, before = {}, collections()\n"
    "from webadmin.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:], prog_name='stdpolicy')\n"
    "finally:\n"
    "    seen['after'] = gc.isenabled()\n"
    "    seen['modules'] = sorted(sys.modules)\n"
    "    open(os.environ['LOADED_MODULES'], 'w').write(json.dumps(seen))\n"
)


def test_evaluate_with_every_plugin_starts_light_and_without_the_garbage_collector(tmp_path: Path) -> None:
    """Start-up allocates a lot and frees almost nothing: ~200 collections (a tenth of it) for no gain.

    Every plugin loaded (the launcher as installed), on an instance of its own set up by ``stdpolicy init``.
    """
    state = tmp_path / "gc.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(STDPOLICY_INSTANCE_PATH=str(tmp_path / "i"), STDPOLICY_SECRET_KEY="test", STDPOLICY_ACTOR="cli:test",
               STDPOLICY_ADMIN_PASSWORD="startup-test-password-4d1e", PYTHONPATH=str(ROOT), LOADED_MODULES=str(state))
    init = subprocess.run([sys.executable, "-c", "from webadmin.cli import main; main()", "init"], cwd=ROOT, env=env,
                          capture_output=True, timeout=300)
    assert init.returncode == 0, init.stderr.decode()
    for args, status in ((["evaluate", str(EXAMPLES / "activities.json")], 0), (["evaluate", "--format", "xml", "x"], 2)):
        done = subprocess.run([sys.executable, "-c", _COLLECTOR, *args], cwd=ROOT, env=env, capture_output=True, timeout=300)
        assert done.returncode == status, done.stderr.decode()
        seen = json.loads(state.read_text())
        assert seen["after"] is True  # switched back on, also after a usage error
        if status == 0:
            # The command runs with the collector on; what start-up built is frozen; few collections before.
            assert seen["enabled"] is True and seen["frozen"] > 10_000, seen
            assert seen["collections"] < 40, seen  # ~170 with the collector on (~10 here: importing click)
            # Every plugin loaded, none of their admin pages, charts or commands (nor pygal), nor the admin.
            modules = set(seen["modules"])
            assert {m.split(".")[0] for m in modules} >= {"plugins", "core"}
            assert {"plugins.carbon", "plugins.city_targets", "plugins.benchmarking", "plugins.public_services"} <= modules
            assert [m for m in (*FORBIDDEN, "pygal") if _imported(modules, m)] == []
            assert sorted(m for m in modules if m.startswith("plugins.") and m.split(".")[-1] in PLUGIN_ADMIN) == []


_AT_EXIT = (
    "import atexit, gc, os\n"
    # Registered before the launcher's own handler, so run after it (atexit runs handlers last in, first out).
    "atexit.register(lambda: open(os.environ['LOADED_MODULES'], 'w').write(str(gc.get_freeze_count())))\n"
    "from webadmin.cli import main\n"
    "main()\n"
)


def test_the_launcher_freezes_every_object_at_exit(app: Flask, tmp_path: Path) -> None:
    """The interpreter's last full collection walked every object an import had built (0.3 s for 100,000):
    by then the launcher has frozen them all — after a light command and after the admin's."""
    state = tmp_path / "frozen.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(STDPOLICY_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], STDPOLICY_INSTANCE_PATH=str(tmp_path / "i"),
               PYTHONPATH=str(ROOT), LOADED_MODULES=str(state))
    for args in (["evaluate", "--help"], ["--help"]):
        state.unlink(missing_ok=True)
        done = subprocess.run([sys.executable, "-c", _AT_EXIT, *args], cwd=ROOT, env=env, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        assert int(state.read_text()) > 10_000, args
