"""The "record a new version" form, generated from a parameter's declaration.

The value field is the widget the parameter's type gives (``core.paramtypes``:
money and integers → whole numbers with the declared bounds, money never
below 0; decimals, percentages and quantities → a decimal number; a date →
a date picker; a choice → a list of its labels; boolean → a checkbox;
string and string_list → text, the list comma-separated; a plugin's own
type → its own widget). WTForms checks what it can, with its own messages, which
its catalogue translates into the UI language. The view then loads every
submission through the parameter's marshmallow schema (``version_schema``)
before anything is stored, and ``schema_errors_to_form`` puts that schema's
messages, in the UI language, next to their fields.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from core.declarations import ParameterDeclaration
from core.messages import flatten_errors

from .i18n import pick

__all__ = [
    "VERSION_FIELDS",
    "ParameterVersionForm",
    "form_value",
    "parameter_form",
    "schema_errors_to_form",
    "submitted_data",
]

#: The fields of the version schema, each shown by the form field of the same name.
VERSION_FIELDS = ("value", "effective_from", "reason", "reference")


class ParameterVersionForm(FlaskForm):
    """Common fields; ``parameter_form`` adds ``value`` for the declared type."""

    effective_from = DateField(
        _l("In force from"), format="%Y-%m-%d", validators=[InputRequired()],
        description=_l("The first day the new value applies. Activities dated earlier keep the value in force on their date."),
    )
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=2000)],
        description=_l("Why the value changes; kept in the history and the audit log."),
    )
    reference = StringField(
        _l("Policy reference"), validators=[DataRequired(), Length(max=500)],
        description=_l("The policy document and clause that sets the new value."),
    )
    based_on = HiddenField()
    preview = SubmitField(_l("Preview the change"))
    save = SubmitField(_l("Save this version"))

    #: Errors that concern no single field (shown above the form).
    general_errors: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.general_errors = []

    def based_on_sequence(self) -> int | None:
        """The sequence number the submitter saw (``None`` if missing or garbled)."""
        try:
            return int(self.based_on.data)
        except (TypeError, ValueError):
            return None


def _value_field(decl: ParameterDeclaration) -> Any:
    """The value's widget: what the parameter's type gives (``core.paramtypes``)."""
    return decl.value_type.widget(decl, _l("Value"), lambda text: pick(text))


@lru_cache(maxsize=None)
def _form_class(decl: ParameterDeclaration, value_type: Any) -> type[ParameterVersionForm]:
    # Keyed on the type too: two registries may give one name two types (tests).
    return type(f"ParameterVersionForm_{decl.key.replace('.', '_')}", (ParameterVersionForm,), {"value": _value_field(decl)})


def parameter_form(decl: ParameterDeclaration, **kwargs: Any) -> ParameterVersionForm:
    """A form for a new version of ``decl``, bound to the request's data on POST.

    Keyword arguments are initial data (``value``, ``reference``,
    ``based_on`` …); pass them only when nothing was submitted.
    """
    return _form_class(decl, decl.value_type)(**kwargs)


def form_value(decl: ParameterDeclaration, value: Any) -> Any:
    """A stored value as the form field's initial data."""
    return decl.value_type.to_form(decl, value)


def submitted_data(decl: ParameterDeclaration, form: ParameterVersionForm) -> dict[str, Any]:
    """What the form submitted, for ``version_schema`` (which checks it again)."""
    value: Any = decl.value_type.from_form(decl, form.value.data)
    effective_from = form.effective_from.data
    return {
        "value": value,
        "effective_from": effective_from.isoformat() if isinstance(effective_from, date) else effective_from,
        "reason": form.reason.data or "",
        "reference": form.reference.data or "",
    }


def schema_errors_to_form(form: ParameterVersionForm, error: ValidationError) -> None:
    """Put the schema's messages, in the UI language, next to the fields they name."""
    for problem in flatten_errors(error.messages):
        message = pick(None, zh=problem.message_zh, en=problem.message)
        name = (problem.field or "").split(".", 1)[0]
        if name in VERSION_FIELDS:
            field = form[name]
            field.errors = [*field.errors, message]
        else:
            form.general_errors.append(f"{problem.field}: {message}" if problem.field else message)
