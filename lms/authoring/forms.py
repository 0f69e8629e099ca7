"""Forms of the trainer's pages. Content rules are checked by the content validator (the code
``lms check`` runs), not here: these forms only carry the values to it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ..i18n import lazy_gettext as _l
from .structure import MAX_SLUG, MAX_TITLE, NEW_KINDS


class NewItemForm(FlaskForm):
    kind = RadioField(_l("What to create"), default="module", validate_choice=False,
                      choices=[SelectChoice(key, label) for key, (label, _) in NEW_KINDS.items()])
    title = StringField(_l("Title"), render_kw={"maxlength": MAX_TITLE})
    slug = StringField(_l("Name in files and links (slug)"), render_kw={"maxlength": MAX_SLUG,
                                                                        "autocapitalize": "none",
                                                                        "spellcheck": "false"})
    module = SelectField(_l("Module it belongs to (activities)"), validate_choice=False)


class RenameForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": MAX_TITLE})
    slug = StringField(_l("Name in files and links (slug)"), render_kw={"maxlength": MAX_SLUG,
                                                                        "autocapitalize": "none",
                                                                        "spellcheck": "false"})
    base_number = HiddenField()
    version = HiddenField()


class CourseSettingsForm(FlaskForm):
    """The fields of course.yml (its module order is changed on the course page)."""

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    hours = StringField(_l("Hours credited on the certificate"), render_kw={"inputmode": "decimal"})
    sequential = BooleanField(_l("Modules are taken in order"))
    review_required = BooleanField(_l("Publishing needs a second author's approval (four eyes)"))
    all_trainees = BooleanField(_l("Assign to every trainee"))
    due_days = StringField(_l("Days to complete after assignment"), render_kw={"inputmode": "numeric"})
    min_share = StringField(_l("Share of a module's minutes a trainee must spend reading it (0 to 1)"),
                            render_kw={"inputmode": "decimal"})
    min_chars = StringField(_l("Minimum characters of the training summary"),
                            render_kw={"inputmode": "numeric"})
    completion_modules = BooleanField(_l("Every module read"))
    completion_quizzes = BooleanField(_l("Every quiz and case study passed"))
    completion_scenarios = BooleanField(_l("Every call simulation passed"))
    completion_summary = BooleanField(_l("Training summary approved by a trainer"))
    scenario_min_score = StringField(_l("Minimum call simulation score (0 to 100)"),
                                     render_kw={"inputmode": "numeric"})
    validity_months = StringField(_l("Certificate valid for (months)"), render_kw={"inputmode": "numeric"})
    issuer = StringField(_l("Issuer"))
    signatory = StringField(_l("Signatory"))
    signatory_title = StringField(_l("Signatory's title"))
    template = SelectField(_l("Certificate design"), validate_choice=False)
    message = StringField(_l("Message (why, kept with the revision)"), validators=[Length(max=2000)])
    base_number = HiddenField()
    version = HiddenField()
