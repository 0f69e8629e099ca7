"""Quizzes and case studies on disk: ``<slug>.md`` in Markdown, or ``<slug>.gift`` with an optional
``<slug>.yml`` of settings, parsed into :class:`QuizSpec` objects.

A Markdown quiz is read line by line (see ``docs/assessment-formats.md``). Texts, feedback and the
introduction stay Markdown source; the caller renders them. Rules the format leaves open:

- The first answer line of a question (``- [x]``/``- [ ]``, ``- left -> right``, ``1. item``,
  ``= …``, ``答案：…`` or ``[问答]``) ends its text; a numbered list under a heading therefore makes
  an ordering question (write bullets for a list in a question's text). After the answers come
  only blank lines, feedback indented under an answer, and the explanation ``> …``.
- A weight is a number with ``%`` in parentheses at the start of an answer, from -100 to 100.
- Single choice: the ``[x]`` answer is worth 100% (another weight is an error), a ``[ ]`` answer
  0% unless weighted (partial credit or a penalty); ``negative_marks`` does not apply.
- Multiple response: ``[x]`` answers without a weight share equally what the weighted ones leave
  of 100% (so ``1/k`` each for ``k`` unweighted ``[x]``); weighted ``[x]`` answers must be positive
  and, when all are weighted, add up to 100%. A ``[ ]`` answer is worth 0%, or with
  ``negative_marks: true`` ``-1/n`` for ``n`` ``[ ]`` answers (Moodle's rule: choosing everything
  earns 0); a weighted ``[ ]`` answer must not be positive. Grading clamps the total at 0.
- Short answer and numeric: the question is numeric when an ``=`` line is a number form
  (``30``, ``30 ± 2``, ``30 +- 2``, ``28..32``); then every ``=`` line must be one, or ``*``.
  An ``= *`` line (any other answer) is worth 0% unless weighted and must come last in a numeric
  question; at least one answer must be worth 100%.
- True/false: feedback indented under the ``答案：`` line is shown to a trainee who answers
  wrongly, so it goes to the wrong answer (as GIFT's ``{T#wrong#right}``); the explanation
  ``> …`` is the general feedback.
- Ordering items are numbered 1, 2, 3… (or all alike, ``1. 1. 1.``) in the right order.
- ``draw`` counts the questions that are scored: every type but descriptions. ``draw`` may instead
  be a mapping of category to count (``draw: {流程: 4, 技巧: 4}``): each attempt draws that many
  scored questions of each category and none of the others; ``draw_category`` does not combine
  with it. ``QuizSettings.draw`` is then the total and ``draw_quotas`` the mapping.
- Settings: ``wait: 0s`` means no wait; ``time_limit`` must be longer than 0s. In a GIFT quiz's
  ``.yml`` the title may be left out and defaults to the slug, as without a ``.yml``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from .durations import EXAMPLES, parse_duration
from .errors import ContentError, ContentErrors
from .frontmatter import YamlDocument, parse_yaml, split_front_matter
from .questions import (
    ANY_OTHER,
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTICHOICE,
    MULTIRESPONSE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    TRUEFALSE,
    Answer,
    NumericAnswer,
    Pair,
    Question,
)
from .validation import SLUG, Collector, read_text, text_field, unknown_keys

SCENARIO_SUFFIX = ".scenario.md"
QUIZ_SUFFIXES = (".md", ".gift")
SETTINGS_KEYS = {"title", "kind", "pass_mark", "attempts", "wait", "time_limit", "shuffle",
                 "shuffle_answers", "draw", "draw_category", "reveal", "negative_marks"}
KINDS = ("quiz", "case")
REVEALS = ("after_attempt", "once_passed", "never")
TRUE_FALSE = {"正确": True, "对": True, "true": True, "t": True,
              "错误": False, "错": False, "false": False, "f": False}


@dataclass(frozen=True)
class QuizSettings:
    title: str
    kind: str = "quiz"  # or "case": the introduction is the case narrative
    pass_mark: int = 80  # percent
    attempts: int = 0  # 0: unlimited
    wait: timedelta | None = None
    time_limit: timedelta | None = None
    shuffle: bool = False  # the order of the questions, per attempt
    draw: int | None = None  # questions drawn per attempt (the sum of the quotas when there are quotas)
    draw_category: str | None = None
    draw_quotas: dict[str, int] | None = None  # category -> questions drawn from it
    reveal: str = "after_attempt"
    negative_marks: bool = False
    shuffle_answers: bool = True  # the order of each question's answers, per attempt


@dataclass(frozen=True)
class QuizSpec:
    slug: str
    path: str
    source: str  # the file's text; for GIFT, the .gift text followed by the .yml text
    settings: QuizSettings
    intro: str  # Markdown; for a case study, the case
    questions: tuple[Question, ...]
    #: for GIFT, the text of the settings file (the end of ``source``), to write the files back
    settings_source: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


# --- settings --------------------------------------------------------------------------------

def parse_settings(doc: YamlDocument, path: str, errors: Collector,
                   default_title: str | None = None) -> QuizSettings:
    """Settings from front matter or a ``.yml`` file; ``title`` is required without a default."""
    unknown_keys(doc, SETTINGS_KEYS, path, errors)

    def add(key: str, message: str) -> None:
        errors.add(path, doc.line_of(key), f"'{key}' {message}")

    def whole(key: str, low: int, high: int | None, default: int | None) -> int | None:
        value = doc.data.get(key)
        if value is None:
            return default
        if (not isinstance(value, int) or isinstance(value, bool) or value < low
                or (high is not None and value > high)):
            add(key, f"must be a whole number from {low} to {high}" if high is not None
                else f"must be a whole number of at least {low}")
            return default
        return value

    def flag(key: str, default: bool = False) -> bool:
        value = doc.data.get(key, default)
        if not isinstance(value, bool):
            add(key, "must be true or false")
            return default
        return value

    def one_of(key: str, allowed: tuple[str, ...]) -> str:
        value = doc.data.get(key, allowed[0])
        if value not in allowed:
            add(key, f"must be one of {', '.join(allowed)}")
            return allowed[0]
        return value

    def duration(key: str) -> timedelta | None:
        value = doc.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            add(key, f"must be a duration such as {EXAMPLES}")
            return None
        try:
            parsed = parse_duration(value)
        except ValueError as exc:
            errors.add(path, doc.line_of(key), f"'{key}': {exc}")
            return None
        if not parsed and key == "time_limit":
            add(key, "must be longer than 0s")
        return parsed or None

    def quotas() -> dict[str, int] | None:
        value = doc.data.get("draw")
        if not isinstance(value, dict):
            return None
        found: dict[str, int] = {}
        for category, count in value.items():
            line = doc.key_lines.get(f"draw.{category}", doc.line_of("draw"))
            name = str(category).strip() if isinstance(category, str | int) else ""
            if not name or isinstance(category, bool):
                errors.add(path, line, f"'draw' category '{category}' must be a category's name")
            elif not isinstance(count, int) or isinstance(count, bool) or count < 1:
                errors.add(path, line, f"'draw' count for category '{name}' must be a whole number "
                           "of at least 1")
            else:
                found[name] = count
        if not value:
            add("draw", "must be a number, or a mapping of category to count such as {流程: 4, 技巧: 4}")
        if doc.data.get("draw_category") is not None:
            add("draw_category", "cannot be used with per-category counts in 'draw': list the "
                "category in 'draw' instead")
        return found or None

    draw_quotas = quotas()
    draw = (sum(draw_quotas.values()) if draw_quotas
            else None if isinstance(doc.data.get("draw"), dict) else whole("draw", 1, None, None))
    title = text_field(doc, "title", path, errors, required=default_title is None) or default_title or ""
    return QuizSettings(
        title=title,
        kind=one_of("kind", KINDS),
        pass_mark=whole("pass_mark", 0, 100, 80) or 0,
        attempts=whole("attempts", 0, None, 0) or 0,
        wait=duration("wait"),
        time_limit=duration("time_limit"),
        shuffle=flag("shuffle"),
        draw=draw,
        draw_category=None if draw_quotas else
        text_field(doc, "draw_category", path, errors, required=False) or None,
        draw_quotas=draw_quotas,
        reveal=one_of("reveal", REVEALS),
        negative_marks=flag("negative_marks"),
        shuffle_answers=flag("shuffle_answers", True),
    )


def _check_questions(settings: QuizSettings, questions: list[Question], doc: YamlDocument,
                     settings_path: str, path: str, line: int, errors: Collector) -> None:
    """Problems of the quiz as a whole: no questions, or more to draw than there are."""
    scored = [q for q in questions if q.type != DESCRIPTION]
    if not questions:
        errors.add(path, line, "the quiz has no questions")
    elif not scored:
        errors.add(path, line, "the quiz has only descriptions: add a question to grade")
    if settings.draw_quotas and questions:
        _check_quotas(settings.draw_quotas, scored, doc, settings_path, errors)
        return
    category = settings.draw_category
    if category is not None and questions:
        if not any(q.category == category for q in questions):
            known = sorted({q.category for q in questions if q.category})
            errors.add(settings_path, doc.line_of("draw_category"),
                       f"no question is in category '{category}' (categories: "
                       f"{', '.join(known) or 'none, add a # heading'})")
            return
        scored = [q for q in scored if q.category == category]
    if settings.draw is not None and questions and settings.draw > len(scored):
        where = f" in category '{category}'" if category else ""
        errors.add(settings_path, doc.line_of("draw"),
                   f"'draw' is {settings.draw} but the quiz has {len(scored)} scored question(s){where}")


def _check_quotas(quotas: dict[str, int], scored: list[Question], doc: YamlDocument,
                  settings_path: str, errors: Collector) -> None:
    """Each quota names a category of the pool and asks for no more than it holds."""
    counts: dict[str, int] = {}
    for question in scored:
        if question.category:
            counts[question.category] = counts.get(question.category, 0) + 1
    known = ", ".join(f"{name} ({count})" for name, count in counts.items()) or "none, add a # heading"
    for category, count in quotas.items():
        line = doc.key_lines.get(f"draw.{category}", doc.line_of("draw"))
        if category not in counts:
            errors.add(settings_path, line, f"'draw' names category '{category}', which has no scored "
                       f"question (categories: {known})")
        elif count > counts[category]:
            errors.add(settings_path, line, f"'draw' asks for {count} question(s) of category "
                       f"'{category}', which has {counts[category]} scored question(s)")


# --- Markdown lines --------------------------------------------------------------------------

BLANK, TEXT, CATEGORY, HEADING, QUOTE, FEEDBACK, BULLET = (
    "blank", "text", "category", "heading", "quote", "feedback", "bullet")
CHOICE, PAIR, ITEM, EQUALS, ANSWER, ESSAY_MARK = (
    "choice", "pair", "item", "equals", "answer", "essay")
ANSWER_KINDS = {  # the answer lines, as named in messages
    CHOICE: "choices '- [x]'", PAIR: "matching pairs '->'", ITEM: "numbered items",
    EQUALS: "'=' answers", ANSWER: "a '答案：' line", ESSAY_MARK: "an '[问答]' line",
}
LINE_PATTERNS = (
    (CATEGORY, re.compile(r"^#(?!#)(?P<text>.*)$")),
    (HEADING, re.compile(r"^##(?!#)(?P<text>.*)$")),
    (CHOICE, re.compile(r"^[-*+]\s+\[(?P<mark>[ xX]?)\]\s*(?P<text>.*)$")),
    (PAIR, re.compile(r"^[-*+]\s+(?P<text>.*->.*)$")),
    (BULLET, re.compile(r"^[-*+](?:\s+(?P<text>.*))?$")),
    (ITEM, re.compile(r"^(?P<mark>\d{1,9})[.)](?:\s+(?P<text>.*))?$")),
    (EQUALS, re.compile(r"^=(?!=)\s*(?P<text>.*)$")),
    (ANSWER, re.compile(r"^(?:答案|answer)\s*[:：]\s*(?P<text>.*)$", re.IGNORECASE)),
    (ESSAY_MARK, re.compile(r"^\[(?:问答|essay)\]$", re.IGNORECASE)),
    (QUOTE, re.compile(r"^>\s?(?P<text>.*)$")),
    (FEEDBACK, re.compile(r"^\s+>\s?(?P<text>.*)$")),
)
FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
CLOSING_HASHES = re.compile(r"(?:^|\s+)#+$")
WEIGHT = re.compile(r"^[(（]\s*(?P<weight>[-+−0-9０-９.．a-zA-Z,，]*)\s*[%％]\s*[)）]\s*(?P<rest>.*)$")
UNSIGNED = r"(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})"
NUMBER = rf"[-+]?{UNSIGNED}"
EXACT = re.compile(rf"^(?P<value>{NUMBER})$")
TOLERANCE = re.compile(rf"^(?P<value>{NUMBER})\s*(?:±|\+-|\+/-)\s*(?P<tolerance>{UNSIGNED})$")
RANGE = re.compile(rf"^(?P<low>{NUMBER})\s*\.\.\s*(?P<high>{NUMBER})$")


_NumberForm = tuple[float | str, float]  # value (or ANY_OTHER) and tolerance


@dataclass(frozen=True)
class _Line:
    number: int  # in the file
    kind: str
    raw: str  # the line without trailing spaces
    text: str = ""
    mark: str = ""


def _classify(body: str, first_line: int) -> list[_Line]:
    """Each body line with its kind; lines inside fenced code are text."""
    lines: list[_Line] = []
    fence = ""
    for offset, raw in enumerate(body.splitlines()):
        raw = raw.rstrip()
        number = first_line + offset
        opener = FENCE.match(raw)
        if fence:
            if opener and opener["fence"].startswith(fence) and raw.strip() == opener["fence"]:
                fence = ""
            lines.append(_Line(number, TEXT, raw))
            continue
        if opener:
            fence = opener["fence"]
            lines.append(_Line(number, TEXT, raw))
            continue
        if not raw:
            lines.append(_Line(number, BLANK, raw))
            continue
        for kind, pattern in LINE_PATTERNS:
            match = pattern.match(raw)
            if match:
                found = match.groupdict()
                lines.append(_Line(number, kind, raw, (found.get("text") or "").strip(),
                                   found.get("mark") or ""))
                break
        else:
            lines.append(_Line(number, TEXT, raw))
    return lines


def _join(lines: list[str]) -> str:
    """Lines as one Markdown text, without blank lines around it."""
    return "\n".join(lines).strip("\n")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("−", "-").strip()


# --- Markdown questions ----------------------------------------------------------------------

@dataclass
class _Block:
    heading: _Line
    category: str | None
    lines: list[_Line] = field(default_factory=list)


@dataclass
class _Entry:
    line: _Line
    feedback_lines: list[str] = field(default_factory=list)

    @property
    def feedback(self) -> str:
        return _join(self.feedback_lines).strip()


class _Choice(NamedTuple):
    entry: _Entry
    weight: float | None  # from a written weight, or None
    text: str
    right: bool  # marked [x]


class _MarkdownParser:
    def __init__(self, path: str, negative_marks: bool, errors: Collector):
        self.path = path
        self.negative_marks = negative_marks
        self.errors = errors
        self.builders: dict[str, Callable[[list[_Entry], dict[str, Any]], Question | None]] = {
            CHOICE: self._choices, PAIR: self._matching, ITEM: self._ordering,
            EQUALS: self._equals, ANSWER: self._true_false, ESSAY_MARK: self._essay,
        }

    def error(self, line: int, message: str) -> None:
        self.errors.add(self.path, line, message)

    def parse(self, body: str, first_line: int) -> tuple[str, list[Question]]:
        """The introduction and the questions of a quiz body starting on ``first_line``."""
        intro: list[_Line] = []
        blocks: list[_Block] = []
        target: list[_Line] | None = intro
        category: str | None = None
        orphan_reported = False
        for line in _classify(body, first_line):
            if line.kind == CATEGORY:
                category = CLOSING_HASHES.sub("", line.text).strip() or None
                if category is None:
                    self.error(line.number, "a category heading '#' needs text: the category's name")
                if blocks:
                    target = None  # until the next question
            elif line.kind == HEADING:
                blocks.append(_Block(line, category))
                target = blocks[-1].lines
            elif target is not None:
                target.append(line)
            elif line.kind != BLANK and not orphan_reported:
                self.error(line.number, "text between a '#' category heading and the next question "
                           "belongs to no question: put it under a '## ' heading")
                orphan_reported = True
        stray = next((line for line in intro if line.kind in (CHOICE, ANSWER, ESSAY_MARK)), None)
        if stray is not None:
            self.error(stray.number, f"'{stray.raw}' comes before the first question: "
                       "start each question with a '## ' heading")
        questions = [self._question(block) for block in blocks]
        return _join([line.raw for line in intro]), [q for q in questions if q is not None]

    def _question(self, block: _Block) -> Question | None:
        heading = block.heading
        name = CLOSING_HASHES.sub("", heading.text).strip()
        if not name:
            self.error(heading.number, "a question heading '##' needs text: the question")
        text_lines: list[str] = []
        entries: list[_Entry] = []
        general: list[str] | None = None
        reported = False
        for line in block.lines:
            if not entries and line.kind not in ANSWER_KINDS:
                text_lines.append(line.raw)
            elif general is not None:
                if line.kind in (QUOTE, BLANK):
                    general.append(line.text)
                elif not reported:
                    self.error(line.number, "content after the explanation '> …': the explanation "
                               "comes last in a question")
                    reported = True
            elif line.kind in ANSWER_KINDS:
                entries.append(_Entry(line))
            elif line.kind == FEEDBACK:
                entries[-1].feedback_lines.append(line.text)
            elif line.kind == QUOTE:
                general = [line.text]
            elif line.kind != BLANK and not reported:
                self.error(line.number, f"'{line.raw.strip()}' below the answers is not an answer: "
                           "a choice starts with '- [x]' or '- [ ]', a matching pair is "
                           "'- left -> right'; the explanation is a block quote '> …'")
                reported = True
        body = _join(text_lines)
        common = {"name": name, "text": f"{name}\n{body}" if body else name,
                  "general_feedback": _join(general or []).strip(), "category": block.category,
                  "line": heading.number}
        if not entries:
            return Question(DESCRIPTION, **common)
        first = entries[0].line.kind
        odd = next((e for e in entries if e.line.kind != first), None)
        if odd is not None:
            self.error(odd.line.number, f"answers of different kinds in one question: "
                       f"{ANSWER_KINDS[first]} and {ANSWER_KINDS[odd.line.kind]}")
            return None
        return self.builders[first](entries, common)

    def _weight(self, entry: _Entry, text: str) -> tuple[float | None, str]:
        """A leading ``(50%)`` as a fraction, and the text after it."""
        match = WEIGHT.match(text)
        if not match:
            return None, text
        number = _normal(match["weight"])
        if not EXACT.match(number) or not -100 <= float(number) <= 100:
            self.error(entry.line.number, f"weight '({match['weight']}%)' must be a number "
                       "from -100 to 100, e.g. (50%)")
            return None, match["rest"]
        return float(number) / 100, match["rest"]

    def _no_feedback(self, entries: list[_Entry], what: str) -> None:
        for entry in entries:
            if entry.feedback_lines:
                self.error(entry.line.number, f"{what} has no feedback of its own: "
                           "write the explanation as a block quote '> …' after the answers")

    def _choices(self, entries: list[_Entry], common: dict[str, Any]) -> Question | None:
        choices = []
        for entry in entries:
            weight, text = self._weight(entry, entry.line.text)
            if not text:
                self.error(entry.line.number, "a choice needs text after its '[x]' or '[ ]'")
            choices.append(_Choice(entry, weight, text, entry.line.mark.lower() == "x"))
        right = sum(choice.right for choice in choices)
        if not right:
            self.error(common["line"], "a choice question needs its right answer marked '[x]'")
            return None
        if right == 1:
            for choice in choices:
                if choice.right and choice.weight not in (None, 1):
                    self.error(choice.entry.line.number, "the right answer '[x]' of a single-choice "
                               "question is worth 100%: remove its weight, or mark more answers '[x]'")
            fractions = [1.0 if c.right else c.weight or 0.0 for c in choices]
        else:
            fractions = self._multiresponse(choices, common["line"])
        # Seven decimals, as Moodle stores fractions: 1/3 is 0.3333333 here and in GIFT alike.
        answers = tuple(Answer(choice.text, round(fraction, 7), choice.entry.feedback)
                        for choice, fraction in zip(choices, fractions, strict=True))
        return Question(MULTICHOICE if right == 1 else MULTIRESPONSE, answers=answers, **common)

    def _multiresponse(self, choices: list[_Choice], line: int) -> list[float]:
        given = sum(c.weight for c in choices if c.right and c.weight is not None)
        unweighted = sum(c.right and c.weight is None for c in choices)
        share = (1 - given) / unweighted if unweighted else 0.0
        if unweighted and share <= 0:
            self.error(line, f"the weights of the '[x]' answers add up to {given * 100:g}%, leaving "
                       "nothing for the '[x]' answers without a weight")
        elif not unweighted and abs(given - 1) > 1e-4:
            self.error(line, f"the weights of the '[x]' answers add up to {given * 100:g}%, not 100%")
        wrong = sum(not c.right for c in choices)
        penalty = -1 / wrong if self.negative_marks and wrong else 0.0
        fractions = []
        for choice in choices:
            if choice.right and choice.weight is not None and choice.weight <= 0:
                self.error(choice.entry.line.number, "an '[x]' answer must have a positive weight")
            elif not choice.right and choice.weight is not None and choice.weight > 0:
                self.error(choice.entry.line.number, "a '[ ]' answer cannot earn marks in a "
                           "multiple-response question: mark it '[x]'")
            default = share if choice.right else penalty
            fractions.append(default if choice.weight is None else choice.weight)
        return fractions

    def _true_false(self, entries: list[_Entry], common: dict[str, Any]) -> Question | None:
        for extra in entries[1:]:
            self.error(extra.line.number, "a true/false question has one '答案：' line")
        entry = entries[0]
        value = TRUE_FALSE.get(_normal(entry.line.text).casefold())
        if value is None:
            self.error(entry.line.number, f"'{entry.line.raw}' is not an answer: write 答案：正确 or "
                       "答案：错误 (also 对/错, true/false, T/F)")
            return None
        wrong_feedback = entry.feedback
        answers = (Answer("True", 1.0 if value else 0.0, "" if value else wrong_feedback),
                   Answer("False", 0.0 if value else 1.0, wrong_feedback if value else ""))
        return Question(TRUEFALSE, answers=answers, **common)

    def _essay(self, entries: list[_Entry], common: dict[str, Any]) -> Question:
        for extra in entries[1:]:
            self.error(extra.line.number, "an essay question has one '[问答]' line")
        self._no_feedback(entries, "an essay question")
        return Question(ESSAY, **common)

    def _matching(self, entries: list[_Entry], common: dict[str, Any]) -> Question | None:
        self._no_feedback(entries, "a matching pair")
        pairs = []
        for entry in entries:
            left, _, right = entry.line.text.partition("->")
            if not left.strip() or not right.strip():
                self.error(entry.line.number, "a matching pair needs text on both sides of '->'")
            pairs.append(Pair(left.strip(), right.strip()))
        if len(pairs) < 2:
            self.error(common["line"], "a matching question needs at least 2 pairs")
            return None
        return Question(MATCHING, pairs=tuple(pairs), **common)

    def _ordering(self, entries: list[_Entry], common: dict[str, Any]) -> Question | None:
        numbers = [int(e.line.mark) for e in entries]
        for index, entry in enumerate(entries):
            if not entry.line.text:
                self.error(entry.line.number, "an ordering item needs text after its number")
            if len(set(numbers)) > 1 and numbers[index] != numbers[0] + index:
                self.error(entry.line.number, f"ordering items are numbered {numbers[0]}, "
                           f"{numbers[0] + 1}, {numbers[0] + 2}… in the right order, "
                           f"not {numbers[index]} here")
        if len(entries) < 2:
            self.error(common["line"], "an ordering question needs at least 2 items")
            return None
        answers = tuple(Answer(e.line.text, 1.0, e.feedback) for e in entries)
        return Question(ORDERING, answers=answers, **common)

    def _equals(self, entries: list[_Entry], common: dict[str, Any]) -> Question | None:
        weighted = [(e, *self._weight(e, e.line.text)) for e in entries]
        forms = [_number_form(text) for _, _, text in weighted]
        if any(form is not None and form[0] != ANY_OTHER for form in forms):
            return self._numeric(weighted, forms, common)
        answers = []
        for entry, weight, text in weighted:
            if not text:
                self.error(entry.line.number, "an '=' line needs the accepted answer after it")
            default = 0.0 if text == ANY_OTHER else 1.0
            answers.append(Answer(text, default if weight is None else weight, entry.feedback))
        self._full_marks(answers, common["line"])
        return Question(SHORTANSWER, answers=tuple(answers), **common)

    def _numeric(self, weighted: list[tuple[_Entry, float | None, str]],
                 forms: list[_NumberForm | None], common: dict[str, Any]) -> Question:
        numeric = []
        for index, ((entry, weight, text), form) in enumerate(zip(weighted, forms, strict=True)):
            if form is None:
                self.error(entry.line.number, f"'= {text}' mixes numbers and words: in a numeric "
                           "question every '=' line is a number, 'a ± b', 'a..b' or '*'")
                continue
            value, tolerance = form
            if tolerance < 0:
                self.error(entry.line.number, f"in the range '{text}' the smaller number comes first")
            if value == ANY_OTHER and index < len(weighted) - 1:
                self.error(entry.line.number, "'= *' matches every other answer, so it comes last")
            default = 0.0 if value == ANY_OTHER else 1.0
            numeric.append(NumericAnswer(value, abs(tolerance), default if weight is None else weight,
                                         entry.feedback))
        self._full_marks(numeric, common["line"])
        return Question(NUMERICAL, numeric=tuple(numeric), **common)

    def _full_marks(self, answers: list[Answer] | list[NumericAnswer], line: int) -> None:
        if answers and not any(answer.fraction >= 1 for answer in answers):
            self.error(line, "no answer is worth 100%: give at least one '=' line no weight or (100%)")


def _number_form(text: str) -> _NumberForm | None:
    """``(value, tolerance)`` of a numeric answer; a reversed range has a negative tolerance."""
    text = _normal(text)
    if text == ANY_OTHER:
        return ANY_OTHER, 0.0
    if match := EXACT.match(text):
        return float(match["value"]), 0.0
    if match := TOLERANCE.match(text):
        return float(match["value"]), float(match["tolerance"])
    if match := RANGE.match(text):
        low, high = float(match["low"]), float(match["high"])
        return (low + high) / 2, (high - low) / 2
    return None


# --- files -----------------------------------------------------------------------------------

def parse_markdown_quiz(text: str, path: str, slug: str) -> QuizSpec:
    """Parse a Markdown quiz; raises :class:`ContentErrors` listing every problem."""
    errors = Collector()
    try:
        parsed = split_front_matter(text, path)
    except ContentError as exc:
        raise ContentErrors([exc]) from None
    settings = parse_settings(parsed.meta, path, errors)
    parser = _MarkdownParser(path, settings.negative_marks, errors)
    before = len(errors.errors)
    intro, questions = parser.parse(parsed.body, parsed.body_line)
    if len(errors.errors) == before:  # else the counts below would mislead
        _check_questions(settings, questions, parsed.meta, path, path, parsed.body_line, errors)
    if settings.kind == "case" and not intro.strip():
        errors.add(path, parsed.body_line, "a case study (kind: case) needs its case as text "
                   "before the first question")
    if errors.errors:
        raise ContentErrors(errors.errors)
    return QuizSpec(slug=slug, path=path, source=text, settings=settings, intro=intro,
                    questions=tuple(questions))


def _load_gift(path: Path, slug: str, errors: Collector) -> QuizSpec | None:
    from .gift import parse_gift  # only GIFT quizzes need the GIFT parser

    shown = str(path)
    text = read_text(path, errors)
    sidecar = path.with_name(slug + ".yml")
    settings_text = read_text(sidecar, errors) if sidecar.is_file() else ""
    doc = YamlDocument({}, {}, 1)
    if settings_text:
        try:
            doc = parse_yaml(settings_text, str(sidecar))
        except ContentError as exc:
            errors.errors.append(exc)
    settings = parse_settings(doc, str(sidecar), errors, default_title=slug)
    if text is None or settings_text is None:
        return None
    try:
        questions = parse_gift(text.removeprefix("\ufeff"), shown)
    except (ContentError, ContentErrors) as exc:
        errors.errors.extend(exc.errors if isinstance(exc, ContentErrors) else [exc])
        return None
    _check_questions(settings, questions, doc, str(sidecar), shown, 1, errors)
    return QuizSpec(slug=slug, path=shown, source=text + settings_text, settings=settings, intro="",
                    questions=tuple(questions), settings_source=settings_text)


def load_quiz(path: Path) -> QuizSpec:
    """Parse a ``<slug>.md`` or ``<slug>.gift`` quiz; raises :class:`ContentErrors`."""
    path = Path(path)
    slug = _slug_of(path)
    errors = Collector()
    if slug is None:
        raise ContentErrors([ContentError(str(path), 1, "not a quiz file: a quiz is <slug>.md or "
                                          "<slug>.gift (a call simulation is <slug>.scenario.md)")])
    if path.name.endswith(".gift"):
        quiz = _load_gift(path, slug, errors)
    else:
        text = read_text(path, errors)
        quiz = None if text is None else parse_markdown_quiz(text.removeprefix("\ufeff"), str(path), slug)
    if errors.errors or quiz is None:
        raise ContentErrors(errors.errors)
    return quiz


def _slug_of(path: Path) -> str | None:
    """The slug a quiz file names, or None for a file that is not a quiz."""
    if path.name.endswith(SCENARIO_SUFFIX):
        return None
    for suffix in QUIZ_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return None


def quiz_files(folder: Path) -> list[Path]:
    """The quiz files of a course's quiz folder (``.md`` but not ``.scenario.md``, and ``.gift``)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and _slug_of(path) is not None)


def load_quizzes(folder: Path) -> list[QuizSpec]:
    """Every quiz in a course's quiz folder; raises :class:`ContentErrors` with all problems."""
    errors: list[ContentError] = []
    quizzes: list[QuizSpec] = []
    seen: dict[str, Path] = {}
    for path in quiz_files(folder):
        slug = _slug_of(path) or ""
        if not SLUG.match(slug):
            errors.append(ContentError(str(path), 1, f"quiz file name '{path.name}' must be a slug "
                                       "and .md or .gift: lowercase letters, digits and '-'"))
            continue
        if slug in seen:
            errors.append(ContentError(str(path), 1, f"quiz '{slug}' is defined twice: "
                                       f"{seen[slug].name} and {path.name}"))
            continue
        seen[slug] = path
        try:
            quizzes.append(load_quiz(path))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    for path in sorted(Path(folder).glob("*" + SCENARIO_SUFFIX)):
        slug = path.name[: -len(SCENARIO_SUFFIX)]
        if slug in seen:
            errors.append(ContentError(str(path), 1, f"activity '{slug}' is both a quiz "
                                       f"({seen[slug].name}) and a call simulation"))
    if errors:
        raise ContentErrors(errors)
    return quizzes
