from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Email, EqualTo, InputRequired, Length, Optional, Regexp

from .. import fields
from ..certificates.fonts import NAME_MAX_LENGTH
from ..fields import Clean
from ..i18n import lazy_gettext as _l
from .models import ADMIN, HR, TRAINEE, TRAINER
from .widgets import MultiCheckboxField

ROLE_LABELS = {
    TRAINEE: _l("Trainee"),
    TRAINER: _l("Trainer"),
    HR: _l("HR"),
    ADMIN: _l("Administrator"),
}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Clean(fields.USERNAME)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Clean(fields.PASSWORD)])
    next = HiddenField()


class ActivationForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        InputRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class LanguageForm(FlaskForm):
    locale = StringField(validators=[InputRequired(), AnyOf(["zh_CN", "en"])])
    next = HiddenField()


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        InputRequired(), Length(min=2, max=fields.USERNAME.max_length),
        Regexp(r"^[A-Za-z0-9._@-]+$",
               message=_l("Use letters, digits and . _ @ - only.")),
    ])
    # at most NAME_MAX_LENGTH characters the certificate fonts have: accounts.services checks it
    display_name = StringField(_l("Name"), validators=[InputRequired()],
                               render_kw={"maxlength": NAME_MAX_LENGTH})
    employee_no = StringField(_l("Employee number"), validators=[Optional(), Clean(fields.EMPLOYEE_NO)])
    department = StringField(_l("Department"), validators=[Optional(), Clean(fields.DEPARTMENT)])
    email = StringField(_l("Email"), validators=[Optional(), Clean(fields.EMAIL), Email()])
    roles = MultiCheckboxField(_l("Roles"),
                               choices=[SelectChoice(role, label) for role, label in ROLE_LABELS.items()],
                               validators=[InputRequired(message=_l("Choose at least one role."))])
    password = PasswordField(_l("Password"), validators=[Optional(), Clean(fields.PASSWORD)])
    is_active = BooleanField(_l("Account active"), default=True)
