"""GIFT quizzes: read as Moodle's importer reads them (cases from Moodle's own tests among them),
every question Moodle rejects reported at its line, and written back to the same questions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content import ContentErrors
from lms.content.gift import FORMATS, GRADES, parse_gift, write_gift
from lms.content.questions import (
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

GOOD = "::Good:: 1 + 1 = 2? {T}\n\n"  # three lines before the question under test


def one(text: str) -> dict:
    questions = parse_gift(text, "quiz.gift")
    assert len(questions) == 1
    return questions[0].to_json()


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ContentErrors) as caught:
        parse_gift(text, "quiz.gift")
    return [(error.line, error.message) for error in caught.value.errors]


def without_lines(questions: list[Question]) -> list[Question]:
    return [replace(question, line=0) for question in questions]


# Each question type --------------------------------------------------------------------------------


def test_truefalse_feedback_goes_to_the_answer_that_shows_it():
    # Moodle's test_import_truefalse: the first '#' is for a wrong answer, the second for a right one.
    assert one("// true/false\n::Q1:: 42 is the Absolute Answer to everything.{\n"
               "FALSE#42 is the Ultimate Answer.#You gave the right answer.}") == {
        "name": "Q1", "type": "truefalse", "text": "42 is the Absolute Answer to everything.",
        "answers": [{"text": "True", "fraction": 0.0, "feedback": "42 is the Ultimate Answer."},
                    {"text": "False", "fraction": 1.0, "feedback": "You gave the right answer."}],
    }
    assert one("::Q:: The sky is blue.{T#Look up.#Yes.####It scatters blue light.}") == {
        "name": "Q", "type": "truefalse", "text": "The sky is blue.",
        "answers": [{"text": "True", "fraction": 1.0, "feedback": "Yes."},
                    {"text": "False", "fraction": 0.0, "feedback": "Look up."}],
        "general_feedback": "It scatters blue light.",
    }


@pytest.mark.parametrize("value, true_fraction", [("T", 1.0), ("TRUE", 1.0), ("F", 0.0), ("FALSE", 0.0)])
def test_truefalse_values(value, true_fraction):
    # Moodle's test_import_truefalse_true_answer1/2.
    question = one(f"// name 0-11\n::2-08 TSL::TSL is blablabla.{{{value}}}")
    assert question["type"] == TRUEFALSE and question["name"] == "2-08 TSL"
    assert [answer["fraction"] for answer in question["answers"]] == [true_fraction, 1.0 - true_fraction]


def test_lowercase_true_is_a_short_answer_as_in_moodle():
    assert one("Is it?{true}")["answers"] == [{"text": "true", "fraction": 1.0, "feedback": ""}]
    assert one("Is it?{t}")["type"] == SHORTANSWER


def test_multichoice_with_feedback_and_format_markers():
    # Moodle's test_import_multichoice: markers on answers and feedback are read and dropped.
    assert one("// multiple choice with specified feedback for right and wrong answers\n"
               "::Q2:: What's between orange and green in the spectrum?\n{\n"
               "    =yellow # right; good!\n    ~red # [html]wrong, it's yellow\n"
               "    ~[plain]blue # wrong, it's yellow\n}") == {
        "name": "Q2", "type": "multichoice", "text": "What's between orange and green in the spectrum?",
        "answers": [{"text": "yellow", "fraction": 1.0, "feedback": "right; good!"},
                    {"text": "red", "fraction": 0.0, "feedback": "wrong, it's yellow"},
                    {"text": "blue", "fraction": 0.0, "feedback": "wrong, it's yellow"}],
    }


def test_multiple_answers_without_equals_sign_are_multiresponse():
    # Moodle's test_import_multichoice_multi: no '=' at all sets single = 0.
    question = one("::colours:: What's between orange and green in the spectrum?\n{\n"
                   "    ~%50%yellow # right; good!\n    ~%-100%red # [html]wrong\n"
                   "    ~%50%off-beige # right; good!\n    ~%-100%[plain]blue # wrong\n}")
    assert question["type"] == MULTIRESPONSE
    assert [(a["text"], a["fraction"], a["feedback"]) for a in question["answers"]] == [
        ("yellow", 0.5, "right; good!"), ("red", -1.0, "wrong"),
        ("off-beige", 0.5, "right; good!"), ("blue", -1.0, "wrong")]
    # test_import_multichoice_multi_tricky: one answer worth 100% is still multiple response.
    tricky = one("::colours:: Which?\n{\n    ~%100%yellow # right; good!\n    ~%-50%red # wrong\n"
                 "    ~%-50%blue # wrong\n}")
    assert tricky["type"] == MULTIRESPONSE
    assert [a["fraction"] for a in tricky["answers"]] == [1.0, -0.5, -0.5]


def test_weights_are_matched_to_moodles_grades():
    question = one("Which?{=a ~%33.33333%b ~%33.333%c ~%-16.66667%d ~%12.5%e ~%5%f}")
    assert question["type"] == MULTICHOICE
    assert [a["fraction"] for a in question["answers"]] == [1.0, 0.3333333, 0.3333333, -0.1666667, 0.125,
                                                            0.05]


def test_equals_answer_keeps_a_weight_as_text_in_multichoice():
    # readquestion() gives an '=' answer 100% without looking for a weight after it.
    assert one("Which?{=%50%a ~b}")["answers"][0] == {"text": "%50%a", "fraction": 1.0, "feedback": ""}


def test_shortanswer_with_weights_feedback_and_general_feedback():
    # Moodle's test_import_shortanswer_with_general_feedback.
    assert one("// question: 666  name: Shortanswer\n::Shortanswer::Which is the best animal?{\n"
               "    =Frog#Good!\n    =%50%Cat#What is it with Moodlers and cats?\n"
               "    =%0%*#Completely wrong\n    ####[html]Here is some general feedback!\n}") == {
        "name": "Shortanswer", "type": "shortanswer", "text": "Which is the best animal?",
        "answers": [{"text": "Frog", "fraction": 1.0, "feedback": "Good!"},
                    {"text": "Cat", "fraction": 0.5, "feedback": "What is it with Moodlers and cats?"},
                    {"text": "*", "fraction": 0.0, "feedback": "Completely wrong"}],
        "general_feedback": "Here is some general feedback!",
    }


def test_matching_with_formats_and_an_extra_answer():
    # Moodle's test_import_match.
    assert one("// question: 2  name: Moodle activities\n"
               "::Moodle activities::[html]Match the <b>activity</b> to the description.{\n"
               "    =[html]An activity supporting asynchronous discussions. -> Forum\n"
               "    =[moodle]A teacher asks a question and specifies a choice of multiple responses."
               " -> Choice\n"
               "    =[plain]A bank of record entries which participants can add to. -> Database\n"
               "    =[markdown]A collection of web pages that anyone can add to or edit. -> Wiki\n"
               "    = -> Chat\n}") == {
        "name": "Moodle activities", "type": "matching", "format": "html",
        "text": "Match the <b>activity</b> to the description.",
        "pairs": [
            {"question": "An activity supporting asynchronous discussions.", "answer": "Forum"},
            {"question": "A teacher asks a question and specifies a choice of multiple responses.",
             "answer": "Choice"},
            {"question": "A bank of record entries which participants can add to.", "answer": "Database"},
            {"question": "A collection of web pages that anyone can add to or edit.", "answer": "Wiki"},
            {"question": "", "answer": "Chat"}],
    }


def test_numerical_with_tolerance_and_any_other_answer():
    # Moodle's test_import_numerical: '~' starts the feedback for any other answer.
    assert one("// math range question\n::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}") == {
        "name": "Q5", "type": "numerical", "text": "What is a number from 1 to 5?",
        "numeric": [{"value": 3.0, "tolerance": 2.0, "fraction": 1.0, "feedback": ""},
                    {"value": "*", "tolerance": 0.0, "fraction": 0.0, "feedback": "Completely wrong"}],
    }


def test_numerical_forms():
    assert one("Pi?{#3.14159:0.005}")["numeric"] == [
        {"value": 3.14159, "tolerance": 0.005, "fraction": 1.0, "feedback": ""}]
    # A range is its midpoint and half its width.
    assert one("From 1 to 5?{#1..5}")["numeric"] == [
        {"value": 3.0, "tolerance": 2.0, "fraction": 1.0, "feedback": ""}]
    assert one("Born?{#\n=1822:0 #Right!\n=%50%1822:2 #Close.\n=%0%*#No.\n}")["numeric"] == [
        {"value": 1822.0, "tolerance": 0.0, "fraction": 1.0, "feedback": "Right!"},
        {"value": 1822.0, "tolerance": 2.0, "fraction": 0.5, "feedback": "Close."},
        {"value": ANY_OTHER, "tolerance": 0.0, "fraction": 0.0, "feedback": "No."}]
    assert one("Which?{# =%100%3:0 =%50%3:1 }")["numeric"] == [
        {"value": 3.0, "tolerance": 0.0, "fraction": 1.0, "feedback": ""},
        {"value": 3.0, "tolerance": 1.0, "fraction": 0.5, "feedback": ""}]
    assert one("Small?{#-1.5e-3}")["numeric"][0]["value"] == -0.0015


def test_essay_description_and_general_feedback():
    # Moodle's test_import_essay.
    assert one("// essay\n::Q8:: How are you? {}") == {"name": "Q8", "type": "essay", "text": "How are you?"}
    assert one("::Q9:: Tell us more.{####We look for three points.}") == {
        "name": "Q9", "type": "essay", "text": "Tell us more.",
        "general_feedback": "We look for three points."}
    assert one("::Intro::[markdown]The next questions are about **one** call.") == {
        "name": "Intro", "type": "description", "format": "markdown",
        "text": "The next questions are about **one** call."}


def test_missing_word_leaves_a_blank_in_the_text():
    assert one("Grant is {~buried =entombed ~living} in Grant's tomb.") == {
        "name": "Grant is _____ in Grant's tomb.", "type": "multichoice",
        "text": "Grant is _____ in Grant's tomb.",
        "answers": [{"text": "buried", "fraction": 0.0, "feedback": ""},
                    {"text": "entombed", "fraction": 1.0, "feedback": ""},
                    {"text": "living", "fraction": 0.0, "feedback": ""}],
    }
    assert one("::Q3:: Two plus {=two =2} equals four.")["text"] == "Two plus _____ equals four."
    # Answers at the very end leave no blank, whatever comes before them.
    assert one("Capital of France? {=Paris}")["text"] == "Capital of France?"


def test_escapes():
    # Moodle's test_import_backslash: \\ is one backslash.
    assert one("::double backslash:: A \\\\ B \\\\\\\\ C{}")["text"] == "A \\ B \\\\ C"
    question = one("::a\\:b\\::: 1 \\~ 2 \\= 3 \\# 4 \\{5\\} 6\\n7 \\x{=x\\=y#f\\#g}")
    assert question["name"] == "a:b:"
    assert question["text"] == "1 ~ 2 = 3 # 4 {5} 6\n7 \\x"
    assert question["answers"] == [{"text": "x=y", "fraction": 1.0, "feedback": "f#g"}]


def test_pre_content_with_escaped_braces():
    # Moodle's test_import_pre_content.
    question = one("::Q001::[html]<p>What would running the test method print?</p>\n<pre>\n"
                   "    public void test() \\{\n        method1();\n    \\}\n</pre>\n{}")
    assert question["format"] == "html"
    assert question["text"] == ("<p>What would running the test method print?</p>\n<pre>\n"
                                "public void test() {\nmethod1();\n}\n</pre>")


def test_format_markers():
    for name in FORMATS:
        assert one(f"::Q::[{name}]Text{{}}") == {"name": "Q", "type": "essay", "format": name, "text": "Text"}
    assert one("::Q::[latex]Text{}") == {"name": "Q", "type": "essay", "text": "[latex]Text"}
    # Moodle only sees a marker at the very start of the text.
    assert one("::Q:: Text [html]{}")["text"] == "Text [html]"


def test_default_names_come_from_the_text():
    assert one("How are you?{}")["name"] == "How are you?"
    assert one("[html]<p>How <b>are</b> you?</p>{}")["name"] == "How are you?"
    long = "word " * 30
    # shorten_text(text, 80): cut after the last space before 77 characters, then '...'.
    assert one(long + "{}")["name"] == ("word " * 15) + "..."
    chinese = "催" * 100
    assert one(chinese + "{}")["name"] == "催" * 77 + "..."
    assert one("0{}")["name"] == "Question name"
    assert one("::<b>Bold</b> title::Text{}")["name"] == "Bold title"
    assert one("::::Text{}")["name"] == ""


def test_categories_and_comments():
    questions = parse_gift("// a file\n::A:: First {}\n\n$CATEGORY: tom/dick\n\n// about B\n"
                           "::B:: Second {}\n\n$CATEGORY: $course$/top/x\n\n::C:: Third {}", "quiz.gift")
    assert [(q.name, q.category, q.line) for q in questions] == [
        ("A", None, 2), ("B", "tom/dick", 7), ("C", "$course$/top/x", 11)]


def test_line_of_zero_separates_questions_as_phps_empty_does():
    questions = parse_gift("::A::x{}\n0\n::B::y{}", "quiz.gift")
    assert [(q.name, q.line) for q in questions] == [("A", 1), ("B", 3)]


def test_windows_and_old_mac_line_ends_and_bom():
    assert [q.line for q in parse_gift("\ufeff::A::x{}\r\n\r\n::B::y{}\r\n", "q.gift")] == [1, 3]
    assert [q.line for q in parse_gift("::A::x{}\r\r::B::y{}", "q.gift")] == [1, 3]


def test_empty_file_has_no_questions():
    assert parse_gift("", "quiz.gift") == []
    assert parse_gift("// only a comment\n\n$CATEGORY: x\n", "quiz.gift") == []


# What Moodle rejects -------------------------------------------------------------------------------


@pytest.mark.parametrize("question, message", [
    ("::Bad:: Open {=a ~b", "'{' without a '}' to close the answers (write \\{ for a literal brace)"),
    ("::Bad:: Close =a ~b}", "'}' without a '{' to open the answers (write \\} for a literal brace)"),
    ("::Bad:: Which?{~only}", "a multiple-choice question needs at least 2 answers"),
    ("::Bad:: Which?{~}", "a multiple-choice question needs at least 2 answers"),
    ("::Bad:: Match {=cat -> cat food}", "a matching question needs at least 2 pairs"),
    ("::Bad:: Match {=cat -> cat food =dog}", "matching answer 'dog' has no '->'"),
    ("::Bad:: How many?{#}", "a numerical question needs at least 1 answer"),
    ("::Bad:: How many?{#~#wrong}", "a numerical question needs at least 1 answer"),
    ("::Bad:: What?{0}", "a short-answer question needs at least 1 answer"),
    ("::Bad:: How many?{#3:x}", "numerical answer '3:x' is not a number: write value, value:tolerance "
                                "or min..max (or * for any other answer)"),
    ("::Bad:: How many?{#three}", "numerical answer 'three' is not a number: write value, "
                                  "value:tolerance or min..max (or * for any other answer)"),
    ("::Bad:: How many?{#a..5}", "numerical answer 'a..5' is not a number: write value, "
                                 "value:tolerance or min..max (or * for any other answer)"),
    ("::Bad:: Which?{=a ~%--50%b}", "weight '%--50%' is not a number"),
])
def test_rejected_questions(question, message):
    assert errors_of(GOOD + question) == [(3, message)]


@pytest.mark.parametrize("weights, shown", [("~%42%b", "42%"), ("~%150%b", "150%"), ("~%33.33%b", "33.33%")])
def test_weights_outside_moodles_grades_are_rejected(weights, shown):
    [(line, message)] = errors_of(GOOD + "// a comment\n::Bad:: Which?{=a " + weights + "}")
    assert line == 4
    assert message.startswith(f"weight {shown} is not one of Moodle's grades: 100%, 90%, 83.33333%, 80%")
    assert message.endswith("5%, their negatives, or 0%")
    [(_, short)] = errors_of(GOOD + "::Bad:: What?{=%42%a}")
    assert short.startswith("weight 42% is not one of Moodle's grades")
    [(_, numeric)] = errors_of(GOOD + "::Bad:: How many?{#=%42%3}")
    assert numeric.startswith("weight 42% is not one of Moodle's grades")


def test_every_bad_question_is_reported():
    text = GOOD + "::Bad1:: Which?{~only}\n\n::Fine:: Essay{}\n\n// note\n::Bad2:: How many?{#x}\n"
    assert [line for line, _ in errors_of(text)] == [3, 8]
    with pytest.raises(ContentErrors) as caught:
        parse_gift(text, "quiz.gift")
    first = str(caught.value).splitlines()[0]
    assert first == "quiz.gift:3: a multiple-choice question needs at least 2 answers"


# Writing ----------------------------------------------------------------------------------------


VARIED = """\
// a varied quiz
::Q1:: 42 is the Absolute Answer to everything.{FALSE#42 is the Ultimate Answer.#You gave the right answer.}

::Q2:: What's between orange and green in the spectrum?
{ =yellow # right; good! ~red # wrong ~blue # wrong ####Yellow it is. }

$CATEGORY: 法律法规

::colours:: Which?{ ~%50%yellow ~%-100%red ~%50%off-beige ~%-100%[plain]blue }

Two plus {=two =%50%2#digits} equals four.

::Match::[html]Match <b>these</b>.{ =cat -> cat food =dog -> dog food = -> bird food }

::Num:: Number? {# =%100%3:0 =%50%1..5#close ~#no }

$CATEGORY:

::Essay:: A \\{brace\\}, a colon\\: and a \\\\ backslash\\nover two lines.{####Marked by hand.}

::Intro::[markdown]Read **this** first.

::Arrow:: Which way?{%50%a->b#it is -> this way}
"""


def test_round_trip_of_a_varied_quiz():
    questions = parse_gift(VARIED, "quiz.gift")
    assert {q.type for q in questions} == {TRUEFALSE, MULTICHOICE, MULTIRESPONSE, SHORTANSWER, MATCHING,
                                           NUMERICAL, ESSAY, DESCRIPTION}
    assert without_lines(parse_gift(write_gift(questions), "again.gift")) == without_lines(questions)


def test_written_text():
    questions = [
        Question(ESSAY, "a:b", "x{y} #1 = ~2\nend \\", category="c"),
        Question(MULTICHOICE, "Q", "Pick", "html",
                 answers=(Answer("[html]a", 1.0, "yes"), Answer("%50%b", 0.0), Answer("c", -0.5))),
        Question(NUMERICAL, "N", "How many?",
                 numeric=(NumericAnswer(3.0, 0.5), NumericAnswer(ANY_OTHER, 0.0, 0.0, "no"))),
    ]
    assert write_gift(questions) == (
        "$CATEGORY: c\n\n"
        "::a\\:b::x\\{y\\} \\#1 \\= \\~2\\nend \\\\{}\n\n"
        "$CATEGORY:\n\n"
        "::Q::[html]Pick{\n\t=\\n[html]a#yes\n\t~%0%%50%b\n\t~%-50%c\n}\n\n"
        "::N::How many?{#\n\t=3:0.5\n\t=%0%*#no\n}\n")
    assert without_lines(parse_gift(write_gift(questions), "q.gift")) == questions


def test_ordering_is_written_as_tagged_matching_and_read_back():
    steps = Question(ORDERING, "Steps", "Put in order", answers=tuple(
        Answer(step, 1.0) for step in ("理解客户情况", "与借款人进行沟通", "制定还款计划")))
    text = write_gift([steps])
    assert text.startswith("// [tag:ordering]\n::Steps::Put in order{")
    assert "=1 -> 理解客户情况" in text and "=3 -> 制定还款计划" in text
    assert [replace(q, line=0) for q in parse_gift(text, "x.gift")] == [steps]


def test_only_tagged_position_matching_reads_as_ordering():
    untagged = parse_gift("::S::Order {=1 -> a =2 -> b}", "x.gift")[0]
    assert untagged.type == MATCHING
    not_positions = parse_gift("// [tag:ordering]\n::S::Order {=x -> a =y -> b}", "x.gift")[0]
    assert not_positions.type == MATCHING


def test_unknown_types_cannot_be_written():
    with pytest.raises(ValueError, match="question 'Odd': GIFT cannot express odd questions"):
        write_gift([Question("odd", "Odd", "?")])


def test_single_choice_with_only_full_marks_stays_single_choice():
    question = Question(MULTICHOICE, "Q", "Pick", answers=(Answer("a", 1.0), Answer("b", 1.0)))
    assert without_lines(parse_gift(write_gift([question]), "q.gift")) == [question]


@pytest.mark.parametrize("source", [
    "::Tricky <::x{}",  # strip_tags() keeps a '<' only before a space
    "$CATEGORY: a\n// between\nb \\\\: c\n\n::Q::x{}",  # a category over several lines
    ":: [html\\\\{}",  # no closing '::': no title, and a text Moodle does not read a format in
    "::Q::[html]{}",
    "::Q::{%100%T->x#a->b}",
])
def test_round_trip_of_odd_questions(source):
    questions = parse_gift(source, "q.gift")
    assert without_lines(parse_gift(write_gift(questions), "q.gift")) == without_lines(questions)


# Properties -------------------------------------------------------------------------------------


TOKENS = ["{", "}", "~", "=", "#", ":", "\\", "%", "->", "-", ">", " ", "\n", "\n\n", "\t", "//", "::",
          "$CATEGORY:", "[html]", "[moodle", "]", "T", "TRUE", "0", "1", "..", "50", "%50%", "%-25%", ".",
          "*", "####", "a", "é", "中文", "<b>", "<", "&&058;", "&", "\r", "\ufeff", "\\n", "_____"]

gift_like = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join), st.text(max_size=200))


@settings(max_examples=300, deadline=None)
@given(gift_like)
def test_any_text_gives_questions_or_content_errors(text):
    try:
        questions = parse_gift(text, "random.gift")
    except ContentErrors as exc:
        assert exc.errors and all(error.line >= 1 and error.message for error in exc.errors)
    else:
        assert all(isinstance(question, Question) for question in questions)


def _clean(text: str) -> str:
    return text.strip(" \t\n\r\0\x0b")


TEXT_TOKENS = [token for token in TOKENS if token not in ("\ufeff", "&&058;", "\r")] + ["\u3000", "ok"]
texts = (st.lists(st.sampled_from(TEXT_TOKENS), max_size=8).map("".join).map(_clean)
         .filter(lambda text: "&&" not in text))
names = texts.filter(lambda text: "<" not in text)
no_arrow = texts.filter(lambda text: "->" not in text)
grades = st.sampled_from(GRADES)
categories = st.none() | texts.filter(lambda text: text and "\n" not in text)


def answers(text_strategy=texts, min_size=1, max_size=4):
    answer = st.builds(Answer, text_strategy, grades, text_strategy)
    return st.lists(answer, min_size=min_size, max_size=max_size).map(tuple)


@st.composite
def questions(draw):
    kind = draw(st.sampled_from([MULTICHOICE, MULTIRESPONSE, TRUEFALSE, SHORTANSWER, MATCHING, NUMERICAL,
                                 ESSAY, DESCRIPTION]))
    question = Question(kind, draw(names), draw(texts), draw(st.sampled_from((None, *FORMATS))),
                        general_feedback="" if kind == DESCRIPTION else draw(texts),
                        category=draw(categories))
    if kind == MULTICHOICE:
        choices = list(draw(answers(min_size=2)))
        right = draw(st.integers(0, len(choices) - 1))
        choices[right] = replace(choices[right], fraction=1.0)
        question = replace(question, answers=tuple(choices))
    elif kind == MULTIRESPONSE:
        question = replace(question, answers=draw(answers(min_size=2)))
    elif kind == TRUEFALSE:
        true = draw(st.booleans())
        question = replace(question, answers=(Answer("True", float(true), draw(texts)),
                                              Answer("False", float(not true), draw(texts))))
    elif kind == SHORTANSWER:
        # With several answers, '->' would make Moodle read a matching question.
        single = draw(st.booleans())
        question = replace(question, answers=draw(answers(texts, 1, 1) if single else answers(no_arrow, 2)))
    elif kind == MATCHING:
        pairs = st.lists(st.builds(Pair, no_arrow, texts), min_size=2, max_size=4).map(tuple)
        question = replace(question, pairs=draw(pairs))
    elif kind == NUMERICAL:
        number = st.floats(allow_nan=False, allow_infinity=False)
        entry = st.builds(NumericAnswer, st.just(ANY_OTHER) | number, number, grades, texts)
        question = replace(question, numeric=tuple(draw(st.lists(entry, min_size=1, max_size=3))))
    return question


@settings(max_examples=300, deadline=None)
@given(st.lists(questions(), max_size=4))
def test_written_questions_read_back_the_same(quiz):
    assert without_lines(parse_gift(write_gift(quiz), "written.gift")) == quiz


def _joined(tokens: list[str], size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(tokens), max_size=size).map("".join)


ANSWER_TOKENS = ["=", "~", "#", "%50%", "%-100%", "%100%", "%0%", "->", " -> ", "T", "TRUE", "F", "a", "b c",
                 "1", "3:2", "1..5", "*", "\\=", "\\#", "\\~", "[html]", "[moodle]", "[plain", "####", "\n",
                 " ", "中", "%33.33333%", ".", ":", "-", ">", "0", "\\n", "\\\\", "<b>", "<", "\\{", "\\}"]
TEXT_PARTS = ["a", " ", "[html]", "[markdown]", "[x]", "[moodle", "\\{", "\\}", "\\:", "\\#", "\\n", "\\\\",
              "<b>x</b>", "<", "中文", ".", "_____", "-", ">", "0", "\n", "//", "%", "&amp;", "T"]
gift_question = st.tuples(
    st.sampled_from(["", "// comment\n"]), st.sampled_from(["", "::"]),
    _joined(["a", " ", "<b>", "<", "\\:", ":", "0", "中", "\\n", "x" * 60, "[html]"], 5),
    st.sampled_from(["", "::"]), _joined(TEXT_PARTS, 10), st.sampled_from(["{", "{#"]),
    _joined(ANSWER_TOKENS, 12), st.sampled_from(["}", "} after", "}\n// comment", ""]),
    _joined(TEXT_PARTS, 3),
).map("".join)
gift_category = _joined(["a", "/", "\\\\", "\\:", " ", "\n", "// comment\n"], 6).map("$CATEGORY:".__add__)
gift_sources = st.lists(gift_question | gift_category, max_size=4).map("\n\n".join)


@settings(max_examples=300, deadline=None)
@given(gift_sources)
def test_what_parse_gift_reads_is_written_back_the_same(source):
    try:
        questions = parse_gift(source, "random.gift")
    except ContentErrors:
        return
    assert without_lines(parse_gift(write_gift(questions), "written.gift")) == without_lines(questions)
