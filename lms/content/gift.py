"""Moodle GIFT quizzes: read as Moodle's importer reads them, written so that they read back the same.

Parsing follows Moodle's ``question/format/gift/format.php`` (``readquestion`` and its helpers) and
the base importer in ``question/format.php`` (``readquestions``, default question names, the check of
answer weights against Moodle's grade options), quirks included, so that a file means here what it
means in Moodle. A question Moodle's importer rejects, or would crash on, is reported on its first
line; every bad question of the file is reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .errors import ContentError, ContentErrors
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

FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_NAME = "Question name"  # Moodle's name for a question whose text gives none
BLANK = "_____"  # where the answers of a missing-word question stood in its text
NAME_LENGTH = 80  # create_default_question_name() shortens the text to this many characters

_PHP_TRIM = " \t\n\r\0\x0b"  # what PHP's trim() removes
_C_SPACE = frozenset(" \t\n\v\f\r")  # C's isspace(), as PHP's strip_tags() tests it
# escapedchar_pre(): escaped characters hide behind placeholders while the question is taken apart.
_PLACEHOLDERS = {":": "&&058;", "#": "&&035;", "=": "&&061;", "{": "&&123;", "}": "&&125;",
                 "~": "&&126;", "n": "&&010"}
_WEIGHT = re.compile(r"%-*[0-9]{1,2}\.?[0-9]*%")
_NUMBER = re.compile(r"[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*")
_ENTITY = re.compile(r"&[0-9a-z]{2,8};|&#[0-9]{1,7};|&#x[0-9a-f]{1,6};", re.IGNORECASE)
_TAG_OR_TEXT = re.compile(r"(<.+?>)?([^<>]*)", re.DOTALL)
# question_bank::fraction_options_full(): the only weights Moodle's importer accepts.
_POSITIVE_GRADES = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25,
                    0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05)
GRADES = (0.0, *_POSITIVE_GRADES, *(-grade for grade in _POSITIVE_GRADES))


class _Invalid(Exception):
    """A question Moodle's importer would not import; the message says why."""


def parse_gift(text: str, path: str) -> list[Question]:
    """The questions of a GIFT file, in file order, each with its category and first line.

    Raises ContentErrors listing every question Moodle would reject, each at its first line.
    """
    questions: list[Question] = []
    errors: list[ContentError] = []
    category = None
    for first, lines in _blocks(text):
        # Comment lines before a question belong to its block; the question starts after them.
        line = first + next((i for i, text_line in enumerate(lines) if not text_line.startswith("//")), 0)
        try:
            read = _read_question(lines)
        except _Invalid as exc:
            errors.append(ContentError(path, line, str(exc)))
            continue
        if isinstance(read, str):
            category = read or None
        elif read is not None:
            questions.append(replace(_as_ordering(read, lines), category=category, line=line))
    if errors:
        raise ContentErrors(errors)
    return questions


def write_gift(questions: Iterable[Question]) -> str:
    """GIFT text that parse_gift() reads back as the same questions, line numbers aside.

    Every question gets a ``::name::`` title, and a ``$CATEGORY:`` line goes before the first question
    of each new category. GIFT has no ordering questions: one is written as a matching question of
    positions to items ("1 -> first item"), tagged ``// [tag:ordering]``, which Moodle imports as
    that matching question with the tag and parse_gift() reads back as the ordering question. An
    unknown type raises ValueError naming the question. GIFT cannot give a description general
    feedback: it is left out.
    """
    parts = []
    category = None
    for question in questions:
        write = _WRITERS.get(question.type)
        if write is None:
            raise ValueError(f"question '{question.name}': GIFT cannot express {question.type} questions")
        if (question.category or None) != category:
            category = question.category or None
            parts.append(_category_line(category))
        tag = f"// {ORDERING_TAG}\n" if question.type == ORDERING else ""
        parts.append(tag + _head(question) + write(question))
    return "\n".join(parts)


# Reading ----------------------------------------------------------------------------------------

ORDERING_TAG = "[tag:ordering]"


def _as_ordering(question: Question, lines: list[str]) -> Question:
    """A matching question of positions 1..n that write_gift() tagged as ordering, as ordering."""
    tagged = any(line.startswith("//") and ORDERING_TAG in line for line in lines)
    positions = [pair.question for pair in question.pairs]
    if not tagged or question.type != MATCHING or positions != [str(n) for n in range(1, len(positions) + 1)]:
        return question
    return replace(question, type=ORDERING, pairs=(),
                   answers=tuple(Answer(pair.answer, 1.0) for pair in question.pairs))



def _trim(text: str) -> str:
    return text.strip(_PHP_TRIM)


def _blank(text: str) -> bool:
    """PHP's empty() on a string, which takes "0" for empty too."""
    return text in ("", "0")


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """readdata() and readquestions(): each run of non-blank lines, trimmed, with its first line number."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\r") if "\r" in text and "\n" not in text else text.split("\n")  # old Mac files
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        line = _trim(line)
        if _blank(line):
            if block:
                yield first, block
            block = []
        else:
            if not block:
                first = number
            block.append(line)
    if block:
        yield first, block


def _hide(text: str) -> str:
    """escapedchar_pre(): backslash escapes become placeholders, and \\\\ a backslash."""
    text = text.replace("\\\\", "&&092;")
    for char, placeholder in _PLACEHOLDERS.items():
        text = text.replace("\\" + char, placeholder)
    return text.replace("&&092;", "\\")


def _unhide(text: str) -> str:
    """escapedchar_post(): placeholders back to the characters they stand for."""
    for char, placeholder in _PLACEHOLDERS.items():
        text = text.replace(placeholder, "\n" if char == "n" else char)
    return text


def _split_format(text: str) -> tuple[str | None, str]:
    """parse_text_with_format(): a leading [format] marker, and the text unescaped and trimmed."""
    text_format = None
    if text.startswith("["):
        end = text.find("]")
        # Without a ']', PHP's arithmetic on false reads the name as text[1:-1] and the rest as text[1:].
        name, rest = (text[1:end], text[end + 1:]) if end >= 0 else (text[1:-1], text[1:])
        if name in FORMATS:
            text_format, text = name, rest
    return text_format, _trim(_unhide(text))


def _comment(chunk: str) -> tuple[str, str]:
    """commentparser(): an answer and the feedback after its first '#'."""
    answer, _, feedback = chunk.partition("#")
    return _split_format(_trim(answer))[1], _split_format(_trim(feedback))[1]


def _weight(chunk: str, default: float) -> tuple[float, str]:
    """answerweightparser(): the fraction of a leading %weight% (or the default), and the rest."""
    if not _WEIGHT.match(chunk):
        return default, chunk
    end = chunk.index("%", 1)
    if chunk.startswith("%--"):
        # PHP 8 cannot divide "--50" by 100: Moodle's import stops with a TypeError.
        raise _Invalid(f"weight '{chunk[:end + 1]}' is not a number")
    return float(chunk[1:end]) / 100, chunk[end + 1:]


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


def _graded(fractions: list[float]) -> list[float]:
    """match_grade_options(..., 'error'): each weight as the grade option within 0.00001 of it."""
    grades = [next((grade for grade in GRADES if abs(fraction - grade) < 0.00001), None)
              for fraction in fractions]
    bad = [f"{_percent(fraction)}%" for fraction, grade in zip(fractions, grades, strict=True)
           if grade is None]
    if bad:
        options = ", ".join(f"{_percent(grade)}%" for grade in _POSITIVE_GRADES)
        raise _Invalid(f"weight {', '.join(bad)} is not one of Moodle's grades: {options}, "
                       "their negatives, or 0%")
    return [grade for grade in grades if grade is not None]


def _substr(text: str, start: int, length: int) -> str:
    """PHP's substr() for a start >= 0; a negative length counts back from the end."""
    end = start + length if length >= 0 else len(text) + length
    return text[start:max(end, start)]


def _substr_replace(text: str, replacement: str, start: int, length: int) -> str:
    """PHP's substr_replace() for a start >= 0; a negative length counts back from the end."""
    if length < 0:
        length = max(len(text) - start + length, 0)
    return text[:start] + replacement + text[start + length:]


def _split(answers: str, separator: str) -> list[str]:
    """explode() as readquestion() uses it: a first chunk that is empty() is dropped, the rest trimmed."""
    chunks = answers.split(separator)
    if _blank(_trim(chunks[0])):
        chunks.pop(0)
    return [_trim(chunk) for chunk in chunks]


def _read_question(lines: list[str]) -> Question | str | None:
    """readquestion(): a question, a category name, or None for a block of comments only."""
    text = _trim("\n".join(" " if line.startswith("//") else line for line in lines))
    if not text:
        return None
    text = _hide(text)
    if text.startswith("$CATEGORY:"):
        return _trim(text[len("$CATEGORY:"):])

    name = None
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            name = _clean_name(_unhide(text[:end]))
            text = _trim(text[end + 2:])

    start, finish = text.find("{"), text.find("}")
    answers = None
    if start < 0 and finish < 0:
        question_text = text
    elif finish < 0:
        raise _Invalid("'{' without a '}' to close the answers (write \\{ for a literal brace)")
    elif start < 0:
        raise _Invalid("'}' without a '{' to open the answers (write \\} for a literal brace)")
    else:
        length = finish - start
        answers = _trim(_substr(text, start + 1, length - 1))
        # Answers at the very end are cut out of the text; anywhere else they leave a blank.
        question_text = _substr_replace(text, "" if text.endswith("}") else BLANK, start, length + 1)

    general_feedback = ""
    if answers is not None and (separator := answers.rfind("####")) >= 0:
        general_feedback, answers = answers[separator + 4:], _trim(answers[:separator])
    text_format, question_text = _split_format(question_text)
    general_feedback = _split_format(general_feedback)[1]
    if name is None:
        name = _clean_name(_shorten_text(question_text, NAME_LENGTH))
        if _blank(name):
            name = DEFAULT_NAME
    question = Question(DESCRIPTION, name, question_text, text_format, general_feedback=general_feedback)

    if answers is None:
        return question
    if not answers:
        return replace(question, type=ESSAY)
    if answers.startswith("#"):
        return _numerical(question, answers[1:])
    if "~" in answers:
        return _choice(question, answers)
    if "=" in answers and "->" in answers:
        return _matching(question, answers)
    hash_at = answers.find("#")
    value = _trim(answers[:hash_at]) if hash_at > 0 else answers
    if value in ("T", "TRUE", "F", "FALSE"):
        return _truefalse(question, answers)
    return _shortanswer(question, answers)


def _choice(question: Question, answers: str) -> Question:
    # Moodle lets several answers be chosen when the answers hold no '=' at all.
    kind = MULTICHOICE if "=" in answers else MULTIRESPONSE
    chunks = _split(answers.replace("=", "~="), "~")
    if len(chunks) < 2:
        raise _Invalid("a multiple-choice question needs at least 2 answers")
    weighted = [(1.0, chunk[1:]) if chunk.startswith("=") else _weight(chunk, 0.0) for chunk in chunks]
    return replace(question, type=kind, answers=_answer_list(weighted))


def _answer_list(weighted: list[tuple[float, str]]) -> tuple[Answer, ...]:
    """Answers from (weight, answer#feedback) pairs, each weight matched to Moodle's grades."""
    answers = []
    for grade, (_, chunk) in zip(_graded([weight for weight, _ in weighted]), weighted, strict=True):
        text, feedback = _comment(chunk)
        answers.append(Answer(text, grade, feedback))
    return tuple(answers)


def _matching(question: Question, answers: str) -> Question:
    chunks = _split(answers, "=")
    if len(chunks) < 2:
        raise _Invalid("a matching question needs at least 2 pairs")
    pairs = []
    for chunk in chunks:
        marker = chunk.find("->")
        if marker < 0:
            raise _Invalid(f"matching answer '{_unhide(chunk)}' has no '->'")
        pairs.append(Pair(_split_format(chunk[:marker])[1], _trim(_unhide(chunk[marker + 2:]))))
    return replace(question, type=MATCHING, pairs=tuple(pairs))


def _truefalse(question: Question, answers: str) -> Question:
    """split_truefalse_comment(): the first feedback is for a wrong answer, the second for a right one."""
    value, wrong, right = (_split_format(_trim(bit))[1] for bit in (answers.split("#", 2) + ["", ""])[:3])
    if value in ("T", "TRUE"):
        pair = (Answer("True", 1.0, right), Answer("False", 0.0, wrong))
    else:
        pair = (Answer("True", 0.0, wrong), Answer("False", 1.0, right))
    return replace(question, type=TRUEFALSE, answers=pair)


def _shortanswer(question: Question, answers: str) -> Question:
    chunks = _split(answers, "=")
    if not chunks:
        raise _Invalid("a short-answer question needs at least 1 answer")
    weighted = [_weight(chunk, 1.0) for chunk in chunks]
    return replace(question, type=SHORTANSWER, answers=_answer_list(weighted))


def _numerical(question: Question, answers: str) -> Question:
    # From a '~' on, the answers end: what follows its '#' is the feedback for any other answer.
    tilde = answers.find("~")
    other = answers[tilde:] if tilde >= 0 else None
    chunks = _split(answers if tilde < 0 else answers[:tilde], "=")
    if not chunks:
        raise _Invalid("a numerical question needs at least 1 answer")
    entries = []
    for chunk in chunks:
        fraction, chunk = _weight(chunk, 1.0)
        text, feedback = _comment(chunk)
        entries.append(NumericAnswer(*_numeric_value(text), fraction, feedback))
    if other is not None:
        entries.append(NumericAnswer(ANY_OTHER, 0.0, 0.0, _comment(other)[1]))
    graded = _graded([entry.fraction for entry in entries])
    numeric = tuple(replace(entry, fraction=grade) for entry, grade in zip(entries, graded, strict=True))
    return replace(question, type=NUMERICAL, numeric=numeric)


def _numeric_value(text: str) -> tuple[float | str, float]:
    """A value and tolerance from 'min..max', 'value:tolerance' or 'value'; the value may be '*'."""
    dots, colon = text.find(".."), text.find(":")
    if dots > 0:
        low, high = _number(_trim(text[:dots]), text), _number(_trim(text[dots + 2:]), text)
        value = (high + low) / 2
        tolerance = high - value
        if not (math.isfinite(value) and math.isfinite(tolerance)):
            raise _Invalid(f"numerical answer '{text}' is too large")
        return value, tolerance
    value_text, tolerance_text = (_trim(text[:colon]), _trim(text[colon + 1:])) if colon > 0 else (text, "0")
    tolerance = _number(tolerance_text, text)
    return (ANY_OTHER if value_text == ANY_OTHER else _number(value_text, text)), tolerance


def _number(text: str, answer: str) -> float:
    """PHP's is_numeric(): a decimal number, maybe signed, maybe with an exponent."""
    # Moodle's check means to let through only numbers and '*', but an '=' written for '==' turns any
    # other value into '*': rejecting it, as meant, keeps a typo from accepting every response.
    if _NUMBER.fullmatch(text) and math.isfinite(value := float(text)):
        return value
    raise _Invalid(f"numerical answer '{answer}' is not a number: write value, value:tolerance "
                   "or min..max (or * for any other answer)")


def _clean_name(name: str) -> str:
    """clean_question_name(): tags stripped, trimmed, shortened to at most 255 characters."""
    name = _trim(_strip_tags(name))
    ideal = 251
    while len(name) > 255 and ideal > 0:
        name = _shorten_text(name, ideal)
        ideal -= 10
    return name


def _strip_tags(text: str) -> str:
    """PHP's strip_tags(): tags and <!-- comments --> go; a '<' followed by a space stays."""
    kept = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<" and text[index + 1:index + 2] not in _C_SPACE:
            index = _tag_end(text, index)
            continue
        if char != "\0":
            kept.append(char)
        index += 1
    return "".join(kept)


def _tag_end(text: str, start: int) -> int:
    """Where the tag opening at start ends: after its '>', skipping quoted and nested ones."""
    if text.startswith("<!--", start):
        end = text.find("-->", start + 2)
        return len(text) if end < 0 else end + 3
    quote, depth = "", 0
    for index in range(start + 1, len(text)):
        char = text[index]
        if char == "<":
            if not quote and text[index + 1:index + 2] not in _C_SPACE:
                depth += 1
        elif char == ">":
            if depth:
                depth -= 1
            elif not quote:
                return index + 1
        elif char in "\"'" and (not quote or char == quote):
            quote = "" if quote else char
    return len(text)


def _shorten_text(text: str, ideal: int) -> str:
    """Moodle's shorten_text(): about `ideal` visible characters, cut after a space or a full stop.

    Tags are kept and not counted, an entity counts as one character, '...' ends the text. Moodle
    then closes the tags left open; that is left out, as the result only ever becomes a name, which
    carries no tags.
    """
    if len(re.sub(r"<.*?>", "", text)) <= ideal:
        return text
    result, total = "", len("...")
    for match in _TAG_OR_TEXT.finditer(text):
        plain = match.group(2)
        result += match.group(1) or ""
        length = len(_ENTITY.sub(" ", plain))
        if total + length > ideal:
            left, entities = ideal - total, 0
            for entity in _ENTITY.finditer(plain):
                # Moodle compares the entity's byte offset with a count of characters.
                if len(plain[:entity.start()].encode("utf-8", "surrogatepass")) + 1 - entities <= left:
                    left -= 1
                    entities += len(entity.group())
                else:
                    break
            limit = cut = left + entities
            while cut > 0:
                char = plain[cut:cut + 1]
                if char in (".", " ") or (char and ord(char) >= 0x800):  # CJK text may break anywhere
                    cut += 1
                    break
                cut -= 1
            result += plain[:cut if 0 < cut <= limit else limit]
            break
        result += plain
        total += length
        if total >= ideal:
            break
    return result + "..."


# Writing ----------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return "".join("\\" + char if char in "\\~=#{}:" else "\\n" if char == "\n" else char for char in text)


def _field(text: str, after: str = "") -> str:
    """Escaped text for a part Moodle reads with parse_text_with_format(): a leading [marker] stays text."""
    written = _escape(text)
    if _split_format(_hide(written + after))[0]:
        # Moodle looks for the marker before it trims: an escaped newline first hides it, then is trimmed.
        written = "\\n" + written
    return written


def _feedback(feedback: str) -> str:
    return "#" + _field(feedback) if feedback else ""


def _category_line(category: str | None) -> str:
    if category is None:
        return "$CATEGORY:\n"
    # A category Moodle read over several lines has a lone space where a comment line was.
    lines = category.replace("\\", "\\\\").split("\n")
    return "$CATEGORY: " + "\n".join("//" if line == " " else line for line in lines) + "\n"


def _head(question: Question) -> str:
    # strip_tags() would take a '<' at the end of the name for a tag; a space keeps it.
    title = f"::{_escape(question.name)}{' ' if question.name.endswith('<') else ''}::"
    if question.format:
        return f"{title}[{question.format}]{_escape(question.text)}"
    return title + _field(question.text)


def _block(opening: str, lines: list[str], question: Question) -> str:
    if question.general_feedback:
        lines = [*lines, "####" + _field(question.general_feedback)]
    return opening + "\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def _inline_general_feedback(question: Question) -> str:
    return "####" + _field(question.general_feedback) if question.general_feedback else ""


def _write_description(question: Question) -> str:
    return "\n"


def _write_essay(question: Question) -> str:
    return "{" + _inline_general_feedback(question) + "}\n"


def _write_truefalse(question: Question) -> str:
    if len(question.answers) != 2:
        raise ValueError(f"question '{question.name}': a true/false question needs a True and a False answer")
    true, false = question.answers
    right, wrong = (true, false) if true.fraction > false.fraction else (false, true)
    wrong_feedback, right_feedback = _field(wrong.feedback), _field(right.feedback)
    text = "TRUE" if right is true else "FALSE"
    if wrong_feedback or right_feedback:
        text += "#" + wrong_feedback
    if right_feedback:
        text += "#" + right_feedback
    return "{" + text + _inline_general_feedback(question) + "}\n"


def _write_choice(question: Question) -> str:
    single = question.type == MULTICHOICE
    # An '=' makes Moodle read single choice, and with no '~' it would read short answers: when every
    # answer is worth 100%, only the first one gets an '='.
    mixed = any(answer.fraction != 1 for answer in question.answers)
    lines = []
    for index, answer in enumerate(question.answers):
        text = _field(answer.text)
        if single and answer.fraction == 1 and (mixed or index == 0):
            mark = "="
        elif answer.fraction == 0 and not text.startswith("%"):  # else the text could pass for a weight
            mark = "~"
        else:
            mark = f"~%{_percent(answer.fraction)}%"
        lines.append(mark + text + _feedback(answer.feedback))
    return _block("{", lines, question)


def _write_shortanswer(question: Question) -> str:
    answers = question.answers
    if len(answers) == 1 and ("->" in answers[0].text or "->" in answers[0].feedback):
        # With an '=' Moodle would take '->' for a matching question; one answer needs no '='.
        answer = answers[0]
        text = f"%{_percent(answer.fraction)}%{_field(answer.text)}{_feedback(answer.feedback)}"
        return "{" + text + _inline_general_feedback(question) + "}\n"
    lines = []
    for answer in answers:
        text = _field(answer.text)
        weight = f"%{_percent(answer.fraction)}%" if answer.fraction != 1 or text.startswith("%") else ""
        lines.append(f"={weight}{text}{_feedback(answer.feedback)}")
    return _block("{", lines, question)


def _write_ordering(question: Question) -> str:
    pairs = tuple(Pair(str(position), answer.text) for position, answer in enumerate(question.answers, 1))
    return _write_matching(replace(question, pairs=pairs))


def _write_matching(question: Question) -> str:
    lines = [f"={_field(pair.question, ' ')} -> {_escape(pair.answer)}" for pair in question.pairs]
    return _block("{", lines, question)


def _write_numerical(question: Question) -> str:
    lines = []
    for entry in question.numeric:
        weight = "" if entry.fraction == 1 else f"%{_percent(entry.fraction)}%"
        value = ANY_OTHER if entry.value == ANY_OTHER else _number_text(float(entry.value))
        tolerance = f":{_number_text(float(entry.tolerance))}" if entry.tolerance else ""
        lines.append(f"={weight}{value}{tolerance}{_feedback(entry.feedback)}")
    return _block("{#", lines, question)


def _number_text(number: float) -> str:
    text = repr(number)  # the shortest text that reads back as the same float
    return text.removesuffix(".0")


_WRITERS = {
    DESCRIPTION: _write_description,
    ESSAY: _write_essay,
    TRUEFALSE: _write_truefalse,
    MULTICHOICE: _write_choice,
    MULTIRESPONSE: _write_choice,
    SHORTANSWER: _write_shortanswer,
    MATCHING: _write_matching,
    NUMERICAL: _write_numerical,
    ORDERING: _write_ordering,
}
