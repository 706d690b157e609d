"""WTForms forms (through Flask-WTF: every form carries a CSRF token).

Labels are lazy gettext strings, so each form renders in the UI language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from collections.abc import Iterable

from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from .models import ROLES
from .security import password_weakness
from .services import USERNAME_PATTERN

__all__ = [
    "ActionForm",
    "ChangePasswordForm",
    "LoginForm",
    "StrongPassword",
    "TokenForm",
    "UserForm",
    "select_choices",
]


def select_choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ActionForm(FlaskForm):
    """A form with no fields but the CSRF token: a button that changes something."""

    submit = SubmitField()


ROLE_LABELS = {
    "city_admin": _l("City administrator"),
    "dept_admin": _l("Department administrator"),
    "dept_viewer": _l("Department viewer"),
}


WEAKNESS_MESSAGES = {
    "characters": _l("The password contains characters that cannot be used (control characters)."),
    "short": _l("At least 10 characters."),
    "guessable": _l("This password is too easy to guess: use a longer phrase of several unrelated words, "
                    "or mix in digits and symbols."),
}


class StrongPassword:
    """A password someone chooses must pass ``security.password_weakness``.

    The form's ``username`` field, or its ``context_words`` attribute (set by
    the view), names the words an attacker would try first.
    """

    def __call__(self, form: FlaskForm, field) -> None:
        context = list(getattr(form, "context_words", ()))
        if "username" in form:
            context.append(form["username"].data or "")
        problem = password_weakness(field.data or "", *context)
        if problem is not None:
            raise ValidationError(str(WEAKNESS_MESSAGES[problem]))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=2, max=100),
        Regexp(USERNAME_PATTERN, message=_l("Letters, digits, and . @ - _ only.")),
    ])
    role = SelectField(_l("Role"), choices=select_choices((r, ROLE_LABELS[r]) for r in ROLES))
    department = SelectField(_l("Department"), validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(_l("Repeat password"), validators=[EqualTo("password", message=_l("The passwords differ."))])
    submit = SubmitField(_l("Create user"))


class ChangePasswordForm(FlaskForm):
    """A user chooses their own password: the current one, the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords differ.")),
    ])
    submit = SubmitField(_l("Change password"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    department = SelectField(_l("Department"))
    submit = SubmitField(_l("Issue token"))


class ActiveForm(FlaskForm):
    active = BooleanField()
    submit = SubmitField()
