"""A plugin's own tables and migrations (core/storage.py, core/environments.py), on SQLite or PostgreSQL.

The demo plugin of tests/external_plugin keeps a table (``demo_venues``)
with two migrations. The tests install a copy of it the way an installer
does (a ``.dist-info`` with its ``stdpolicy.plugins`` entry point on
``sys.path``), take it through ``stdpolicy init``, an upgrade from its first
migration to its second, an uninstall and a reinstall, and check that core
never drops, proposes to drop, or trips over its tables.
"""

from __future__ import annotations

import importlib
import shutil
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from core import PluginStorage, check_plugin_migrations, load_registry, plugin_metadata, plugin_model_base
from core.db import db
from core.environments import environments, table_owner
from core.storage import APPLICATION_TABLES, check_storage

from core.testing import builtin_plugins, select_registry

EXTERNAL = Path(__file__).resolve().parent / "external_plugin"
DEMO = "stdpolicy_demo_plugin"


# -- installing a copy of the demo plugin -------------------------------------------------------


class Installer:
    """Installs and uninstalls plugin distributions in a directory on ``sys.path``, as pip would."""

    def __init__(self, site: Path) -> None:
        self.site = site

    def install(self, source: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
        # Packages only: building the source tree for real (CI's `pip install ./tests/external_plugin`)
        # leaves a *.egg-info beside them, which would be a second, never-uninstalled distribution here.
        for package in (p for p in source.iterdir() if (p / "__init__.py").is_file()):
            shutil.copytree(package, self.site / package.name, dirs_exist_ok=True)
        info = self.site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
        lines = ["[stdpolicy.plugins]", *(f"{ep} = {target}" for ep, target in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._forget(entry_points.values())

    def uninstall(self, name: str, packages: list[str]) -> None:
        for info in self.site.glob(f"{name.replace('-', '_')}-*.dist-info"):
            shutil.rmtree(info)
        for package in packages:
            shutil.rmtree(self.site / package)
        self._forget(packages)

    @staticmethod
    def _forget(modules) -> None:
        for module in list(sys.modules):
            if any(module == m or module.startswith(m + ".") for m in modules):
                del sys.modules[module]
        importlib.invalidate_caches()


#: The site folder of the running test's installer: the plugins installed there are the test's.
_SITE: list[Path] = []


@pytest.fixture
def installer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installer]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    _SITE.append(site)
    yield Installer(site)
    _SITE.remove(site)
    Installer._forget([DEMO, "stdpolicy_tmp"])


def installed_here() -> tuple[str, ...]:
    """The built-in plugins and those the test's installer installed right now.

    Not every installed plugin: a third-party plugin installed beside the
    project (CI installs the demo plugin for real) is not the test's.
    """
    from importlib.metadata import entry_points

    sites = {site.resolve() for site in _SITE}
    here = {ep.name for ep in entry_points(group="stdpolicy.plugins")
            if ep.dist is not None and Path(str(ep.dist.locate_file(""))).resolve() in sites}
    return tuple(sorted(set(builtin_plugins()) | here))


def _demo_project() -> dict:
    return tomllib.loads((EXTERNAL / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def install_demo(installer: Installer) -> None:
    project = _demo_project()
    installer.install(EXTERNAL / "src", project["name"], project["version"],
                      project["entry-points"]["stdpolicy.plugins"])


def uninstall_demo(installer: Installer) -> None:
    installer.uninstall(_demo_project()["name"], [DEMO])


def app_on(database_url: str, tmp_path: Path) -> Flask:
    """The admin application with the plugins installed right now (by the test)."""
    from core.testing.databases import make_app

    return make_app(database_url, tmp_path / "instance", select_registry(installed_here()))


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


def _scalar(app: Flask, sql: str):
    with app.app_context():
        with db.engine.connect() as connection:
            value = connection.execute(text(sql)).all()
        db.engine.dispose()
    return value


def _status(output: str) -> dict[str, str]:
    """The rows of `stdpolicy db status`, by environment, spaces collapsed."""
    rows = [" ".join(line.split()) for line in output.splitlines()[2:]]
    return {row.split()[0]: row for row in rows}


def _run(app: Flask, *args: str, input: str | None = None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    with app.app_context():
        db.engine.dispose()
    return result


# -- a plugin's tables through its whole life -------------------------------------------------


def test_demo_plugin_tables_through_install_upgrade_uninstall_and_reinstall(
        installer: Installer, database_url: str, tmp_path: Path) -> None:
    install_demo(installer)
    app = app_on(database_url, tmp_path)

    # `init` creates its table after core's and the admin's migrations.
    init = _run(app, "init")
    assert init.exit_code == 0, init.output
    lines = init.output.splitlines()
    assert lines[:3] == ["core: at 0015_new_group_keys (head)", "webadmin: at 0001_admin_tables (head)",
                         "demo: base → 0002_venue_capacity (head)"]
    assert {"demo_venues", "alembic_version_demo"} <= _tables(app)
    status = _run(app, "db", "status")
    assert status.exit_code == 0, status.output
    assert _status(status.output) == {
        "core": "core alembic_version 0015_new_group_keys 0015_new_group_keys up to date",
        "webadmin": "webadmin alembic_version_webadmin 0001_admin_tables 0001_admin_tables up to date",
        "demo": "demo alembic_version_demo 0002_venue_capacity 0002_venue_capacity up to date",
    }

    # Back to its first migration: the guard names what the plugin's downgrades drop.
    refused = _run(app, "db", "downgrade", "0001_venues", "--env", "demo")
    assert refused.exit_code == 2
    assert "demo 0002_venue_capacity: drops the venues' capacities" in refused.output
    back = _run(app, "db", "downgrade", "0001_venues", "--env", "demo", "--drop-history", input="drop history\n")
    assert back.exit_code == 0, back.output
    assert "demo: 0002_venue_capacity → 0001_venues" in back.output
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("demo_venues")}
        assert "capacity" not in columns
        with db.engine.begin() as connection:  # a venue registered under the plugin's first version
            connection.execute(text(
                "INSERT INTO demo_venues (name, department_id, created_at) "
                "SELECT 'Hall A', id, '2025-01-02 03:04:05' FROM departments WHERE code = 'market_regulation'"))
        db.engine.dispose()

    # Not switched on anywhere: its tables being behind stops nothing.
    assert _run(app, "params", "list").exit_code == 0
    assert _run(app, "permit", "demo", "--department", "market_regulation").exit_code == 0
    assert _run(app, "enable", "demo", "--department", "market_regulation").exit_code == 0
    # Switched on: every command that needs the database says what to do.
    stopped = _run(app, "params", "list")
    assert stopped.exit_code == 2
    assert ("the tables of plugin demo in the database" in stopped.output
            and "are at revision 0001_venues, this version needs 0002_venue_capacity: run `stdpolicy init`"
            in stopped.output)
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples" / "activities.json"
    evaluated = _run(app, "evaluate", str(examples))
    assert evaluated.exit_code == 2 and "are at revision 0001_venues" in evaluated.output
    status = _run(app, "db", "status")
    assert status.exit_code == 2 and "behind: run `stdpolicy init`" in status.output
    # Commands that run no plugin code keep working: the plugin can still be switched off.
    for args in (["plugins"], ["tokens", "list"], ["forbid", "demo", "--department", "health"]):
        result = _run(app, *args)
        assert result.exit_code == 0, (args, result.output)
    # Switched off again: nothing is asked of its tables, and nothing of them is dropped.
    assert _run(app, "disable", "demo", "--department", "market_regulation").exit_code == 0
    assert _run(app, "params", "list").exit_code == 0
    assert _scalar(app, "SELECT name FROM demo_venues") == [("Hall A",)]
    assert _run(app, "enable", "demo", "--department", "market_regulation").exit_code == 0

    # From its first migration to its second, the venue kept.
    again = _run(app, "init")
    assert again.exit_code == 0, again.output
    assert "demo: 0001_venues → 0002_venue_capacity (head)" in again.output
    assert _run(app, "params", "list").exit_code == 0
    listed = _run(app, "demo-venues")
    assert listed.exit_code == 0 and listed.output == "Hall A: ? seats\n"
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE demo_venues SET capacity = 120"))
        db.engine.dispose()
    kept = _scalar(app, "SELECT name, capacity FROM demo_venues")

    # Uninstalled: core keeps working, and never touches, drops or proposes to drop its tables.
    uninstall_demo(installer)
    app = app_on(database_url, tmp_path)
    with app.app_context():
        assert [env.name for env in environments()] == ["core", "webadmin"]
    for args in (["params", "list"], ["plugins"], ["db", "upgrade"], ["init"], ["reevaluate"]):
        result = _run(app, *args)
        assert result.exit_code == 0, (args, result.output)
    checked = _run(app, "db", "check")
    assert checked.exit_code == 0, checked.output
    assert "demo" not in checked.output
    status = _run(app, "db", "status")
    assert status.exit_code == 0, status.output
    assert _status(status.output)["demo"] == \
        "demo alembic_version_demo 0002_venue_capacity — not installed: its tables are kept"
    assert _run(app, "db", "current").exit_code == 0  # Flask-Migrate's own (it prints past the runner)
    assert {"demo_venues", "alembic_version_demo"} <= _tables(app)
    assert _scalar(app, "SELECT name, capacity FROM demo_venues") == kept
    # Core's tables cannot go below the environments while the plugin's still stand on them.
    refused = _run(app, "db", "downgrade", "base", "--drop-history", input="drop history\n")
    assert refused.exit_code == 1
    assert "plugins no longer installed: demo (at 0002_venue_capacity)" in refused.output
    assert _scalar(app, "SELECT name, capacity FROM demo_venues") == kept

    # Reinstalled: it picks up where it was.
    install_demo(installer)
    app = app_on(database_url, tmp_path)
    init = _run(app, "init")
    assert init.exit_code == 0, init.output
    assert "demo: at 0002_venue_capacity (head)" in init.output
    assert _run(app, "demo-venues").output == "Hall A: 120 seats\n"
    assert _run(app, "db", "status").exit_code == 0
    checked = _run(app, "db", "check")
    assert checked.exit_code == 0 and "demo: no differences" in checked.output


def test_downgrading_core_below_the_environments_takes_the_plugins_down_first(
        installer: Installer, database_url: str, tmp_path: Path) -> None:
    install_demo(installer)
    app = app_on(database_url, tmp_path)
    assert _run(app, "init").exit_code == 0

    refused = _run(app, "db", "downgrade", "base")
    assert refused.exit_code == 2
    order = [line.split(":")[0].strip() for line in refused.output.splitlines() if ": drops " in line]
    assert order[:2] == ["demo 0002_venue_capacity", "demo 0001_venues"]  # the plugin's first
    assert order[-1] == "core 0001"
    done = _run(app, "db", "downgrade", "base", "--drop-history", input="drop history\n")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == ["demo: 0002_venue_capacity → base", "webadmin: 0001_admin_tables → base",
                                        "core: 0015_new_group_keys → base"]
    assert _tables(app) == {"alembic_version", "alembic_version_webadmin", "alembic_version_demo"}
    assert _run(app, "init").exit_code == 0
    assert "demo_venues" in _tables(app)


def test_the_plugin_models_match_its_migrations(installer: Installer) -> None:
    """The helper the test kit uses, on a scratch database (SQLite, or PostgreSQL with STDPOLICY_DATABASE_URL)."""
    install_demo(installer)
    assert check_plugin_migrations("demo") == []


# -- plugins whose storage is refused, or whose migrations are wrong -----------------------------


def write_plugin(installer: Installer, name: str, *, models: str, versions: dict[str, str],
                 storage: str = 'PluginStorage(metadata=Base.metadata, migrations=f"{__name__}.migrations")') -> str:
    """A plugin package ``stdpolicy_tmp_<name>`` in the site directory; returns its module name."""
    package = installer.site / f"stdpolicy_tmp_{name}"
    (package / "migrations" / "versions").mkdir(parents=True)
    (package / "migrations" / "__init__.py").write_text("")
    for revision, body in versions.items():
        (package / "migrations" / "versions" / f"{revision}.py").write_text(textwrap.dedent(body))
    (package / "__init__.py").write_text(
        "from core import PluginStorage, core_table, hookimpl, plugin_model_base\n"
        "from sqlalchemy import Column, ForeignKey, Integer, String\n\n"
        f"Base = plugin_model_base({name!r})\n\n"
        f"{textwrap.dedent(models)}\n\n"
        f"@hookimpl\ndef stdpolicy_register_storage():\n    return {storage}\n")
    module = f"stdpolicy_tmp_{name}"
    Installer._forget([module])
    return module


THINGS_MODEL = """
class Thing(Base):
    __tablename__ = "{name}_things"
    id = Column(Integer, primary_key=True)
    label = Column(String(50), nullable=False)
"""

THINGS_0001 = '''
    """things"""
    from alembic import op
    import sqlalchemy as sa

    revision = "0001_things"
    down_revision = None
    branch_labels = None
    depends_on = None
    DROPS_HISTORY = "the things"


    def upgrade():
        op.create_table("{name}_things", sa.Column("id", sa.Integer(), nullable=False),
                        sa.Column("label", sa.String(length=50), nullable=False),
                        sa.PrimaryKeyConstraint("id", name=op.f("pk_{name}_things")))
        {more}


    def downgrade():
        op.drop_table("{name}_things")
'''


def _load(installer: Installer, name: str, **kwargs) -> object:
    module = write_plugin(installer, name, **kwargs)
    return importlib.import_module(module)


def test_check_plugin_migrations_reports_what_is_wrong(installer: Installer) -> None:
    fine = _load(installer, "fine", models=THINGS_MODEL.format(name="fine"),
                 versions={"0001_things": THINGS_0001.format(name="fine", more="")})
    registry = load_registry(only=builtin_plugins(), plugins=[("fine", fine)])
    assert registry.failures == []
    assert check_plugin_migrations("fine", registry=registry) == []

    # The model has a column the migrations never add.
    wider = _load(installer, "wider", models=THINGS_MODEL.format(name="wider") + "    weight = Column(Integer)\n",
                  versions={"0001_things": THINGS_0001.format(name="wider", more="")})
    problems = check_plugin_migrations("wider", registry=load_registry(only=builtin_plugins(), plugins=[("wider", wider)]))
    assert problems == [
        "after upgrading to head, the models and the migrated tables differ: add_column wider_things weight",
        "after downgrading to base and upgrading again, the models and the migrated tables differ: "
        "add_column wider_things weight",
    ]

    # A table the downgrade forgets.
    sloppy = _load(installer, "sloppy", models=THINGS_MODEL.format(name="sloppy"), versions={
        "0001_things": THINGS_0001.format(name="sloppy", more='op.create_table("sloppy_log", sa.Column("id", '
                                                              'sa.Integer(), primary_key=True))')})
    problems = check_plugin_migrations("sloppy", registry=load_registry(only=builtin_plugins(), plugins=[("sloppy", sloppy)]))
    assert problems[:2] == [
        "after upgrading to head, the models and the migrated tables differ: remove_table sloppy_log",
        "the downgrade to base leaves tables behind: sloppy_log"]
    [again] = problems[2:]  # and upgrading again fails on it
    assert again.startswith("migrating failed: ") and "sloppy_log" in again and "already exists" in again

    # A revision id too long for the version table (PostgreSQL refuses to store it; SQLite would not notice).
    wordy = _load(installer, "wordy", models=THINGS_MODEL.format(name="wordy"), versions={
        "0001": THINGS_0001.format(name="wordy", more="")
        .replace('revision = "0001_things"', 'revision = "0001_things_with_a_name_too_long_to_keep"')})
    problems = check_plugin_migrations("wordy", registry=load_registry(only=builtin_plugins(), plugins=[("wordy", wordy)]))
    assert problems[0] == ("revision id '0001_things_with_a_name_too_long_to_keep' is longer than 32 characters "
                           "(the version table's column)")

    assert check_plugin_migrations("absent", registry=registry) == ["plugin 'absent' is not loaded"]


@pytest.mark.parametrize("name, models, storage, error", [
    ("misnamed", 'class Thing(Base):\n    __tablename__ = "things"\n    id = Column(Integer, primary_key=True)\n',
     None, "table 'things' must be named misnamed_…"),
    ("plugin", 'class Thing(Base):\n    __tablename__ = "plugin_things"\n    id = Column(Integer, primary_key=True)\n',
     None, "a plugin named 'plugin' cannot keep tables: its prefix 'plugin_' would take core's plugin_enablements, "
           "plugin_owners, plugin_permissions"),
    ("webadmin", "", None, "a plugin named 'webadmin' cannot keep tables"),
    ("nometa", "", "PluginStorage(metadata=None, migrations='x')",
     "PluginStorage.metadata must be a SQLAlchemy MetaData, got None"),
    ("convention", "",
     "PluginStorage(metadata=__import__('sqlalchemy').MetaData(), migrations=f'{__name__}.migrations')",
     "the models' MetaData lacks core's naming convention: build the models on core.plugin_metadata('convention')"),
    ("nowhere", "", "PluginStorage(metadata=Base.metadata, migrations='stdpolicy_no_such_package.migrations')",
     "migrations package 'stdpolicy_no_such_package.migrations' cannot be imported"),
    ("wrongtype", "", "[Base.metadata]", "stdpolicy_register_storage must return a PluginStorage"),
])
def test_storage_is_checked_at_start_up(installer: Installer, name: str, models: str, storage: str | None,
                                        error: str) -> None:
    kwargs = {"storage": storage} if storage else {}
    plugin = _load(installer, name, models=models, versions={}, **kwargs)
    registry = load_registry(only=builtin_plugins(), plugins=[(name, plugin)])
    [failure] = registry.failures
    assert (failure.name, failure.stage) == (name, "declarations")
    assert error in failure.error
    assert name not in registry.plugins and name not in registry.storage()
    assert "reward_tiers" in registry.plugins  # the others load


def test_two_plugins_cannot_declare_the_same_table(installer: Installer) -> None:
    first = _load(installer, "a", models='class T(Base):\n    __tablename__ = "a_b_things"\n'
                                        '    id = Column(Integer, primary_key=True)\n', versions={})
    second = _load(installer, "a_b", models='class T(Base):\n    __tablename__ = "a_b_things"\n'
                                            '    id = Column(Integer, primary_key=True)\n', versions={})
    registry = load_registry(only=builtin_plugins(), plugins=[("a", first), ("a_b", second)])
    assert list(registry.storage()) == ["a"]
    [failure] = registry.failures
    assert failure.name == "a_b" and "table 'a_b_things' is declared by both 'a' and 'a_b'" in failure.error


def test_no_versions_folder_is_refused(installer: Installer) -> None:
    plugin = _load(installer, "empty", models="", versions={})
    shutil.rmtree(installer.site / "stdpolicy_tmp_empty" / "migrations" / "versions")
    registry = load_registry(only=builtin_plugins(), plugins=[("empty", plugin)])
    [failure] = registry.failures
    assert "no versions/ folder of revision scripts in 'stdpolicy_tmp_empty.migrations'" in failure.error


def test_a_failing_plugin_migration_keeps_its_tables_as_they_were_and_the_others_go_on(
        installer: Installer, database_url: str, tmp_path: Path) -> None:
    _load(installer, "broken", models=THINGS_MODEL.format(name="broken"), versions={
        "0001_things": THINGS_0001.format(name="broken", more='raise RuntimeError("cannot convert the old rows")')})
    (installer.site / "stdpolicy_tmp_broken-1.0.dist-info").mkdir()
    (installer.site / "stdpolicy_tmp_broken-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: stdpolicy-tmp-broken\nVersion: 1.0\n")
    (installer.site / "stdpolicy_tmp_broken-1.0.dist-info" / "entry_points.txt").write_text(
        "[stdpolicy.plugins]\nbroken = stdpolicy_tmp_broken\n")
    install_demo(installer)
    app = app_on(database_url, tmp_path)

    init = _run(app, "init")
    assert init.exit_code == 4, init.output
    assert "broken: not upgraded (the error is below)" in init.stdout
    assert ("error: plugin broken's migrations failed (RuntimeError: cannot convert the old rows); its tables are "
            "left as they were") in init.stderr
    assert "demo: base → 0002_venue_capacity (head)" in init.output  # the others are done
    assert "parameter default: demo.training.per_event" in init.output  # and so is the seeding
    tables = _tables(app)
    assert "broken_things" not in tables  # created, then rolled back with the failing revision
    assert "demo_venues" in tables
    assert _scalar(app, "SELECT count(*) FROM alembic_version_broken" if "alembic_version_broken" in tables
                   else "SELECT 0")[0][0] == 0
    assert _run(app, "params", "list").exit_code == 0  # not switched on anywhere
    upgraded = _run(app, "db", "upgrade")
    assert upgraded.exit_code == 4 and "plugin broken's migrations failed" in upgraded.output


# -- which tables are whose -----------------------------------------------------------------------


def test_table_owner() -> None:
    from core.environments import Environment

    core_md, admin_md, demo_md = MetaData(), MetaData(), MetaData()
    Table("activities", core_md, Column("id", Integer, primary_key=True))
    Table("users", admin_md, Column("id", Integer, primary_key=True))
    Table("demo_venues", demo_md, Column("id", Integer, primary_key=True))
    known = [Environment("core", "alembic_version", Path("."), core_md, kind="core"),
             Environment("webadmin", "alembic_version_webadmin", Path("."), admin_md, kind="application"),
             Environment("demo", "alembic_version_demo", Path("."), demo_md)]
    present = ["alembic_version", "alembic_version_carbon", "alembic_version_carbon_extra"]
    assert table_owner("activities", known, present) == "core"
    assert table_owner("users", known, present) == "webadmin"
    assert table_owner("demo_venues", known, present) == "demo"
    assert table_owner("demo_dropped_from_models", known, present) == "demo"
    assert table_owner("carbon_quotas", known, present) == "carbon"  # not installed: its version table names it
    assert table_owner("carbon_extra_rows", known, present) == "carbon_extra"  # the longest prefix
    assert table_owner("stray", known, present) == "core"
    assert table_owner("alembic_version_demo", known, present) is None


def test_application_tables_are_core_and_admin_tables(app: Flask) -> None:
    with app.app_context():
        known = environments()
    assert APPLICATION_TABLES == {t for env in known if env.kind != "plugin" for t in env.metadata.tables}


def test_plugin_model_base_gives_each_plugin_its_own_metadata() -> None:
    first, second = plugin_model_base("carbon"), plugin_model_base("carbon")
    assert first.metadata is not second.metadata
    assert first.metadata.naming_convention["pk"] == "pk_%(table_name)s"
    assert plugin_metadata("carbon").naming_convention == first.metadata.naming_convention
    for make in (plugin_model_base, plugin_metadata):
        with pytest.raises(ValueError, match="lower-case letters"):
            make("Carbon Plugin")
    core_versions = Path(importlib.import_module("core").__file__).parent / "versions"
    assert check_storage("carbon", PluginStorage(first.metadata, "core")) == [
        f"no versions/ folder of revision scripts in 'core' ({core_versions})"]


#: What a plugin needs for its tables: exported from ``core`` itself (platform.md §1, §4).
STORAGE_API = ("PluginStorage", "check_plugin_migrations", "core_table", "database_session", "plugin_metadata",
               "plugin_model_base")


def test_the_storage_api_is_exported_from_core_and_documented() -> None:
    import core
    import core.storage

    assert set(STORAGE_API) <= set(core.__all__)
    assert all(getattr(core, name) is getattr(core.storage, name) for name in STORAGE_API)
    hooks_doc = (Path(__file__).resolve().parents[1] / "docs" / "hooks.md").read_text(encoding="utf-8")
    storage_doc = (Path(__file__).resolve().parents[1] / "docs" / "plugins" / "storage.md").read_text(encoding="utf-8")
    assert "stdpolicy_register_storage" in hooks_doc
    assert [name for name in STORAGE_API if not re.search(rf"\b{name}\b", storage_doc)] == []


def test_importing_core_loads_no_database_library() -> None:
    code = ("import sys, core; core.PluginStorage; "
            "print(sorted(m for m in ('sqlalchemy', 'flask', 'alembic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_plugin_author_writes_the_next_migration_with_autogenerate(
        installer: Installer, database_url: str, tmp_path: Path) -> None:
    install_demo(installer)
    models = installer.site / DEMO / "models.py"
    models.write_text(models.read_text(encoding="utf-8").replace(
        "    created_at: Mapped[datetime]",
        "    address: Mapped[str | None] = mapped_column(String(200))\n    created_at: Mapped[datetime]"),
        encoding="utf-8")
    app = app_on(database_url, tmp_path)
    assert _run(app, "init").exit_code == 0
    checked = _run(app, "db", "check", "--env", "demo")
    assert checked.exit_code == 1 and "add_column" in checked.output and "address" in checked.output

    written = _run(app, "db", "revision", "--env", "demo", "-m", "Venue address", "--autogenerate")
    assert written.exit_code == 0, written.output
    script = installer.site / DEMO / "migrations" / "versions" / "0003_venue_address.py"
    assert written.output == f"demo: wrote {script}\n"
    source = script.read_text(encoding="utf-8")
    assert "revision = '0003_venue_address'" in source and "down_revision = '0002_venue_capacity'" in source
    assert "batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))" in source
    assert "DROPS_HISTORY = " in source

    upgraded = _run(app, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "demo: 0002_venue_capacity → 0003_venue_address (head)" in upgraded.output
    checked = _run(app, "db", "check")
    assert checked.exit_code == 0, checked.output
    nothing = _run(app, "db", "migrate", "--env", "demo", "-m", "nothing")
    assert nothing.exit_code == 0 and nothing.output == "demo: no changes in the models; nothing written\n"
    assert sorted(p.name for p in script.parent.glob("*.py")) == [
        "0001_venues.py", "0002_venue_capacity.py", "0003_venue_address.py"]
    unknown = _run(app, "db", "upgrade", "--env", "carbon")
    assert unknown.exit_code == 2 and "no migration environment 'carbon': the environments are core, webadmin, demo" \
        in unknown.output
