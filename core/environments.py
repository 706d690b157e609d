"""Migration environments: core's, the admin's and each plugin's, each with its own Alembic version table.

One database, several independent migration histories, in the way Indico
and CKAN let extensions migrate their own tables (docs/plugins/storage.md):

- ``core``: ``migrations/`` (Flask-Migrate's environment), version table
  ``alembic_version``;
- ``webadmin``: ``webadmin/migrations/versions``, version table
  ``alembic_version_webadmin`` (registered by the admin with
  ``add_environment``; a core-only application has no such environment);
- each installed plugin that declares storage: its ``versions/`` folder,
  version table ``alembic_version_<plugin>``.

The others run in one shared environment, ``core/alembic_env/env.py``
(Indico's approach: the plugin ships revision scripts only). Their own
version tables mean a plugin that is uninstalled leaves a row in its own
table, never a revision core's Alembic cannot locate (the failure of a
shared version table with one branch per plugin). Order: core first (the
others refer to its tables), the admin's, then the plugins in the
registry's order; downgrading core below ``ENVIRONMENTS_SINCE`` first takes
the others to base.

Each table belongs to one environment (``table_owner``): autogenerate in an
environment compares only its own tables, so core's ``stdpolicy db check``
never proposes dropping a plugin's table, also when the plugin is no longer
installed (its version table still names it).
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .storage import MAX_REVISION_ID, version_table

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from flask import Flask
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.schema import MetaData

    from .registry import Registry

__all__ = [
    "CORE",
    "ENVIRONMENTS_SINCE",
    "Environment",
    "MigrationFailed",
    "State",
    "UnknownEnvironment",
    "add_environment",
    "check_plugin_migrations",
    "downgrade",
    "environment",
    "environments",
    "include_name_for",
    "is_fault",
    "model_differences",
    "states",
    "table_owner",
    "upgrade",
    "upgrade_all",
]

CORE = "core"
#: The shared env.py and revision template of every environment but core's.
SHARED_ENV = Path(__file__).resolve().parent / "alembic_env"
#: Core's revision from which the admin's and the plugins' environments exist:
#: the admin's tables change in its own environment from here on.
ENVIRONMENTS_SINCE = "0008_environments"


class UnknownEnvironment(LookupError):
    """A name that is neither core, the admin, nor an installed plugin that keeps tables."""


@dataclass(frozen=True)
class Environment:
    """One migration history: its scripts, its version table, the models it owns."""

    name: str
    version_table: str
    versions: Path
    metadata: MetaData = field(compare=False)
    #: ``"core"``, ``"application"`` (the admin) or ``"plugin"``.
    kind: str = "plugin"

    @property
    def script_location(self) -> Path:
        from .app import MIGRATIONS_DIR

        return Path(MIGRATIONS_DIR) if self.kind == CORE else SHARED_ENV

    def config(self, connection: Connection | None = None) -> Config:
        """The Alembic configuration that runs this environment (on ``connection``, if given)."""
        from alembic.config import Config

        if self.kind == CORE:
            from flask import current_app

            config = current_app.extensions["migrate"].migrate.get_config(str(self.script_location))
        else:
            config = Config()
            config.set_main_option("script_location", _escaped(self.script_location))
            config.set_main_option("path_separator", "newline")
            config.set_main_option("version_locations", _escaped(self.versions))
            config.set_main_option("file_template", "%%(rev)s")
        config.attributes["stdpolicy.environment"] = self
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def script(self) -> ScriptDirectory:
        from alembic.script import ScriptDirectory

        if self.kind == CORE:
            return ScriptDirectory(str(self.script_location))
        return ScriptDirectory(str(self.script_location), version_locations=[str(self.versions)])

    def heads(self) -> tuple[str, ...]:
        """The head revisions of this environment's scripts.

        Read from the scripts' text when they are as plain as ours (see
        ``script_heads``), else from Alembic: every command that touches the
        database asks, and importing Alembic to answer costs ~0.25 s
        (issue #13: start-up of ``stdpolicy evaluate``).
        """
        found = script_heads(self.versions)
        if found is None:
            return self.alembic_heads()
        return found

    def alembic_heads(self) -> tuple[str, ...]:
        """The head revisions as Alembic computes them (the reference of ``script_heads``)."""
        return tuple(sorted(self.script().get_heads()))


#: A module-level ``name = value`` (or ``name: type = value``) line of a revision script.
_ASSIGNMENT = re.compile(r"^(revision|down_revision|branch_labels|depends_on)[ \t]*(?::[^=\n]*)?=[ \t]*(.+?)[ \t]*$",
                         re.MULTILINE)
#: The files Alembic reads as revision scripts (alembic.script.base: _only_source_rev_file).
_SCRIPT_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")


def script_heads(versions: Path) -> tuple[str, ...] | None:
    """The heads of the revision scripts in ``versions``, without Alembic; ``None`` if they need Alembic.

    Each script names its ``revision`` and ``down_revision`` (a string, a
    tuple of strings for a merge, or ``None``) as literals; the heads are the
    revisions no script names as its down revision. A script with a branch
    label or a dependency, a value that is not a literal or a name given
    twice is left to Alembic (``None``). tests/test_startup.py compares the
    result with Alembic's for every environment.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        paths = [path for path in versions.iterdir() if _SCRIPT_FILE.fullmatch(path.name) and path.is_file()]
    except OSError:
        return None
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found: dict[str, Any] = {}
        for match in _ASSIGNMENT.finditer(text):
            name, raw = match.groups()
            if name in found:
                return None
            try:
                found[name] = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                return None
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str) or found.get("branch_labels") or found.get("depends_on"):
            return None
        down = () if down is None else (down,) if isinstance(down, str) else down
        if not isinstance(down, (tuple, list)) or not all(isinstance(d, str) for d in down) or revision in revisions:
            return None
        revisions.add(revision)
        parents.update(down)
    if not parents <= revisions:  # a down revision no script defines: Alembic's error to give
        return None
    return tuple(sorted(revisions - parents))


def _escaped(path: Path) -> str:
    return str(path).replace("%", "%%")


def add_environment(app: Flask, name: str, metadata: MetaData, versions: Path | str) -> None:
    """Register an application's own environment (the admin's), run after core's and before the plugins'."""
    registered = app.extensions.setdefault("stdpolicy.environments", [])
    registered.append(Environment(name, version_table(name), Path(versions), metadata, kind="application"))


def environments(app: Flask | None = None, registry: Registry | None = None) -> list[Environment]:
    """Every environment of the application, in the order they are upgraded."""
    from flask import current_app

    from .app import MIGRATIONS_DIR
    from .db import db

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    registry = registry or app.extensions["stdpolicy"]
    found = [Environment(CORE, "alembic_version", Path(MIGRATIONS_DIR) / "versions", db.metadata, kind=CORE)]
    found.extend(app.extensions.get("stdpolicy.environments", []))
    for name, storage in registry.storage().items():
        found.append(Environment(name, version_table(name), storage.versions_path(), storage.metadata))
    return found


def environment(name: str, app: Flask | None = None) -> Environment:
    """The environment called ``name``; ``UnknownEnvironment`` names the known ones."""
    known = environments(app)
    for env in known:
        if env.name == name:
            return env
    raise UnknownEnvironment(f"no migration environment {name!r}: the environments are "
                             f"{', '.join(env.name for env in known)}")


# -- which environment a table belongs to ------------------------------------------


def table_owner(table: str, known: Sequence[Environment], present: Sequence[str]) -> str | None:
    """The environment ``table`` belongs to; ``None`` for version tables (nobody's to compare).

    A table of some environment's models is that environment's. Otherwise
    the longest ``<name>_`` prefix among the environments and the version
    tables present (a plugin no longer installed keeps
    ``alembic_version_<plugin>``) names its owner; anything else is core's.
    """
    if table.startswith("alembic_version"):
        return None
    for env in known:
        if table in env.metadata.tables:
            return env.name
    names = {env.name for env in known if env.kind == "plugin"}
    names.update(t[len("alembic_version_"):] for t in present if t.startswith("alembic_version_"))
    prefixed = [name for name in names if name and table.startswith(f"{name}_")]
    return max(prefixed, key=len) if prefixed else CORE


def include_name_for(name: str, connection: Connection, known: Sequence[Environment] | None = None
                     ) -> Callable[[str | None, str, Any], bool]:
    """Alembic's ``include_name`` for environment ``name``: only its own tables are compared."""
    from sqlalchemy import inspect

    known = list(known) if known is not None else environments()
    present = inspect(connection).get_table_names()
    owners = {table: table_owner(table, known, present) for table in present}

    def include_name(object_name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ != "table" or object_name is None:
            return True
        return owners.get(object_name, name) == name

    return include_name


def run_environment(context: Any) -> None:
    """What every ``env.py`` does (core's and the shared one): run one environment with its own version table."""
    config = context.config
    # Flask-Migrate's own commands (``db current``, ``db check`` …) run core's without saying so.
    env: Environment = config.attributes.get("stdpolicy.environment") or environment(CORE)
    options: dict[str, Any] = {
        "target_metadata": env.metadata,
        "version_table": env.version_table,
        "compare_type": True,
        "render_as_batch": True,
    }
    if context.is_offline_mode():
        from .db import db

        context.configure(url=db.engine.url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def skip_empty(context_: Any, revision: Any, directives: list[Any]) -> None:
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    connection = config.attributes.get("connection")
    if connection is None:
        from .db import db

        with db.engine.begin() as connection:
            _run_online(context, env, connection, options, skip_empty)
    else:
        _run_online(context, env, connection, options, skip_empty)


def _run_online(context: Any, env: Environment, connection: Connection, options: dict[str, Any],
                skip_empty: Callable[..., None]) -> None:
    context.configure(connection=connection, include_name=include_name_for(env.name, connection),
                      process_revision_directives=skip_empty, **options)
    with context.begin_transaction():
        context.run_migrations()


# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Where one environment's tables are, against what this version needs."""

    name: str
    version_table: str
    #: The revisions in the version table; ``()``: not set up.
    current: tuple[str, ...]
    #: The heads of the installed scripts; ``()``: not installed (tables left behind).
    heads: tuple[str, ...]
    installed: bool = True
    kind: str = "plugin"

    @property
    def up_to_date(self) -> bool:
        return self.installed and set(self.current) == set(self.heads)

    @property
    def summary(self) -> str:
        current = ", ".join(self.current) or "—"
        if not self.installed:
            return f"at {current}; not installed: its tables are kept"
        if not self.current:
            return f"not set up (head {', '.join(self.heads)})"
        if self.up_to_date:
            return f"at {current} (head)"
        return f"at {current}, this version needs {', '.join(self.heads)}"


def current_revisions(connection: Connection, table: str) -> tuple[str, ...]:
    """The revisions recorded in version table ``table`` (``()`` when it does not exist).

    What Alembic's ``MigrationContext.get_current_heads`` reads, read with
    SQLAlchemy alone (importing Alembic costs ~0.25 s of every command).
    """
    from sqlalchemy import column, inspect, select
    from sqlalchemy import table as table_clause

    if not inspect(connection).has_table(table):
        return ()
    found: list[str] = list(connection.scalars(select(column("version_num")).select_from(table_clause(table))))
    return tuple(sorted(found))


def state(env: Environment, connection: Connection) -> State:
    return State(env.name, env.version_table, current_revisions(connection, env.version_table), env.heads(),
                 kind=env.kind)


def states(connection: Connection, known: Sequence[Environment] | None = None) -> list[State]:
    """Every environment's state, then the version tables of plugins no longer installed."""
    from sqlalchemy import inspect

    known = list(known) if known is not None else environments()
    found = [state(env, connection) for env in known]
    names = {env.version_table for env in known}
    for table in sorted(inspect(connection).get_table_names()):
        if table.startswith("alembic_version_") and table not in names:
            found.append(State(table[len("alembic_version_"):], table, current_revisions(connection, table), (),
                               installed=False))
    return found


# -- upgrade and downgrade -----------------------------------------------------------


def upgrade(env: Environment, revision: str = "heads", *, sql: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Upgrade one environment to ``revision`` in one transaction: (revisions before, revisions after)."""
    from alembic import command

    from .db import db

    if sql:
        command.upgrade(env.config(), revision, sql=True)
        return (), ()
    with db.engine.begin() as connection:
        _transactional_ddl(connection)
        before = current_revisions(connection, env.version_table)
        command.upgrade(env.config(connection), revision)
        after = current_revisions(connection, env.version_table)
    return before, after


def downgrade(env: Environment, revision: str, *, sql: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Downgrade one environment to ``revision`` in one transaction: (before, after)."""
    from alembic import command

    from .db import db

    if sql:
        command.downgrade(env.config(), revision, sql=True)
        return (), ()
    with db.engine.begin() as connection:
        _transactional_ddl(connection)
        before = current_revisions(connection, env.version_table)
        command.downgrade(env.config(connection), revision)
        after = current_revisions(connection, env.version_table)
    return before, after


def _transactional_ddl(connection: Connection) -> None:
    """On SQLite, open the transaction now, so a failing migration's CREATE TABLE is rolled back too.

    Python's ``sqlite3`` begins a transaction only before INSERT, UPDATE and
    DELETE; DDL before those would be committed one statement at a time and
    survive a migration that fails later (and the next run would fail on
    "table already exists"). SQLite's DDL is transactional once a
    transaction is open; PostgreSQL's always is.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not getattr(dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")


def upgrade_all(echo: Callable[[str], None] | None = None) -> list[MigrationFailed]:
    """Core's migrations, then the admin's, then every installed plugin's, each to its head.

    Each environment is one transaction. A plugin whose migration fails
    keeps its tables as they were and the others go on: its failure is
    returned (and echoed). Core's or the admin's failure stops the run
    (``MigrationFailed``); a database fault (unreachable, locked, read-only)
    is raised as it is, for the caller's one-line report.
    """
    failures: list[MigrationFailed] = []
    for env in environments():
        try:
            before, after = upgrade(env)
        except Exception as exc:
            if is_fault(exc):
                raise
            failure = MigrationFailed(env, exc)
            if env.kind != "plugin":
                raise failure from exc
            failures.append(failure)
            if echo is not None:
                echo(f"{env.name}: not upgraded (the error is below)")
            continue
        if echo is not None:
            echo(describe_step(env, before, after, " (head)"))
    return failures


def is_fault(exc: BaseException) -> bool:
    """A database fault the commands report in one line (unreachable, busy, refused)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .store.faults import DatabaseFault, classify

    return isinstance(exc, DatabaseFault) or (isinstance(exc, SQLAlchemyError) and classify(exc) is not None)


class MigrationFailed(RuntimeError):
    """An environment's migration raised; nothing of that environment's run was kept."""

    def __init__(self, env: Environment, error: BaseException) -> None:
        self.environment = env
        self.error = error
        what = "core's" if env.kind == CORE else ("the admin's" if env.kind == "application"
                                                  else f"plugin {env.name}'s")
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        super().__init__(f"{what} migrations failed ({type(error).__name__}: {first}); "
                         f"its tables are left as they were")


def describe_step(env: Environment, before: tuple[str, ...], after: tuple[str, ...], note: str = "") -> str:
    """``demo: 0001_venues → 0002_venue_capacity``, or ``demo: at 0002_venue_capacity`` (then ``note``)."""
    now = ", ".join(after) or "base"
    if before == after:
        return f"{env.name}: at {now}{note}"
    return f"{env.name}: {', '.join(before) or 'base'} → {now}{note}"


# -- checking models against migrations ----------------------------------------------------


def model_differences(env: Environment, connection: Connection,
                      known: Sequence[Environment] | None = None) -> list[Any]:
    """What Alembic's autogenerate finds between ``env``'s models and its tables (``[]``: none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True, "version_table": env.version_table,
        "include_name": include_name_for(env.name, connection, known),
    })
    return compare_metadata(context, env.metadata)


@contextmanager
def scratch_database(database_url: str | None = None) -> Iterator[str]:
    """A new, empty database for checks: SQLite in a temporary folder, or one created on a PostgreSQL server."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = database_url or os.environ.get("STDPOLICY_DATABASE_URL")
    if not base or make_url(base).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stdpolicy-check-") as folder:
            yield "sqlite:///" + os.path.join(folder, "check.sqlite")
        return
    url = make_url(base)
    name = f"stdpolicy_check_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def check_plugin_migrations(plugin: str, *, registry: Registry | None = None,
                            database_url: str | None = None) -> list[str]:
    """See ``core.storage.check_plugin_migrations``."""
    from flask import Flask
    from sqlalchemy import inspect

    from .app import init_app
    from .db import db
    from .registry import load_registry

    registry = registry or load_registry()
    if plugin not in registry.plugins:
        failed = [f.error for f in registry.failures if f.name == plugin]
        return [f"plugin {plugin!r} is not loaded" + (f": {failed[0]}" if failed else "")]
    if plugin not in registry.storage():
        return [f"plugin {plugin!r} declares no storage (stdpolicy_register_storage)"]
    problems: list[str] = []
    with scratch_database(database_url) as url, tempfile.TemporaryDirectory(prefix="stdpolicy-check-") as instance:
        app = Flask("core", instance_path=instance)
        app.config["SQLALCHEMY_DATABASE_URI"] = url
        init_app(app, registry)
        with app.app_context():
            try:
                known = environments(app, registry)
                core, env = known[0], environment(plugin, app)
                script = env.script()
                long_ids = [r.revision for r in script.walk_revisions() if len(r.revision) > MAX_REVISION_ID]
                problems += [f"revision id {rid!r} is longer than {MAX_REVISION_ID} characters (the version "
                             "table's column)" for rid in long_ids]
                if len(script.get_heads()) != 1:
                    problems.append(f"the migrations have {len(script.get_heads())} heads, not one: "
                                    f"{', '.join(script.get_heads()) or 'no revision at all'}")
                    return problems
                upgrade(core)
                upgrade(env)
                problems += _differences("after upgrading to head", env, known)
                downgrade(env, "base")
                with db.engine.connect() as connection:
                    left = sorted(t for t in inspect(connection).get_table_names()
                                  if table_owner(t, known, ()) == plugin)
                if left:
                    problems.append(f"the downgrade to base leaves tables behind: {', '.join(left)}")
                upgrade(env)
                problems += _differences("after downgrading to base and upgrading again", env, known)
            except Exception as exc:  # noqa: BLE001 - a failing migration is the answer, not a crash
                first = (str(exc).strip().splitlines() or [""])[0]
                problems.append(f"migrating failed: {type(exc).__name__}: {first}")
            finally:
                db.session.remove()
                db.engine.dispose()
    return problems


def _differences(when: str, env: Environment, known: Sequence[Environment]) -> list[str]:
    from .db import db

    with db.engine.connect() as connection:
        found = model_differences(env, connection, known)
    return [f"{when}, the models and the migrated tables differ: {_describe(diff)}" for diff in found]


def _describe(diff: Any) -> str:
    if isinstance(diff, list):  # a column's modifications come grouped
        return "; ".join(_describe(d) for d in diff)
    kind, *rest = diff
    names = [getattr(item, "name", None) or str(item) for item in rest if item is not None][:3]
    return f"{kind} {' '.join(str(n) for n in names)}".strip()
