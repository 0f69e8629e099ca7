from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from ..params import MAX_ID


class ReadingReportForm(FlaskForm):
    """What the module page reports: active reading time, and whether the end was reached."""

    seconds = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_ID)], default=0)
    reached_end = BooleanField()
    revision = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
