"""Hook specifications: everything a ``stdpolicy`` plugin can implement.

A plugin is a module (or object) registered under the ``stdpolicy.plugins``
entry-point group; the entry-point name is its permanent identity (it names
the plugin in outcomes, in enablement and in parameter keys). It implements
any of the hooks below with ``@hookimpl`` from ``core``::

    from core import hookimpl

    @hookimpl
    def stdpolicy_register_activity_kinds():
        return [ActivityKind(...)]

Core calls every hook through pluggy, so wrappers (``@hookimpl(wrapper=True)``
or ``hookwrapper=True``) and pluggy's tracing (``pm.trace``,
``add_hookcall_monitoring``) see every call. The ``stdpolicy_register_*``
and ``stdpolicy_describe_plugin`` hooks are called once per plugin at
start-up, one plugin at a time (a pluggy subset caller holding that plugin
alone), so core knows who declared what: a plugin that raises there, or
declares a name another plugin already declared, is reported as failed and
skipped, and the others load. ``stdpolicy_evaluate`` is called once per
enabled plugin, each call wrapped by the wrappers of the enabled plugins
(see its docstring). A function named ``stdpolicy_*`` without ``@hookimpl``
is not called; core warns about it at load time.

None of the hooks stops at the first result (no ``firstresult``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .hooks import hookspec

if TYPE_CHECKING:
    import click

    from .declarations import (
        ActivityKind,
        AdminPage,
        ApiEndpoint,
        DashboardFigure,
        KindExtension,
        ParameterDeclaration,
        PluginDescription,
    )
    from .evaluation import Batch, EvaluationContext
    from .outcomes import Outcome
    from .paramtypes import ParameterType
    from .refdata import ReferenceTable
    from .storage import PluginStorage

__all__ = [
    "stdpolicy_demo_records",
    "stdpolicy_describe_plugin",
    "stdpolicy_evaluate",
    "stdpolicy_register_activity_kinds",
    "stdpolicy_register_admin_pages",
    "stdpolicy_register_api_endpoints",
    "stdpolicy_register_commands",
    "stdpolicy_register_dashboard_figures",
    "stdpolicy_register_kind_extensions",
    "stdpolicy_register_parameter_types",
    "stdpolicy_register_parameters",
    "stdpolicy_register_reference_tables",
    "stdpolicy_register_storage",
]


@hookspec
def stdpolicy_describe_plugin() -> PluginDescription:
    """Name and describe the plugin for users.

    Called once at start-up. Returns one ``PluginDescription`` (labels in
    Chinese and English, the policy clauses the plugin encodes). A plugin that
    does not implement it is listed under its entry-point name.
    """


@hookspec
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    """Declare the kinds of activity this plugin validates.

    Called once at start-up. Returns a list of ``ActivityKind``: a name unique
    across all plugins, bilingual labels, and the marshmallow schema of the
    kind's own fields. Core adds the common fields (``id``, ``kind``,
    ``date``, ``credit_code``, ``organisation``) and validates every incoming
    record with the combined schema before any plugin sees it. A kind name
    that another plugin already declared is a start-up error naming both.
    """


@hookspec
def stdpolicy_register_kind_extensions() -> list[KindExtension]:
    """Add optional fields and checks of this plugin to kinds declared elsewhere.

    Called once at start-up, after the plugin's kinds. Returns a list of
    ``KindExtension``: the kind (one of core's shared kinds, such as
    ``standard_drafting``, or another plugin's), optional marshmallow fields
    (with ``label`` metadata) loaded and validated with the rest of every
    record of that kind and kept in its fields, and validators that check a
    loaded record as this plugin's policy reads it. A field name the kind or
    another plugin's extension already has is a start-up error naming both
    plugins; the later plugin is not loaded. An extension of a kind no
    loaded plugin declares is a warning.
    """


@hookspec
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    """Declare the plugin's policy parameters and their shipped values.

    Called once at start-up. Returns a list of ``ParameterDeclaration``
    (usually read from a YAML file in the plugin package with
    ``core.load_parameter_file``). Keys start with the plugin's name
    (``reward_tiers.lead.national``) and are unique; each shipped value cites
    its policy document and clause. ``stdpolicy init`` stores the shipped
    values as the first versions; later versions come from the CLI or admin.
    """


@hookspec
def stdpolicy_register_parameter_types() -> list[ParameterType]:
    """Declare parameter value types beyond core's.

    Called once at start-up, before the plugin's other declaration hooks.
    Returns a list of ``ParameterType`` (``core.ParameterType``: a name, a
    bilingual label, the marshmallow field that parses and bounds a value,
    its formatting in Chinese and English, the admin's form widget, its
    stored JSON). The plugin's parameters, and those of plugins loaded after
    it, may then name the type. A name core or another plugin already
    declared is a start-up error naming both.
    """


@hookspec
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    """Declare the plugin's versioned reference tables and the versions it ships.

    Called once at start-up. Returns a list of ``ReferenceTable``: a key
    starting with the plugin's name (``carbon.quota_standards``), bilingual
    label and description, the policy clause, a marshmallow row schema whose
    fields carry labels (the CSV and XLSX column headers), the key fields
    that identify a row, and the shipped versions (usually read with
    ``core.load_reference_versions`` from a YAML file in the plugin package),
    each citing its document and clause; sample versions are marked
    ``demo``. ``stdpolicy init`` stores the shipped versions (``--demo``
    the samples too); later versions come from the CLI and the admin.
    Evaluation reads a table with ``context.reference(key, on)``, a schema
    with ``core.validation_reference(key, on)``.
    """


@hookspec
def stdpolicy_demo_records() -> list[dict[str, Any]]:
    """Sample records of the plugin's kinds, stored by ``stdpolicy init --demo``.

    Called by ``init --demo`` only, after core's own sample activities.
    Returns records in the interchange format (the ``stdpolicy import`` JSON
    records); they are validated and imported like any import, on behalf of
    the department that owns the plugin (or the market regulation
    administration when none does), and imported again adds nothing. Use
    sample organisations and numbers that read as samples (``示例``): the
    register does not mark demo activities otherwise. A plugin usually loads
    them from a JSON file in its package.
    """


@hookspec
def stdpolicy_register_dashboard_figures() -> list[DashboardFigure]:
    """Declare figures for the dashboard of departments that enable the plugin.

    Called once at start-up. Returns a list of ``DashboardFigure``; core
    computes them from stored activities and outcomes, so a figure needs no
    SQL of the plugin's own.
    """


@hookspec
def stdpolicy_register_admin_pages() -> list[AdminPage]:
    """Contribute admin pages.

    Called once when the admin application is created. Returns a list of
    ``AdminPage``; each blueprint is mounted under ``/admin/p/<plugin>/`` and
    gets a menu entry. The pages are shown and reachable only to users of a
    department that has enabled the plugin (404 for the others). Keep rules
    out of these views: they call the plugin's library code.
    """


@hookspec
def stdpolicy_register_api_endpoints() -> list[ApiEndpoint]:
    """Contribute read endpoints to the JSON API for department systems.

    Called once when the admin application is created (it takes no
    parameters). Returns a list of ``ApiEndpoint``; each is mounted at
    ``GET /api/p/<plugin>/<path>`` behind the department token of the
    existing API (401 without a valid one, 404 for a department that has not
    enabled the plugin), its query validated by the endpoint's marshmallow
    schema (400 naming the field) and its answer dumped by the response
    schema, and it is described in ``/api/openapi.json`` from those schemas.
    Keep rules out of the view: it calls the plugin's library code.
    """


@hookspec
def stdpolicy_register_storage() -> PluginStorage:
    """Declare the plugin's own tables and the migrations that create and change them.

    Called once at start-up. Returns one ``PluginStorage``: the ``MetaData``
    of the plugin's models (built on ``core.plugin_metadata(plugin)``, so
    they have their own metadata and core's naming convention; every table
    is named ``<plugin>_…``) and the dotted name of the package whose
    ``versions/`` folder holds the plugin's Alembic revision scripts. Core
    checks both at start-up (a plugin whose tables are misnamed, or that
    names a table another plugin declared, is reported and not loaded), and
    ``stdpolicy init`` / ``stdpolicy db upgrade`` run the scripts after core's
    and the admin's, with the plugin's own version table
    ``alembic_version_<plugin>``. Disabling or uninstalling the plugin
    leaves its tables alone. A plugin without tables does not implement it.
    """


@hookspec
def stdpolicy_register_commands(cli: click.Group) -> None:
    """Add commands to the ``stdpolicy`` command line.

    Called once when the command line is built, with the ``stdpolicy`` click
    group; add commands with ``@cli.command()``. Commands run inside the
    application context, so they can use the database and the registry
    (``current_app.extensions["stdpolicy"]``). Returns nothing.
    """


@hookspec
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    """Evaluate a batch of validated activities.

    Called once per evaluation (CLI ``evaluate``/``import``/``reevaluate``,
    the admin, the API, the Python ``Registry.evaluate``), and only for the
    plugins the evaluating department has enabled.

    :param batch: the validated activities, in input order; ``batch.of_kind(name)``
        gives those of one kind. A plugin evaluates the kinds it knows and
        ignores the rest.
    :param context: parameters in force (``context.parameters.value(key, on)``
        records which version was read), reference tables
        (``context.reference(key, on)``: the version in force on that day,
        also recorded), the department, the evaluation date, and
        ``context.history`` (one-time rewards already paid in stored data).
    :returns: a list of ``Outcome``, any number per activity. Core stamps each
        outcome with the plugin's name and version. If the hook raises, core
        finds the activities that make it raise (of the kinds the plugin
        declares or reads) and gives each an error outcome naming the plugin
        and the error; the others get the outcomes they would get without
        them, and the other plugins' outcomes are kept. An outcome unfit to
        store (``Outcome.problem``: ``details`` that are not a dict of JSON
        values — a date goes as its ISO text, a Decimal as a string —, an
        explanation that is not a ``Text``, a held outcome with an amount …)
        counts as the hook raising on its activity.

    A batch need not be the whole input: core may evaluate a large input
    or register a few *groups* at a time (``core.grouping``). A group is a
    kind and the key its ``ActivityKind.group`` gives (a kind without one is
    one group), and a batch always holds every activity of each group in it.
    So a rule that reads across activities (the one-time rule, conflicts,
    rankings) must read only activities of the same group, and stored data
    through ``context.history``; outcomes must not depend on which other
    groups share the batch.

    Core calls each enabled plugin's implementation on its own (a pluggy
    subset caller per plugin, cached per set of enabled plugins), so one
    plugin raising cannot take the others' outcomes with it. A wrapper
    (``@hookimpl(wrapper=True)``, or the old-style ``hookwrapper=True``) of
    an enabled plugin wraps each of those calls: it receives, and returns,
    the list of the wrapped implementation's results (``[outcomes]``), and
    what it returns is stamped as the wrapped plugin's. A wrapper that
    raises fails the call it wraps. A plugin either wraps evaluation or
    evaluates, not both.
    """
