"""The neutral question model every quiz format parses into (Markdown, GIFT) and grading reads.

Field names follow the JSON of ``lms quiz show --json``: a question has a ``type``, a ``name``,
its ``text`` and, as its type needs, ``answers``, ``pairs`` or ``numeric`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MULTICHOICE = "multichoice"      # one right answer (or several with partial credit, one chosen)
MULTIRESPONSE = "multiresponse"  # several may be chosen; fractions add up
TRUEFALSE = "truefalse"
SHORTANSWER = "shortanswer"
MATCHING = "matching"
NUMERICAL = "numerical"
ESSAY = "essay"
DESCRIPTION = "description"
ORDERING = "ordering"
TYPES = (MULTICHOICE, MULTIRESPONSE, TRUEFALSE, SHORTANSWER, MATCHING, NUMERICAL, ESSAY,
         DESCRIPTION, ORDERING)
#: Types graded by the machine; an essay waits for a trainer, a description is not graded.
AUTO_GRADED = (MULTICHOICE, MULTIRESPONSE, TRUEFALSE, SHORTANSWER, MATCHING, NUMERICAL, ORDERING)

ANY_OTHER = "*"  # a numeric answer that matches any other response


@dataclass(frozen=True)
class Answer:
    text: str
    fraction: float  # from -1 to 1: the share of the question's mark this answer earns
    feedback: str = ""


@dataclass(frozen=True)
class Pair:
    question: str
    answer: str


@dataclass(frozen=True)
class NumericAnswer:
    value: float | str  # a number, or ANY_OTHER
    tolerance: float = 0.0  # accepted: value ± tolerance
    fraction: float = 1.0
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    type: str
    name: str
    text: str
    format: str | None = None  # markdown, html, plain or moodle, where the text named one
    answers: tuple[Answer, ...] = ()
    pairs: tuple[Pair, ...] = ()
    numeric: tuple[NumericAnswer, ...] = ()
    general_feedback: str = ""
    category: str | None = None
    line: int = 0  # the line the question starts on, for messages

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        """The inverse of :meth:`to_json` (as stored with a revision)."""
        return cls(
            type=data["type"], name=data["name"], text=data["text"], format=data.get("format"),
            answers=tuple(Answer(a["text"], a["fraction"], a.get("feedback", ""))
                          for a in data.get("answers", ())),
            pairs=tuple(Pair(p["question"], p["answer"]) for p in data.get("pairs", ())),
            numeric=tuple(NumericAnswer(n["value"], n.get("tolerance", 0.0), n.get("fraction", 1.0),
                                        n.get("feedback", "")) for n in data.get("numeric", ())),
            general_feedback=data.get("general_feedback", ""), category=data.get("category"),
            line=data.get("line", 0),
        )

    def to_json(self) -> dict[str, Any]:
        """The neutral JSON form; keys that do not apply are left out."""
        data: dict[str, Any] = {"name": self.name, "type": self.type, "text": self.text}
        if self.format:
            data["format"] = self.format
        if self.answers:
            data["answers"] = [{"text": a.text, "fraction": a.fraction, "feedback": a.feedback}
                               for a in self.answers]
        if self.pairs:
            data["pairs"] = [{"question": p.question, "answer": p.answer} for p in self.pairs]
        if self.numeric:
            data["numeric"] = [{"value": n.value, "tolerance": n.tolerance,
                                "fraction": n.fraction, "feedback": n.feedback}
                               for n in self.numeric]
        if self.general_feedback:
            data["general_feedback"] = self.general_feedback
        if self.category:
            data["category"] = self.category
        return data
