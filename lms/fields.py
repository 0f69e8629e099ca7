"""The rules of every text field people type in: one definition, used by the web forms, the HR
import, the CLI and the services alike.

A value is normalised to NFC and trimmed; it may hold no control characters (a multi-line field
keeps its line breaks and tabs); it must fit its database column and, for names, the certificate.
Pure: no Flask, no database. :func:`field_message` words a problem for people; the HR import
words it in Chinese itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .certificates.fonts import NAME_MAX_LENGTH


@dataclass(frozen=True)
class TextRule:
    max_length: int
    multiline: bool = False
    #: passwords are compared as typed: neither normalised nor trimmed
    keep_as_typed: bool = False


USERNAME = TextRule(80)
PASSWORD = TextRule(200, keep_as_typed=True)
DISPLAY_NAME = TextRule(NAME_MAX_LENGTH)  # the certificate's layout; the column holds 120
EMPLOYEE_NO = TextRule(40)
DEPARTMENT = TextRule(120)
COHORT = TextRule(120)
EMAIL = TextRule(254)
SEARCH = TextRule(100)
SERIAL = TextRule(40)
SUMMARY = TextRule(20_000, multiline=True)
ESSAY_ANSWER = TextRule(20_000, multiline=True)
SHORT_ANSWER = TextRule(1_000)
NUMBER_ANSWER = TextRule(100)
COMMENT = TextRule(5_000, multiline=True)  # a trainer's comment, a reason for a change

#: C0 and C1 controls, DEL, and the line and paragraph separators; \t \n \r are judged per rule
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_CONTROL = re.compile(r"[\t\n\r]")
_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class TextProblem:
    """Why a value breaks its rule: ``"control"`` (with the first offending character) or
    ``"too_long"`` (with the limit)."""

    kind: str
    limit: int = 0
    character: str = ""

    @property
    def shown(self) -> str:
        return f"U+{ord(self.character):04X}" if self.character else ""


class TextRuleError(ValueError):
    def __init__(self, problem: TextProblem):
        super().__init__(problem.kind)
        self.problem = problem


def normalise(value: str, rule: TextRule) -> str:
    """NFC, trimmed, and for multi-line text one kind of line break."""
    if rule.keep_as_typed:
        return value
    value = unicodedata.normalize("NFC", value)
    if rule.multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


def text_problem(value: str, rule: TextRule) -> TextProblem | None:
    """The first problem of an already normalised value, or None."""
    bad = _CONTROL.search(value) or (None if rule.multiline else _LINE_CONTROL.search(value))
    if bad:
        return TextProblem("control", character=bad.group())
    if len(value) > rule.max_length:
        return TextProblem("too_long", limit=rule.max_length)
    return None


def clean(value: str | None, rule: TextRule) -> str:
    """``value`` normalised; raises :class:`TextRuleError` when it breaks ``rule``."""
    value = normalise(value or "", rule)
    problem = text_problem(value, rule)
    if problem is not None:
        raise TextRuleError(problem)
    return value


def is_valid(value: str | None, rule: TextRule) -> bool:
    return text_problem(normalise(value or "", rule), rule) is None


def search_text(value: str | None) -> str:
    """A search box's value: never stored, so control characters are dropped and the rest cut
    to the limit rather than refused."""
    value = _LINE_CONTROL.sub(" ", _CONTROL.sub("", normalise(value or "", SEARCH)))
    return value[:SEARCH.max_length].strip()


def has_nul(value: str) -> bool:
    return "\x00" in value


def small_int(text: str | None) -> int | None:
    """ASCII digits as a number (not ``²``, which ``str.isdigit`` accepts but ``int`` refuses);
    None for anything else, including numbers too long to be meant."""
    text = (text or "").strip()
    return int(text) if _ASCII_DIGITS.fullmatch(text) else None


def field_message(problem: TextProblem) -> str:
    """The problem as the person who typed the value is told, in their language."""
    from .i18n import gettext as _

    if problem.kind == "too_long":
        return _("At most %(n)d characters.", n=problem.limit)
    return _("Remove the control character %(char)s: it cannot be stored.", char=problem.shown)


class Clean:
    """WTForms validator: the field's data normalised by ``rule``, or a message next to it.

    Place it after ``Optional``/``InputRequired``: it also replaces the data with the normalised
    value, so the view stores what was checked."""

    def __init__(self, rule: TextRule):
        self.rule = rule
        self.field_flags = {"maxlength": rule.max_length}

    def __call__(self, form, field) -> None:
        from wtforms.validators import StopValidation

        if field.data is None:
            return
        try:
            field.data = clean(field.data, self.rule)
        except TextRuleError as error:
            raise StopValidation(field_message(error.problem)) from None
