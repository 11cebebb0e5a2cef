"""Forms for logging in and for the manager's staff screens (Flask-WTF: CSRF on every POST)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..nav import ROLE_LABELS
from .models import ROLES

PIN_VALIDATORS = [
    DataRequired(message=_l("Type the PIN.")),
    Regexp(r"^[0-9]{4,6}$", message=_l("A PIN is 4 to 6 digits.")),
]


class PinLoginForm(FlaskForm):
    pin = PasswordField(_l("PIN"), validators=PIN_VALIDATORS)


class PasswordLoginForm(FlaskForm):
    staff_no = StringField(_l("Staff number"), validators=[DataRequired(message=_l("Type your staff number."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Type your password."))])


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def role_choices():
    return [(r, ROLE_LABELS[r]) for r in ROLES]


class StaffForm(FlaskForm):
    staff_no = StringField(
        _l("Staff number"),
        validators=[
            DataRequired(message=_l("Enter a staff number.")),
            Length(max=20, message=_l("At most 20 characters.")),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, '-' or '_' only.")),
        ],
    )
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter the full name (it goes on stamps and invoices).")),
            Length(max=40, message=_l("At most 40 characters.")),
        ],
    )
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)
    pin = PasswordField(_l("PIN (4–6 digits)"), validators=PIN_VALIDATORS)
    password = PasswordField(_l("Password (managers, at least 8 characters)"), validators=[Optional()])


class ResetPinForm(FlaskForm):
    pin = PasswordField(_l("New PIN (4–6 digits)"), validators=PIN_VALIDATORS)


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Type the new password.")),
            Length(min=8, max=128, message=_l("8 to 128 characters.")),
        ],
    )


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)


class DeactivateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class EmptyForm(FlaskForm):
    """A POST with nothing but its CSRF token (logout, reactivate)."""
