"""A plugin's own tables and migrations: what it declares, and the helpers it uses.

A plugin that keeps data of its own (a registry of energy-quota standards, a
list of public services) declares it with ``stdpolicy_register_storage``::

    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
    from core import PluginStorage, hookimpl, plugin_metadata

    class Base(DeclarativeBase):
        metadata = plugin_metadata("carbon")

    class QuotaStandard(Base):
        __tablename__ = "carbon_quota_standards"       # <plugin>_… : checked at start-up
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(40), unique=True)

    @hookimpl
    def stdpolicy_register_storage():
        return PluginStorage(metadata=Base.metadata, migrations="stdpolicy_carbon.migrations")

The plugin ships only Alembic revision scripts, in ``versions/`` of the
package named by ``migrations``; core runs them in a shared environment
(``core/alembic_env``) with the plugin's own version table,
``alembic_version_<plugin>``, after core's and the admin's migrations, so
they may refer to core's tables (``activities``, ``organisations``,
``departments``). ``stdpolicy init`` and ``stdpolicy db upgrade`` apply
them; uninstalling or disabling the plugin leaves its tables and version
table alone. See docs/plugins/storage.md.

Importing this module costs nothing: SQLAlchemy and Flask are imported only
when a function here is called.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask_sqlalchemy.session import Session
    from sqlalchemy.orm import DeclarativeBase, scoped_session
    from sqlalchemy.sql.schema import MetaData, Table

    from .registry import Registry

__all__ = [
    "APPLICATION_TABLES",
    "NAMING_CONVENTION",
    "PluginStorage",
    "check_plugin_migrations",
    "check_storage",
    "core_table",
    "database_session",
    "model_base",
    "model_metadata",
    "plugin_metadata",
    "plugin_model_base",
    "version_table",
]

#: Tables of core and of the admin. A plugin's tables start with ``<plugin>_``,
#: so a plugin whose name would make one of these its own (``plugin``,
#: ``audit``, ``user`` …) cannot declare storage. tests/test_storage.py checks
#: this list against the models.
APPLICATION_TABLES = frozenset({
    # core (core/models.py)
    "activities", "audit_log", "departments", "evaluation_runs", "organisation_names", "organisations",
    "outcomes", "parameter_versions", "plugin_enablements", "plugin_owners", "plugin_permissions",
    "reference_rows", "reference_versions", "review_decisions", "approval_lists", "approval_list_items",
    "whatif_scenarios",
    # the admin (webadmin/models.py)
    "api_tokens", "rate_limits", "user_sessions", "users",
})

#: How constraints and indexes are named, in every environment: the same name on
#: SQLite and PostgreSQL, so one migration serves both.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Names that are migration environments of their own, not plugins.
RESERVED_NAMES = frozenset({"core", "webadmin", "alembic"})

#: Alembic's version table holds revision ids in a VARCHAR(32).
MAX_REVISION_ID = 32

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PluginStorage:
    """A plugin's tables and migrations, returned by ``stdpolicy_register_storage``.

    :param metadata: the ``MetaData`` of the plugin's models (``plugin_model_base(name).metadata``).
        Every table's name starts with ``<plugin>_``.
    :param migrations: the dotted name of the package whose ``versions/`` folder holds the
        plugin's Alembic revision scripts (``"stdpolicy_carbon.migrations"``).
    """

    metadata: MetaData
    migrations: str

    def versions_path(self) -> Path:
        """The folder of the revision scripts (``<migrations package>/versions``)."""
        try:
            spec = importlib.util.find_spec(self.migrations)
        except (ImportError, ValueError) as exc:
            raise ValueError(f"migrations package {self.migrations!r} cannot be imported: {exc}") from None
        locations = list(spec.submodule_search_locations or ()) if spec is not None else []
        if not locations:
            raise ValueError(f"migrations {self.migrations!r} is not an importable package")
        return Path(locations[0]) / "versions"


def version_table(name: str) -> str:
    """The Alembic version table of the migration environment ``name`` (``alembic_version_<name>``)."""
    return f"alembic_version_{name}"


def plugin_metadata(plugin: str) -> MetaData:
    """A ``MetaData`` of ``plugin``'s own, with core's naming convention: the base of its models.

    The typed way (mypy accepts the class)::

        class Base(DeclarativeBase):
            metadata = plugin_metadata("carbon")

    Its own ``MetaData`` keeps the plugin's tables out of core's migrations
    (and core's out of the plugin's); the naming convention names
    constraints and indexes the same way on SQLite and PostgreSQL, so one
    migration serves both. A foreign key to a core table refers to
    ``core_table("departments").c.id``.
    """
    return model_metadata(_plugin_name(plugin))


def plugin_model_base(plugin: str) -> type[DeclarativeBase]:
    """A declarative base on ``plugin_metadata(plugin)``: ``Base = plugin_model_base("carbon")``.

    The same as the class form of ``plugin_metadata``, in one line (mypy
    cannot check models built on a base it did not see declared: use that
    form in a plugin that runs mypy).
    """
    return model_base(_plugin_name(plugin))


def _plugin_name(plugin: str) -> str:
    if not isinstance(plugin, str) or not _NAME.match(plugin):
        raise ValueError(f"plugin name {plugin!r}: lower-case letters, digits and underscores, starting with a letter")
    return plugin


def model_metadata(environment: str) -> MetaData:
    """A ``MetaData`` for the models of one migration environment (core's naming convention)."""
    from sqlalchemy import MetaData

    return MetaData(naming_convention=NAMING_CONVENTION, info={"stdpolicy_environment": environment})


def model_base(environment: str) -> type[DeclarativeBase]:
    """A declarative base with a ``MetaData`` of its own, for the models of one migration environment."""
    from sqlalchemy.orm import DeclarativeBase

    return type(f"{environment.title().replace('_', '')}Base", (DeclarativeBase,),
                {"metadata": model_metadata(environment), "__module__": __name__,
                 "__doc__": f"Declarative base of the {environment!r} migration environment."})


#: Core's tables a plugin's model may refer to with a foreign key.
CORE_REFERABLE = ("activities", "departments", "organisations")


def core_table(name: str) -> Table:
    """One of core's tables (``activities``, ``departments``, ``organisations``), for a foreign key.

    ``mapped_column(ForeignKey(core_table("departments").c.id))``: the
    plugin's models keep their own ``MetaData`` and still refer to core's
    table; the plugin's migration writes the same constraint
    (``sa.ForeignKeyConstraint(["department_id"], ["departments.id"])``).
    Core's migrations run before the plugins', so the table is there.
    """
    if name not in CORE_REFERABLE:
        raise ValueError(f"core_table({name!r}): a plugin may refer to {', '.join(CORE_REFERABLE)}")
    from . import models  # noqa: F401  (core's models define the tables)
    from .db import db

    return db.metadata.tables[name]


def database_session() -> scoped_session[Session]:
    """The database session of the running application (Flask-SQLAlchemy's ``db.session``).

    A plugin reads and writes its own tables with it, inside a request, a
    command, or ``app.app_context()``.
    """
    from .db import db

    return db.session


def check_storage(plugin: str, storage: object, taken: dict[str, str] | None = None) -> list[str]:
    """Why ``storage`` (what ``plugin``'s ``stdpolicy_register_storage`` returned) is refused; ``[]``: accepted.

    Checked at start-up: a ``PluginStorage``; a plugin name that may own
    tables; core's naming convention; every table named ``<plugin>_…`` and
    not declared by another plugin (``taken``: table → plugin); a
    ``versions/`` folder of revision scripts.
    """
    if not isinstance(storage, PluginStorage):
        return [f"stdpolicy_register_storage must return a PluginStorage, got {storage!r}"]
    if plugin in RESERVED_NAMES:
        return [f"a plugin named {plugin!r} cannot keep tables: {plugin!r} is a migration environment of core's"]
    prefix = f"{plugin}_"
    claimed = sorted(table for table in APPLICATION_TABLES if table.startswith(prefix))
    if claimed:
        return [f"a plugin named {plugin!r} cannot keep tables: its prefix {prefix!r} would take core's "
                f"{', '.join(claimed)}"]
    metadata = storage.metadata
    taken = taken or {}
    problems = []
    tables = getattr(metadata, "tables", None)
    if tables is None:
        return [f"PluginStorage.metadata must be a SQLAlchemy MetaData, got {metadata!r}"]
    convention = getattr(metadata, "naming_convention", {})
    if any(convention.get(key) != value for key, value in NAMING_CONVENTION.items()):
        problems.append("the models' MetaData lacks core's naming convention: "
                        f"build the models on core.plugin_metadata({plugin!r})")
    for table in sorted(tables):
        if not table.startswith(prefix) or table == prefix:
            problems.append(f"table {table!r} must be named {prefix}…")
        elif table in taken:
            problems.append(f"table {table!r} is declared by both {taken[table]!r} and {plugin!r}")
    try:
        versions = storage.versions_path()
    except ValueError as exc:
        problems.append(str(exc))
    else:
        if not versions.is_dir():
            problems.append(f"no versions/ folder of revision scripts in {storage.migrations!r} ({versions})")
    return problems


def check_plugin_migrations(plugin: str, *, registry: Registry | None = None,
                            database_url: str | None = None) -> list[str]:
    """What is wrong between ``plugin``'s models and its migrations, on a scratch database; ``[]``: nothing.

    For a plugin's own tests (the test kit wraps it). On a new, empty
    database — SQLite in a temporary folder, or a database created on the
    PostgreSQL server of ``database_url`` (default ``$STDPOLICY_DATABASE_URL``)
    and dropped afterwards — it applies core's migrations and the plugin's,
    then reports: revision ids too long for the version table, more than one
    head, each difference Alembic's autogenerate finds between the models
    and the migrated tables, tables the downgrade to base leaves behind, and
    differences after upgrading again.

    :param registry: the plugins to use (default: those installed).
    """
    from .environments import check_plugin_migrations as check

    return check(plugin, registry=registry, database_url=database_url)
