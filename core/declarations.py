"""What a plugin declares to core through the ``stdpolicy_register_*`` hooks.

Each declaration is a small frozen value. Core collects them at start-up,
checks them (names unique across plugins, parameter keys prefixed with the
plugin name, schemas that really are marshmallow schemas) and reports a plugin
whose declarations are wrong as failed instead of letting it half-load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from marshmallow import Schema
from marshmallow import fields as ma_fields

from .text import Text

if TYPE_CHECKING:  # Flask is only needed by the admin, never by core at run time.
    from flask import Blueprint

    from .activities import Activity

    from .paramtypes import ParameterType

__all__ = [
    "ActivityKind",
    "AdminPage",
    "ApiEndpoint",
    "DashboardFigure",
    "DefaultValue",
    "KindExtension",
    "ParameterDeclaration",
    "PARAMETER_TYPES",
    "PluginDescription",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

#: The value types core ships (``core.paramtypes``); plugins add their own
#: through ``stdpolicy_register_parameter_types``. ``money`` is integer yuan.
PARAMETER_TYPES = ("money", "integer", "count", "decimal", "percentage", "quantity", "date", "choice", "boolean",
                   "string", "string_list")


@dataclass(frozen=True)
class PluginDescription:
    """How a plugin names itself to users (Plugins page, ``stdpolicy plugins``)."""

    label: Text
    description: Text
    #: The policy clauses the plugin encodes, e.g. ``("三(二)",)``.
    clauses: tuple[str, ...] = ()
    #: What each rule id of its outcomes means, ``(("R1", Text(…)), …)``: the
    #: admin's legend of rule codes wherever outcomes are shown.
    rules: tuple[tuple[str, Text], ...] = ()
    #: The reasons its held outcomes give (``details["held_reasons"]``, each
    #: ``{"code", "zh", "en"}``), by code: ``(("rank_conflict", Text("排名冲突",
    #: "rank conflict")), …)``. The review queue filters and labels by them.
    held_reasons: tuple[tuple[str, Text], ...] = ()
    #: Kinds declared elsewhere that the plugin evaluates — core's shared
    #: kinds (``core.kinds.SHARED_KINDS``) or another plugin's — besides its
    #: own. A department that switches the plugin on sees the activities of
    #: these kinds and of the plugin's own; a plugin that raises gets error
    #: outcomes on them.
    reads: tuple[str, ...] = ()
    #: The hook API versions the plugin was written for, a PEP 440 range
    #: such as ``">=1.0,<2"``, checked against ``core.HOOK_API_VERSION`` at
    #: load time (a plugin outside it is not loaded; one without it gets a warning).
    api: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.reads, str) or not all(isinstance(k, str) and _NAME.match(k) for k in self.reads):
            raise ValueError(f"reads must be a tuple of kind names, got {self.reads!r}")
        object.__setattr__(self, "reads", tuple(self.reads))
        if not all(isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], str) and _NAME.match(r[0])
                   and isinstance(r[1], Text) for r in self.held_reasons):
            raise ValueError(f"held_reasons must be (code, Text) pairs with lower_snake_case codes, got {self.held_reasons!r}")
        object.__setattr__(self, "held_reasons", tuple(self.held_reasons))

    def rule_label(self, rule: str) -> Text | None:
        """What rule ``rule`` means, if the plugin says."""
        return next((label for code, label in self.rules if code == rule), None)


@dataclass(frozen=True)
class ActivityKind:
    """A kind of standardisation activity a plugin knows how to validate.

    ``schema`` holds only the kind's own fields; core adds the common ones
    (``id``, ``kind``, ``date``, ``credit_code``, ``organisation``) before it
    loads a record. ``subject_field`` names the field that says *what* the
    activity is about (a standard number, a committee code); the register
    indexes and searches it.

    ``group`` says which activities of the kind a rule may read together
    (``core.grouping``): it maps a validated activity to a key, and a rule
    that looks across activities (the one-time rule, rank conflicts, a
    ranking) must look only at activities of the same kind and the same
    key. Core then evaluates a large input or register a few groups at a
    time, in bounded memory, with the same outcomes as all at once. Without
    it, every activity of the kind is one group (always correct; the kind's
    activities are then held in memory together).

    ``daily`` says that the kind's outcomes depend on the day they are
    computed (``EvaluationContext.evaluated_on``: a period of validity, a
    deadline), not only on the records, parameters and reference data: a
    re-evaluation (``stdpolicy reevaluate``) recomputes them whenever they
    were computed on an earlier day. A rule that reads ``evaluated_on`` must
    belong to a kind that says so, or its outcomes go stale.
    """

    name: str
    label: Text
    schema: type[Schema]
    subject_field: str | None = None
    description: Text | None = None
    group: Callable[[Activity], Hashable] | None = None
    daily: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"activity kind {self.name!r}: use lower_snake_case")
        if not (isinstance(self.schema, type) and issubclass(self.schema, Schema)):
            raise ValueError(f"activity kind {self.name!r}: schema must be a marshmallow Schema class")
        if self.subject_field and self.subject_field not in self.schema._declared_fields:
            raise ValueError(
                f"activity kind {self.name!r}: subject_field {self.subject_field!r} is not a field of its schema"
            )

    def field_label(self, name: str) -> Text | None:
        """The label a schema field declares (``metadata={"label": Text(…)}``), if any."""
        field = self.schema._declared_fields.get(name)
        label = field.metadata.get("label") if field is not None else None
        return label if isinstance(label, Text) else None

    def value_label(self, name: str, value: Any) -> Text | None:
        """The label of a coded value (``metadata={"values": {"national": Text(…)}}``), if any.

        ``name`` may be a path into nested records, as errors name them
        (``indicators.0.direction``: the ``direction`` of a ``List(Nested(…))``'s items).
        """
        if not isinstance(value, str):
            return None
        declared = self.schema._declared_fields
        found: Any = None
        for part in name.split("."):
            if found is not None:  # a part below a field: an item of a list, or a nested record's field
                while isinstance(found, ma_fields.List):
                    found = found.inner
                if part.isdigit():
                    continue
                if not isinstance(found, ma_fields.Nested) or not isinstance(found.schema, Schema):
                    return None
                declared = found.schema._declared_fields
            found = declared.get(part)
            if found is None:
                return None
        label = (found.metadata.get("values") or {}).get(value)
        return label if isinstance(label, Text) else None


#: A kind extension's check: called with the loaded record (the common
#: fields and the kind's own, as the kind's schema loaded them); raises
#: ``marshmallow.ValidationError`` (``field_name=…``, or ``{field: message}``)
#: for what is wrong. Messages are ``core.Bilingual``.
KindValidator = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class KindExtension:
    """What a plugin adds to a kind declared elsewhere (core's shared kinds, another plugin's).

    ``fields`` are optional fields of the plugin's own on records of that
    kind (marshmallow fields with ``metadata={"label": Text(…)}``), loaded
    and validated with the rest of the record and kept in the activity's
    fields; their names are unique across the kind and every extension of
    it. ``validators`` check a loaded record as the plugin's policy reads it
    (e.g. a granted amount against the plugin's cap): they run once the
    record passed the kind's own checks, and each error is reported on its
    field with the record's other errors. Extensions apply to every record
    of the kind, whichever department evaluates (validation does not depend
    on who asks).
    """

    kind: str
    fields: Mapping[str, ma_fields.Field] = field(default_factory=dict)
    validators: tuple[KindValidator, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.match(self.kind):
            raise ValueError(f"kind extension {self.kind!r}: use the kind's lower_snake_case name")
        for name, declared in self.fields.items():
            if not _NAME.match(name):
                raise ValueError(f"kind extension of {self.kind!r}: field {name!r}: use lower_snake_case")
            if not isinstance(declared, ma_fields.Field):
                raise ValueError(f"kind extension of {self.kind!r}: field {name!r} must be a marshmallow field")
            if declared.required:
                raise ValueError(f"kind extension of {self.kind!r}: field {name!r} must be optional "
                                 "(records valid without the extension stay valid)")
        if not all(callable(v) for v in self.validators):
            raise ValueError(f"kind extension of {self.kind!r}: validators must be callables")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "validators", tuple(self.validators))


@dataclass(frozen=True)
class DefaultValue:
    """One shipped value of a parameter, in force from ``effective_from``."""

    effective_from: date
    value: Any
    #: The policy document and clause the value comes from; required.
    document: str
    clause: str

    @property
    def reference(self) -> str:
        return f"{self.document} {self.clause}"


@dataclass(frozen=True)
class ParameterDeclaration:
    """A policy parameter: what it is, its type and bounds, its shipped values.

    Values recorded later (CLI, admin) are stored in the database as new
    versions; the shipped ``defaults`` are loaded there by ``stdpolicy init``.
    ``type`` names a parameter type (``core.paramtypes``: core's, or one a
    plugin registers); ``value_type`` is that type, resolved when the
    declaration is made. ``choices`` are the codes and labels of a ``choice``.
    """

    key: str
    label: Text
    unit: Text
    type: str
    clause: str
    #: Not hashed: a value may be a list (``string_list``); equal declarations still hash equal.
    defaults: tuple[DefaultValue, ...] = field(default=(), hash=False)
    description: Text | None = None
    minimum: Any = None
    maximum: Any = None
    choices: tuple[tuple[str, Text], ...] = ()
    value_type: ParameterType = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from .paramtypes import parameter_type

        if not _KEY.match(self.key):
            raise ValueError(f"parameter {self.key!r}: keys are dotted lower_snake_case, e.g. plugin.group.name")
        if self.value_type is None:
            try:
                object.__setattr__(self, "value_type", parameter_type(self.type))
            except ValueError as exc:
                raise ValueError(f"parameter {self.key!r}: {exc}") from None
        elif self.value_type.name != self.type:
            raise ValueError(f"parameter {self.key!r}: value_type {self.value_type.name!r} is not its type {self.type!r}")
        try:
            self.value_type.check(self)
        except ValueError as exc:
            raise ValueError(f"parameter {self.key!r}: {exc}") from None
        if not self.clause:
            raise ValueError(f"parameter {self.key!r}: the policy clause is required")
        for value in self.defaults:
            if not value.clause or not value.document:
                raise ValueError(f"parameter {self.key!r}: value from {value.effective_from} must cite its document and clause")

    @property
    def plugin_prefix(self) -> str:
        return self.key.split(".", 1)[0]

    def format(self, value: Any, language: str = "zh") -> str:
        """``value`` as a reader of ``language`` reads it (its type's formatting)."""
        return self.value_type.format(self, value, language)


@dataclass(frozen=True)
class DashboardFigure:
    """A figure on a department's dashboard, computed by core from stored data.

    ``measure`` is ``count`` (activities of ``kinds``) or ``amount`` (the sum
    of current outcome amounts of this plugin for ``kinds``).
    """

    key: str
    label: Text
    kinds: tuple[str, ...]
    measure: Literal["count", "amount"] = "count"


@dataclass(frozen=True)
class AdminPage:
    """Admin pages a plugin contributes.

    The blueprint is mounted under ``/admin/p/<plugin>/``; ``endpoint`` (a view
    of that blueprint, e.g. ``"index"``) is the menu entry's target. Users of a
    department that has not enabled the plugin get neither the menu entry nor
    the pages (404).
    """

    blueprint: "Blueprint"
    label: Text
    endpoint: str = "index"


_API_PATH = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")


@dataclass(frozen=True)
class ApiEndpoint:
    """A read endpoint of the JSON API a plugin contributes (``GET /api/p/<plugin>/<path>``).

    The admin authenticates the department token, answers 404 to a
    department that has not enabled the plugin, validates the query string
    with ``query_schema`` (400 naming the field), then calls ``view`` with
    the loaded query as keyword arguments (in an application context, so the
    ``stored_*`` readers work) and answers what ``response_schema`` dumps of
    its result as JSON. Both schemas describe the endpoint in
    ``/api/openapi.json``, so the plugin writes no Flask code at all.

    ``path`` is relative (``"targets"``, ``"counties/summary"``): lower-case
    letters, digits, ``_`` and ``-`` separated by ``/``; no path parameters,
    a query string carries every argument.
    """

    path: str
    view: Callable[..., Any]
    summary: Text
    response_schema: type[Schema] | Schema
    query_schema: type[Schema] | None = None
    #: A longer explanation for the OpenAPI document (optional).
    description: Text | None = None

    def __post_init__(self) -> None:
        if not _API_PATH.match(self.path):
            raise ValueError(f"ApiEndpoint path {self.path!r}: lower-case segments of letters, digits, _ and - "
                             "separated by /, without a leading /")
        if not callable(self.view):
            raise TypeError(f"ApiEndpoint {self.path!r}: view must be callable")
        if not isinstance(self.summary, Text):
            raise TypeError(f"ApiEndpoint {self.path!r}: summary must be a Text")
        if not (isinstance(self.response_schema, Schema)
                or (isinstance(self.response_schema, type) and issubclass(self.response_schema, Schema))):
            raise TypeError(f"ApiEndpoint {self.path!r}: response_schema must be a marshmallow Schema")
        if self.query_schema is not None and not (isinstance(self.query_schema, type)
                                                  and issubclass(self.query_schema, Schema)):
            raise TypeError(f"ApiEndpoint {self.path!r}: query_schema must be a marshmallow Schema class")
