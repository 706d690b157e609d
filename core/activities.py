"""Activities: validated records of standardisation work.

An activity record in the interchange format is a flat JSON object: the
common fields below, plus the fields of its kind (declared by a plugin)::

    {"id": "HN-2023-001", "kind": "standard_drafting", "date": "2023-05-10",
     "credit_code": "913304007429141869", "organisation": "嘉兴某某科技有限公司",
     "standard_code": "GB/T 43210-2023", "rank": 1}

Validation happens once, at the edge: core loads each record with the kind's
schema combined with ``EnvelopeSchema``; a record that fails is reported
with every field error and never reaches a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from . import clock
from .declarations import ActivityKind, KindExtension, KindValidator
from .fields import FreeText
from .gcpause import paused_gc
from .messages import Bilingual, FieldError, flatten_errors
from .parameters import ParameterResolver
from .screening import RawRecord, key_ok, printable, screen
from .text import Text
from .uscc import InvalidCreditCode, validate_credit_code

if TYPE_CHECKING:
    from .fastcheck import Loader
    from .registry import PluginFailure
    from .refdata import ReferenceResolver, ReferenceSnapshot

__all__ = [
    "Activity",
    "ActivityValidator",
    "EnvelopeSchema",
    "InvalidRecord",
    "Location",
    "ValidationReport",
    "validation_parameters",
    "validation_reference",
]

ENVELOPE_FIELDS = ("id", "kind", "date", "credit_code", "organisation")
#: The earliest year a record's date may have: the oldest standard numbers' (core.standards checks their
#: years from 1949 too). An earlier one is a mistyped year.
EARLIEST_YEAR = 1949

# Marshmallow 4 has no schema context; a context variable carries the
# parameters in force to the schemas that check a value against one (a
# pilot's granted amount against its cap).
_parameters: ContextVar[ParameterResolver | None] = ContextVar("stdpolicy_validation_parameters", default=None)
_references: ContextVar[ReferenceResolver | None] = ContextVar("stdpolicy_validation_references", default=None)


def validation_parameters() -> ParameterResolver | None:
    """The parameters in force for the validation under way (in a schema hook)."""
    return _parameters.get()


def validation_reference(key: str, on: date) -> ReferenceSnapshot | None:
    """The rows of reference table ``key`` in force on ``on``, for the validation under way (in a schema hook).

    ``None`` when no version is in force on that day, or when no validation
    is under way (the schema is used on its own). Raises
    ``UnknownReferenceTable`` for a key no loaded plugin declares. As for
    ``validation_parameters``: the versions are those of the database when
    the records are validated for an import or an evaluation against it.
    """
    references = _references.get()
    if references is None:
        return None
    return references.snapshot(key, on)


class Activity:
    """A validated activity.

    ``fields`` holds the kind's own fields as the kind's schema loaded them
    (normalised: a standard number in canonical form, an inferred level).
    ``ref`` is the record's ``id``, or ``#N`` (its 1-based row) without one;
    ``stored_id`` is the database id of a stored activity.
    """

    __slots__ = ("ref", "kind", "date", "credit_code", "organisation", "fields", "row", "stored_id")

    def __init__(
        self,
        kind: str,
        date: date,
        credit_code: str,
        fields: dict[str, Any],
        *,
        ref: str | None = None,
        organisation: str | None = None,
        row: int = 0,
        stored_id: int | None = None,
    ) -> None:
        self.kind = kind
        self.date = date
        self.credit_code = credit_code
        self.fields = fields
        self.ref = ref if ref is not None else f"#{row}"
        self.organisation = organisation
        self.row = row
        self.stored_id = stored_id

    def to_record(self) -> dict[str, Any]:
        """The activity in the interchange format (dates as ISO strings)."""
        record: dict[str, Any] = {"id": self.ref, "kind": self.kind, "date": self.date.isoformat(), "credit_code": self.credit_code}
        if self.organisation:
            record["organisation"] = self.organisation
        record.update(self.fields)
        return record

    def __repr__(self) -> str:
        return f"<Activity {self.ref} {self.kind} {self.date}>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Validation workers (core/parallel.py) send tens of thousands back to
        # the parent: a plain tuple, the date as its ordinal, pickles three
        # times faster than the slots' state.
        day = self.date.toordinal() if type(self.date) is date else self.date
        return _unpickle_activity, (self.kind, day, self.credit_code, self.fields, self.ref,
                                    self.organisation, self.row, self.stored_id)


def _unpickle_activity(kind: str, day: Any, credit_code: str, fields: dict[str, Any], ref: str,
                       organisation: str | None, row: int, stored_id: int | None) -> Activity:
    return Activity(kind, date.fromordinal(day) if type(day) is int else day, credit_code, fields,
                    ref=ref, organisation=organisation, row=row, stored_id=stored_id)


class _Id(fields.Field):
    """A record id: a string or an integer, kept as a string."""

    default_error_messages = {"invalid": "Not a valid string."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        return str(value)


#: ``date`` under another name, for annotations inside a schema whose field is called ``date``.
Day = date


class EnvelopeSchema(Schema):
    """The fields every activity has, whatever its kind."""

    id = _Id(load_default=None, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True)
    date = fields.Date(required=True)
    credit_code = fields.String(required=True)
    organisation = FreeText(load_default=None, validate=validate.Length(min=1, max=200))

    @validates("credit_code")
    def _credit_code(self, value: str, **kwargs: Any) -> None:
        try:
            validate_credit_code(value)
        except InvalidCreditCode as exc:
            raise ValidationError(Bilingual.of(exc.text)) from None

    @validates("organisation")
    def _named(self, value: str | None, **kwargs: Any) -> None:
        # FreeText keeps blank text's spaces: a name of spaces would rename the organisation to nothing.
        if value is not None and not value.strip():
            raise ValidationError(Bilingual("单位名称为空白:名称不详时请不填写此项",
                                            "the organisation's name is blank: leave it out when it is not known"))

    @validates("date")
    def _not_in_future(self, value: Day, **kwargs: Any) -> None:
        if value > clock.today():  # the city's today, not the server's (core.clock)
            raise ValidationError(Bilingual(
                "日期晚于今天:只登记已完成的成果", "date is in the future: only completed achievements are recorded",
            ))
        if value.year < EARLIEST_YEAR:  # a mistyped year ("0202-06-20") would be stored, and paid nothing unnoticed
            raise ValidationError(Bilingual(
                f"日期早于{EARLIEST_YEAR}年:请核对年份", f"date before {EARLIEST_YEAR}: check the year",
            ))


@dataclass(frozen=True)
class Location:
    """Where a record was in its input: the n-th record of a JSON array, a
    line of JSON Lines, a row of a CSV file or of a workbook's sheet."""

    number: int
    #: ``row`` (the n-th record of a JSON array, a row of CSV or of a sheet,
    #: the header being row 1) or ``line`` (JSON Lines).
    unit: str = "row"
    sheet: str | None = None

    @property
    def text(self) -> Text:
        """``第3行`` / ``row 3``; with a sheet, ``工作表“标准制定”第3行`` / ``sheet 标准制定, row 3``."""
        zh, en = (f"第{self.number}行", f"{self.unit} {self.number}")
        if self.sheet is not None:
            return Text(f"工作表“{self.sheet}”{zh}", f"sheet {self.sheet}, {en}")
        return Text(zh, en)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"row": self.number}
        if self.sheet is not None:
            found["sheet"] = self.sheet
        return found


@dataclass
class InvalidRecord:
    """A record that failed validation, with every error found."""

    row: int
    ref: str
    kind: str | None
    errors: list[FieldError]
    record: Any = None
    #: Where the record was in its file (set by ``ActivityValidator.validate``).
    where: Location | None = None

    @property
    def location(self) -> Location:
        return self.where or Location(self.row)


@dataclass
class ValidationReport:
    """All records of one input, in input order, valid or not."""

    items: list[Activity | InvalidRecord] = field(default_factory=list)

    @property
    def valid(self) -> list[Activity]:
        return [item for item in self.items if isinstance(item, Activity)]

    @property
    def invalid(self) -> list[InvalidRecord]:
        return [item for item in self.items if isinstance(item, InvalidRecord)]


class Reported:
    """What a result that carries its input's ``ValidationReport`` (``report``) tells of it."""

    report: ValidationReport

    @property
    def invalid(self) -> list[InvalidRecord]:
        """The invalid records, in input order."""
        return self.report.invalid

    @property
    def ok(self) -> bool:
        """Every record was valid."""
        return not self.report.invalid


class ActivityValidator:
    """Validates records against the kinds the loaded plugins declared, with their extensions.

    ``extensions`` and ``failures`` are the registry's own (live) collections:
    the extensions' fields join the kind's schema and their validators run on
    what it loaded; a record of a kind no loaded plugin declares is told which
    plugin that failed to load declares it.
    """

    def __init__(self, kinds: Mapping[str, ActivityKind],
                 extensions: Mapping[str, Sequence[tuple[str, KindExtension]]] | None = None,
                 failures: Sequence[PluginFailure] = ()) -> None:
        self.kinds = kinds
        self.extensions = extensions if extensions is not None else {}
        self.failures = failures
        self._schemas: dict[str, Schema] = {}
        self._checks: dict[str, tuple[KindValidator, ...]] = {}
        self._multiline: dict[str, frozenset[str]] = {}
        self._loaders: dict[str, Loader | None] = {}

    #: Whether valid records take the compiled loaders (``core.fastcheck``); ``False`` makes
    #: marshmallow load every record (the benchmark's baseline, the differential test's oracle).
    compiled: bool = True

    def reset(self) -> None:
        """Forget the combined schemas (a plugin was added: kinds or extensions changed)."""
        self._schemas.clear()
        self._checks.clear()
        self._multiline.clear()
        self._loaders.clear()

    def loader_for(self, kind: str) -> Loader | None:
        """The compiled loader of ``kind``'s combined schema (``None``: marshmallow loads it), built once."""
        try:
            return self._loaders[kind]
        except KeyError:
            from .fastcheck import compile_schema

            found = self._loaders[kind] = compile_schema(self.schema_for(kind))
            return found

    def schema_for(self, kind: str) -> Schema:
        """The combined (common + kind) schema of ``kind``; the kind's schema holds its extensions' fields
        (``Registry.kinds``)."""
        schema = self._schemas.get(kind)
        if schema is None:
            declared = self.kinds[kind]
            combined = type(f"{declared.schema.__name__}WithEnvelope", (declared.schema, EnvelopeSchema), {})
            schema = self._schemas[kind] = combined()
        return schema

    def checks_for(self, kind: str) -> tuple[KindValidator, ...]:
        """The validators the extensions of ``kind`` add, in the order the plugins loaded."""
        found = self._checks.get(kind)
        if found is None:
            found = self._checks[kind] = tuple(v for _, extension in self.extensions.get(kind, ()) for v in extension.validators)
        return found

    def multiline_fields(self, kind: str) -> frozenset[str]:
        """The fields of ``kind`` that may hold tab and line breaks (``metadata={"multiline": True}``)."""
        found = self._multiline.get(kind)
        if found is None:
            found = self._multiline[kind] = frozenset(
                name for name, f in self.schema_for(kind).fields.items() if f.metadata.get("multiline")
            )
        return found

    def validate(self, records: Iterable[Any], parameters: ParameterResolver | None = None, *,
                 references: ReferenceResolver | None = None, workers: int = 1) -> ValidationReport:
        """Validate every record; ids repeated within the input are errors too.

        ``parameters`` are the values schemas may check against (a cap).
        ``workers`` > 1 lets a list of at least ``core.parallel.MIN_RECORDS``
        records be split between that many processes (forked: only for a
        single-threaded caller such as the CLI); the report is the same.
        Records read from a file (``core.interchange.Records``) say where
        each was; an invalid one keeps that as ``InvalidRecord.where``.
        """
        token = _parameters.set(parameters)
        reference_token = _references.set(references)
        locate = getattr(records, "location", None)
        try:
            # Each record leaves a loaded dict and an Activity behind; without
            # the pause the cyclic GC rescans them all, again and again
            # (core/gcpause.py; ~10 % of validating 100,000 records).
            with paused_gc():
                if workers > 1 and isinstance(records, Sequence):
                    from . import parallel

                    if len(records) >= parallel.MIN_RECORDS and parallel.can_fork():
                        if references is not None:
                            references.prefetch()  # forked workers must not query the database
                        return self._report(zip(records, parallel.validate_items(self, records, workers)), locate)
                return self._report(((record, self.validate_one(record, row)) for row, record in enumerate(records, start=1)),
                                    locate)
        finally:
            _parameters.reset(token)
            _references.reset(reference_token)

    @staticmethod
    def _report(validated: Iterable[tuple[Any, Activity | InvalidRecord]],
                locate: Callable[[int], Location] | None = None) -> ValidationReport:
        """The report of (record, what validate_one made of it) pairs, in input order,
        with the duplicate-id check."""
        report = ValidationReport()
        seen_ids: dict[str, int] = {}
        for record, item in validated:
            row = item.row
            if isinstance(item, Activity) and not item.ref.startswith("#"):
                first = seen_ids.setdefault(item.ref, row)
                if first != row:
                    where = (locate(first - 1) if locate else Location(first)).text
                    item = InvalidRecord(row, item.ref, item.kind, [FieldError.make(
                        "id", Bilingual(f"编号与{where.zh}重复", f"the same id as {where.en}"),
                    )], record)
            if locate is not None and isinstance(item, InvalidRecord):
                item.where = locate(row - 1)
            report.items.append(item)
        return report

    def validate_one(self, record: Any, row: int) -> Activity | InvalidRecord:
        """What one record is: an ``Activity``, or an ``InvalidRecord`` with every error found.

        ``core.screening.screen`` looks at the raw values first; a field it
        refuses is left out of the schema's load (whose errors for that
        field it replaces), so the record's other errors are still found.
        """
        if not isinstance(record, dict):
            return InvalidRecord(row, f"#{row}", None, [FieldError.make(
                None, Bilingual("每条记录必须是一个 JSON 对象", "each record must be a JSON object"),
            )], record)
        kind = record.get("kind")
        known = isinstance(kind, str) and kind in self.kinds
        if (known and self.compiled and isinstance(kind, str)
                and (type(record) is dict or (type(record) is RawRecord and not record.problems))):
            # A record the compiled loader accepts is one screen() finds nothing in and the
            # schema loads as it returns (core/fastcheck.py); any other goes the whole way.
            loader = self._loaders[kind] if kind in self._loaders else self.loader_for(kind)
            if loader is not None:
                data = loader(record)
                if data is not None:
                    return self._loaded(record, row, kind, data)
        problems = screen(record, self.multiline_fields(kind) if isinstance(kind, str) and known else ())
        if problems is None:
            return self._load(record, row)
        clean = {k: v for k, v in record.items() if k not in problems and key_ok(k)}
        loaded = self._load(clean, row)
        errors = [FieldError.make(name, message) for name, messages in problems.items() for message in messages]
        if isinstance(loaded, InvalidRecord):
            errors.extend(e for e in loaded.errors if e.field is None or e.field not in problems)
        return InvalidRecord(row, loaded.ref, loaded.kind, errors, record)

    def _load(self, record: dict[Any, Any], row: int) -> Activity | InvalidRecord:
        raw_id = record.get("id")
        ref = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and raw_id != "" else f"#{row}"
        kind = record.get("kind")
        if not isinstance(kind, str) or kind not in self.kinds:
            message = Bilingual("缺少必填字段。", "Missing data for required field.") if kind is None \
                else self._unknown_kind(kind)
            return InvalidRecord(row, ref, None, [FieldError.make("kind", message)], record)
        try:
            data = self.schema_for(kind).load(record)
        except ValidationError as exc:
            # marshmallow keeps the error in a local of a frame of its own
            # traceback: a reference cycle. Cut it, so the frames go at once
            # even while validate() has the cyclic GC paused.
            exc.__traceback__ = None
            return InvalidRecord(row, ref, kind, self._value_labels(kind, flatten_errors(exc.messages)), record)
        return self._loaded(record, row, kind, data, ref)

    def _loaded(self, record: dict[Any, Any], row: int, kind: str, data: dict[str, Any],
                ref: str | None = None) -> Activity | InvalidRecord:
        """What a record the kind's schema loaded as ``data`` is, once the extensions' validators ran."""
        if ref is None:
            raw_id = record.get("id")
            ref = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and raw_id != "" \
                else f"#{row}"
        checks = self._checks.get(kind)
        if checks is None:
            checks = self.checks_for(kind)
        if checks:
            errors: list[FieldError] = []
            for check in checks:
                try:
                    check(data)
                except ValidationError as exc:
                    exc.__traceback__ = None
                    errors.extend(flatten_errors(exc.normalized_messages()))
            if errors:
                return InvalidRecord(row, ref, kind, self._value_labels(kind, errors), record)
        own = {k: v for k, v in data.items() if k not in ENVELOPE_FIELDS}
        return Activity(
            kind, data["date"], validate_credit_code(data["credit_code"]), own,
            ref=data["id"], organisation=data["organisation"], row=row,
        )

    def _unknown_kind(self, kind: Any) -> Bilingual:
        """What to say of a kind no loaded plugin declares: which plugin that failed to load declares it, if known."""
        from .registry import LOAD_STAGES

        failed = [f for f in self.failures if f.stage in LOAD_STAGES]
        declarer = next((f for f in failed if isinstance(kind, str) and kind in f.kinds), None)
        if declarer is not None:
            where = f"({declarer.where})" if declarer.where else ""
            return Bilingual(
                f"声明该活动类型的插件 {declarer.name} 未能加载:{declarer.error}{where}",
                f"the plugin {declarer.name} that declares this kind failed to load: {declarer.error}"
                + (f" ({declarer.where})" if declarer.where else ""),
            )
        known = sorted(self.kinds)
        zh = f"未知的活动类型 {printable(kind, 80)}(可用:{'、'.join(self.kinds[k].label.zh for k in known)})"
        en = f"unknown kind {_short_repr(kind)} (known: {', '.join(known)})"
        # A plugin that failed before saying what it declares may be the one.
        unsure = sorted({f.name for f in failed if not f.kinds})
        if unsure:
            names = ", ".join(unsure)
            zh += f";插件 {'、'.join(unsure)} 未能加载,可能声明了该类型(`stdpolicy plugins` 显示原因)"
            en += f"; the plugin{'s' if len(unsure) > 1 else ''} {names} failed to load and may declare it " \
                  "(`stdpolicy plugins` shows why)"
        return Bilingual(zh, en)

    def _value_labels(self, kind: str, errors: list[FieldError]) -> list[FieldError]:
        """"Must be one of: national, provincial." names the values by their Chinese labels in Chinese."""
        declared = self.kinds[kind]
        out = []
        for e in errors:
            if e.field and e.message.startswith(_ONE_OF):
                codes = e.message[len(_ONE_OF):].rstrip(".").split(", ")
                labels = [declared.value_label(e.field, code) for code in codes]
                if all(labels):
                    e = FieldError(e.field, e.message, f"必须是以下之一:{'、'.join(label.zh for label in labels)}。")  # type: ignore[union-attr]
            out.append(e)
        return out


_ONE_OF = "Must be one of: "


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
