"""Assessment analysis: cues that give the answer away, scoring holes, draw pools and call
simulation paths, found before trainees see them. Pure functions over parsed content.

Each problem is a :class:`Finding`, printed ``path:line: warning: message``; every message names the
question, step or choice and says what to change.

Call simulations are analysed over every path by dynamic programming over the states a play can be
in: (step, score, whether a major violation was made). A branch ``? score >= N`` depends on the
score, so the step alone is not enough; the score range is small, so the states are few even when
the paths number 10¹² or more. Paths are counted, never enumerated (except to list the first few).
A choice may lead back to an earlier step, so the state graph may have cycles: then the number of
paths is unlimited and is reported as such.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..memo import LatestCache
from .errors import display_path
from .questions import (
    DESCRIPTION,
    MULTICHOICE,
    MULTIRESPONSE,
    NUMERICAL,
    SHORTANSWER,
    TRUEFALSE,
    Question,
)
from .quiz import QuizSpec
from .render import images_without_alt
from .scenario import FAIL, PASS, Choice, ScenarioSpec, Step

WARNING, ERROR = "warning", "error"
#: Above this share of single-choice questions, "the right answer is the longest" is a cue.
LONGEST_SHARE = Fraction(1, 3)
#: A category left out of more than this share of drawn attempts gets a warning.
MISSED_CATEGORY = Fraction(1, 100)
ALL_OF_THE_ABOVE = ("以上都对", "以上都是", "以上皆是", "以上全对", "以上都正确", "以上均正确",
                    "以上全部正确", "alloftheabove")
#: A call simulation that a trainee passes this often by choosing at random proves nothing.
GUESS_PASS_LIMIT = Fraction(1, 100)
#: States of a call simulation beyond which its score is taken to grow without bound.
MAX_STATES = 200_000
EPSILON = 1e-6


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    severity: str = WARNING  # or ERROR

    def __str__(self) -> str:
        label = "warning: " if self.severity == WARNING else ""
        return f"{display_path(self.path)}:{self.line}: {label}{self.message}"


# --- text ------------------------------------------------------------------------------------

def _plain(text: str) -> str:
    """Letters and digits only, NFKC and case folded: for comparing and measuring texts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _grams(text: str) -> set[str]:
    """Character bigrams of the plain text (words for Chinese have no spaces to split on)."""
    plain = _plain(text)
    return {plain[i:i + 2] for i in range(len(plain) - 1)}


def _runs(text: str, grams: set[str]) -> list[str]:
    """The stretches of ``text`` (plain) made of bigrams in ``grams``."""
    plain = _plain(text)
    runs, current = [], ""
    for i in range(len(plain) - 1):
        if plain[i:i + 2] in grams:
            current = current + plain[i + 1] if current else plain[i:i + 2]
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def _percent(value: float) -> str:
    return f"{round(value * 100, 2) + 0:g}%"  # + 0: no "-0%"


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(questions: Iterable[Question], limit: int = 6) -> str:
    names = [f"'{_short(q.name)}'" for q in questions]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _settings_path(quiz: QuizSpec) -> str:
    return quiz.path[: -len(".gift")] + ".yml" if quiz.path.endswith(".gift") else quiz.path


def _settings_line(quiz: QuizSpec, key: str) -> int:
    """The line of ``key:`` in the quiz's front matter or GIFT settings file (else 1)."""
    lines = quiz.source.splitlines()
    pattern = re.compile(rf"{key}\s*:")
    if quiz.path.endswith(".gift"):  # ``source`` is the GIFT text, then the settings text
        found = [i for i, line in enumerate(lines) if pattern.match(line)]
        if not found:
            return 1
        start = next((i + 1 for i in range(found[-1] - 1, -1, -1) if lines[i].rstrip().endswith("}")), 0)
        while start < found[-1] and not lines[start].strip():
            start += 1
        return found[-1] - start + 1
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        if pattern.match(line):
            return number
    return 1


# --- quizzes ---------------------------------------------------------------------------------

def _keyed(question: Question) -> int | None:
    """The index of the one right answer of a single-choice question, else None."""
    if question.type != MULTICHOICE or len(question.answers) < 2:
        return None
    right = [i for i, a in enumerate(question.answers) if a.fraction >= 1 - EPSILON]
    return right[0] if len(right) == 1 else None


def analyse_quiz(quiz: QuizSpec) -> list[Finding]:
    """Cues, scoring holes and draw pools of one quiz or case study."""
    findings: list[Finding] = []
    findings += _longest_cue(quiz)
    findings += _position_cue(quiz)
    findings += _true_false_cue(quiz)
    for question in quiz.questions:
        findings += _question_findings(quiz, question)
    findings += _pool_findings(quiz)
    return sorted(findings, key=lambda f: (f.path, f.line))


def _longest_cue(quiz: QuizSpec) -> list[Finding]:
    single = [q for q in quiz.questions if _keyed(q) is not None and len(q.answers) >= 3]
    longest = []
    for question in single:
        key = _keyed(question)
        lengths = [len(_plain(a.text)) for a in question.answers]
        if all(lengths[key] > length for i, length in enumerate(lengths) if i != key):
            longest.append(question)
    if len(single) < 3 or len(longest) < 2 or Fraction(len(longest), len(single)) <= LONGEST_SHARE:
        return []
    return [Finding(quiz.path, longest[0].line,
                    f"in {len(longest)} of {len(single)} single-choice questions the right answer is "
                    f"the longest option ({_names(longest)}): a trainee can pick the longest without "
                    "knowing; make wrong options as long and as complete as the right one, or the "
                    "right one shorter")]


def _position_cue(quiz: QuizSpec) -> list[Finding]:
    single = [q for q in quiz.questions if _keyed(q) is not None]
    positions = {_keyed(q) for q in single}
    if len(single) < 3 or len(positions) != 1:
        return []
    position = positions.pop() + 1
    return [Finding(quiz.path, single[0].line,
                    f"the right answer is option {position} as written in all {len(single)} "
                    "single-choice questions: vary its position (exports, print-outs and quizzes "
                    "without shuffle show the written order)")]


def _true_false_cue(quiz: QuizSpec) -> list[Finding]:
    questions = [q for q in quiz.questions if q.type == TRUEFALSE]
    keys = {q.answers[0].fraction >= 1 - EPSILON for q in questions}
    if len(questions) < 3 or len(keys) != 1:
        return []
    word = "true (正确)" if keys.pop() else "false (错误)"
    return [Finding(quiz.path, questions[0].line,
                    f"all {len(questions)} true/false questions are keyed {word} ({_names(questions)}): "
                    "a trainee who notices answers them all without reading; rewrite some so the "
                    "answer is the other one")]


def _question_findings(quiz: QuizSpec, question: Question) -> list[Finding]:
    findings = []

    def add(message: str) -> None:
        findings.append(Finding(quiz.path, question.line, f"question '{_short(question.name)}': {message}"))

    if question.type in (MULTICHOICE, MULTIRESPONSE):
        for answer in question.answers:
            if any(mark in _plain(answer.text) for mark in ALL_OF_THE_ABOVE):
                add(f"option '{_short(answer.text)}' points at the other options: a trainee who sees "
                    "two right options picks it without reading the rest; write the options out "
                    "(as a multiple-response question if several are right)")
    key = _keyed(question)
    if key is not None:
        overlap = _stem_overlap(question, key)
        if overlap:
            add(f"only the right answer repeats the question's words ({'、'.join(overlap)}): a "
                "trainee can match words instead of knowing; reword it, or use the words in wrong "
                "options too")
    if question.type == MULTIRESPONSE:
        findings += [Finding(quiz.path, question.line, f"question '{_short(question.name)}': {m}")
                     for m in _multiresponse_holes(question)]
    else:
        best = _best_fraction(question)
        if best is not None and best < 1 - EPSILON:
            add(f"the most a trainee can earn is {_percent(best)}: give the best answer 100%")
    return findings


def _stem_overlap(question: Question, key: int) -> list[str]:
    """Words of the stem that the right answer repeats and no wrong option does."""
    stem = _grams(question.text)
    wrong = [_grams(a.text) & stem for i, a in enumerate(question.answers) if i != key]
    shared = _grams(question.answers[key].text) & stem
    distinctive = shared - set().union(*wrong)
    if len(distinctive) < 2 or any(len(w) > 1 for w in wrong):
        return []
    return list(dict.fromkeys(_runs(question.answers[key].text, distinctive)))


def _best_fraction(question: Question) -> float | None:
    if question.type in (MULTICHOICE, TRUEFALSE, SHORTANSWER) and question.answers:
        return max(a.fraction for a in question.answers)
    if question.type == NUMERICAL and question.numeric:
        return max(n.fraction for n in question.numeric)
    return None


def _multiresponse_holes(question: Question) -> list[str]:
    fractions = [a.fraction for a in question.answers]
    right = [f for f in fractions if f > 0]
    wrong = [f for f in fractions if f <= 0]
    messages = []
    total = sum(right)
    if total < 1 - EPSILON:
        messages.append(f"the right options add up to {_percent(total)}, not 100%: a trainee cannot "
                        "earn full marks; raise their weights so they add up to 100%")
    elif total > 1 + EPSILON:
        messages.append(f"the right options add up to {_percent(total)}, not 100%: grading stops at "
                        "100%, so a trainee earns full marks without ticking all of them; make them "
                        "add up to 100%")
    if right and wrong:
        share = min(right)
        cheapest = max(wrong)  # the smallest penalty
        cheap = next(a for a in question.answers if a.fraction == cheapest)
        if -cheapest < share - EPSILON:
            everything = max(0.0, min(1.0, sum(fractions)))
            but_one = max(0.0, min(1.0, sum(fractions) - min(wrong)))
            cost = "costs nothing" if cheapest == 0 else f"costs only {_percent(-cheapest)}"
            messages.append(
                f"the wrong option '{_short(cheap.text)}' {cost} while a right option earns "
                f"{_percent(share)}, so ticking "
                f"every option scores {_percent(everything)} (every option but the worst "
                f"{_percent(but_one)}); give each wrong option a weight of -{_percent(share)} or "
                "lower, e.g. '- [ ] (-" + f"{round(share * 100, 2):g}" + "%) …'")
    return messages


def _pool_findings(quiz: QuizSpec) -> list[Finding]:
    settings = quiz.settings
    scored = [q for q in quiz.questions if q.type != DESCRIPTION]
    path, line = _settings_path(quiz), _settings_line(quiz, "draw")
    if settings.draw_quotas:
        left_out = Counter(q.category or "" for q in scored if q.category not in settings.draw_quotas)
        return [Finding(path, line, f"'draw' has no count for category '{category or '(none)'}': "
                        f"its {count} question(s) are never drawn; add it to 'draw' or remove them")
                for category, count in left_out.items()]
    if not settings.draw or settings.draw_category:
        return []
    sizes = Counter(q.category or "" for q in scored)
    pool, drawn = len(scored), min(settings.draw, len(scored))
    if len(sizes) < 2:
        return []
    missed = []
    for category, size in sizes.items():
        chance = Fraction(math.comb(pool - size, drawn), math.comb(pool, drawn))
        if chance > MISSED_CATEGORY:
            missed.append(f"'{category or '(none)'}' ({size} question(s)) in "
                          f"{float(chance) * 100:.3g}% of attempts")
    if not missed:
        return []
    quotas = ", ".join(f"{name or '(none)'}: {count}" for name, count in _proportional(sizes, drawn).items())
    return [Finding(path, line, f"'draw' takes {drawn} of {pool} questions without per-category "
                    f"counts, so an attempt leaves out category {'; '.join(missed)}; draw per "
                    f"category, e.g. 'draw: {{{quotas}}}'")]


def _proportional(sizes: Counter[str], drawn: int) -> dict[str, int]:
    """Per-category counts adding up to ``drawn``, in proportion to the categories' sizes."""
    pool = sum(sizes.values())
    exact = {name: Fraction(drawn * size, pool) for name, size in sizes.items()}
    counts = {name: min(sizes[name], max(1, math.floor(value))) for name, value in exact.items()}
    order = sorted(exact, key=lambda name: exact[name] - math.floor(exact[name]), reverse=True)
    while sum(counts.values()) < drawn:
        grown = False
        for name in order:
            if sum(counts.values()) < drawn and counts[name] < sizes[name]:
                counts[name] += 1
                grown = True
        if not grown:
            break
    while sum(counts.values()) > drawn:
        name = max(counts, key=lambda n: counts[n] - exact[n])
        counts[name] -= 1
    return counts


# --- courses ---------------------------------------------------------------------------------

def analyse_course(course: Any) -> list[Finding]:
    """Course-level checks: the same question twice, across quizzes, case studies and the exam."""
    findings = []
    seen: dict[str, tuple[QuizSpec, Question]] = {}
    for quiz in course.quizzes:
        for question in quiz.questions:
            if question.type == DESCRIPTION:
                continue
            stem = _plain(question.text)
            if len(stem) < 6:
                continue
            if stem in seen:
                first_quiz, first = seen[stem]
                findings.append(Finding(
                    quiz.path, question.line,
                    f"question '{_short(question.name)}' is also asked in "
                    f"{display_path(first_quiz.path)}:{first.line} ('{_short(first.name)}'): a trainee "
                    "who has seen it once knows the answer; drop one or ask something else"))
            else:
                seen[stem] = (quiz, question)
    return findings


def analyse_module(module: Any) -> list[Finding]:
    """A module's images need alt text: trainees who cannot see them (or whose phone did not load
    them) read it instead."""
    return [Finding(module.path, line,
                    f"image '{src}' has no alt text: say what it shows between the brackets, "
                    f"![…]({src})")
            for line, src in images_without_alt(module.source)]


#: Each module's, quiz's and scenario's findings, by its path and source SHA-256: the editor checks
#: the whole course on every keystroke, and only the item being edited has changed.
_findings = LatestCache(size=256, per_database=False)


def _analysed(analyse: Callable[[Any], list[Finding]], spec: Any) -> list[Finding]:
    subject = (analyse.__name__, spec.path)
    found = _findings.get(subject, spec.sha256)
    if found is None:
        found = analyse(spec)
        _findings.put(subject, spec.sha256, found)
    return found


def analyse_content(courses: Iterable[Any]) -> list[Finding]:
    """Everything ``lms check`` reports beyond errors: each module, quiz, scenario and course."""
    findings = []
    for course in courses:
        for module in course.modules:
            findings += _analysed(analyse_module, module)
        for quiz in course.quizzes:
            findings += _analysed(analyse_quiz, quiz)
        for scenario in course.scenarios:
            findings += _analysed(analyse_scenario, scenario)
        findings += analyse_course(course)
    return sorted(findings, key=lambda f: (f.path, f.line))


# --- call simulations ------------------------------------------------------------------------

#: A state of a play: the step shown (or, finished, the ending), the score, whether a major
#: violation was made, whether the play ended on a critical violation.
Node = tuple[str, int, bool, bool]


@dataclass
class ScenarioGraph:
    spec: ScenarioSpec
    start: Node
    edges: dict[Node, list[tuple[Node, Choice]]]  # from a state at a step with choices
    terminals: set[Node]
    reached_steps: set[str]
    branch_hits: set[int]  # lines of branches some play follows
    scores_at: dict[str, tuple[int, int]]  # step -> lowest and highest score on arriving
    complete: bool  # False when there were more than MAX_STATES states


@dataclass
class EndingSummary:
    step: str
    outcome: str | None
    critical: bool  # reached through a critical choice
    passed: int | None  # path counts (None: unlimited)
    failed: int | None
    low: int
    high: int


@dataclass
class ScenarioPaths:
    """Every path of a call simulation, counted: the totals, the score range, per ending."""

    total: int | None  # None: unlimited (a play can loop)
    passing: int | None
    low: int
    high: int
    endings: list[EndingSummary] = field(default_factory=list)
    complete: bool = True  # False: more states than MAX_STATES (the score grows without bound)
    loop: list[str] = field(default_factory=list)  # steps a play can go round, when it can
    #: the chance that a play choosing uniformly at random at every step passes (None with loops)
    guess_pass_chance: Fraction | None = None


def _is_major(choice: Choice) -> bool:
    return choice.violation is not None and choice.violation.severity == "major"


def _passes(spec: ScenarioSpec, node: Node) -> bool:
    step, score, _, critical = node
    return not critical and spec.step(step).outcome != FAIL and spec.percent(score) >= spec.pass_score


def build_graph(spec: ScenarioSpec, max_states: int = MAX_STATES) -> ScenarioGraph:
    """The states a play can reach, following the engine's rules (``scenario.choose``)."""
    reached: set[str] = set()
    hits: set[int] = set()
    scores: dict[str, tuple[int, int]] = {}

    def arrive(step_id: str, score: int) -> None:
        reached.add(step_id)
        low, high = scores.get(step_id, (score, score))
        scores[step_id] = (min(low, score), max(high, score))

    def settle(step_id: str, score: int) -> Step:
        step = spec.step(step_id)
        arrive(step.id, score)
        while step.branches:
            branch = next(b for b in step.branches if b.matches(score))
            hits.add(branch.line)
            step = spec.step(branch.target)
            arrive(step.id, score)
        return step

    first = settle(spec.start.id, 0)
    start: Node = (first.id, 0, False, False)
    edges: dict[Node, list[tuple[Node, Choice]]] = {}
    terminals: set[Node] = set()
    todo = deque([start])
    seen = {start}
    complete = True
    while todo:
        node = todo.popleft()
        step_id, score, major, critical = node
        step = spec.step(step_id)
        if critical or step.is_end:
            terminals.add(node)
            continue
        if len(seen) > max_states:
            complete = False
            break
        out = []
        for choice in step.choices:
            new_score, new_major = score + choice.points, major or _is_major(choice)
            if choice.is_critical:
                arrive(choice.target, new_score)
                following: Node = (choice.target, new_score, new_major, True)
            else:
                following = (settle(choice.target, new_score).id, new_score, new_major, False)
            out.append((following, choice))
            if following not in seen:
                seen.add(following)
                todo.append(following)
        edges[node] = out
    return ScenarioGraph(spec, start, edges, terminals, reached, hits, scores, complete)


def _order(graph: ScenarioGraph) -> list[Node] | None:
    """The states in an order where each comes after every state leading to it; None on a cycle."""
    indegree: Counter[Node] = Counter()
    nodes = set(graph.edges) | graph.terminals
    for out in graph.edges.values():
        for following, _ in out:
            indegree[following] += 1
            nodes.add(following)
    ready = deque(node for node in nodes if indegree[node] == 0)
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for following, _ in graph.edges.get(node, ()):
            indegree[following] -= 1
            if indegree[following] == 0:
                ready.append(following)
    return order if len(order) == len(nodes) else None


def _step_cycle(spec: ScenarioSpec) -> list[str]:
    """Some steps a play can go round (choices without a critical violation, and branches)."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(step_id: str) -> list[str]:
        colour[step_id] = 1
        stack.append(step_id)
        step = spec.step(step_id)
        targets = [c.target for c in step.choices if not c.is_critical] + [b.target for b in step.branches]
        for target in targets:
            if colour.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in colour and (found := visit(target)):
                return found
        stack.pop()
        colour[step_id] = 2
        return []

    return visit(spec.start.id)


def count_paths(spec: ScenarioSpec, graph: ScenarioGraph | None = None) -> ScenarioPaths:
    """Every path of ``spec`` counted by ending, pass or fail, and score."""
    graph = graph or build_graph(spec)
    order = _order(graph) if graph.complete else None
    counts: dict[Node, int] | None = None
    chance: dict[Node, Fraction] = defaultdict(Fraction)
    if order is not None:
        counts = defaultdict(int)
        counts[graph.start], chance[graph.start] = 1, Fraction(1)
        for node in order:
            out = graph.edges.get(node, ())
            for following, _ in out:
                counts[following] += counts[node]
                chance[following] += chance[node] / len(out)
    by_ending: dict[tuple[str, bool], EndingSummary] = {}
    for node in sorted(graph.terminals):
        step, score, _, critical = node
        summary = by_ending.setdefault((step, critical), EndingSummary(
            step, spec.step(step).outcome, critical, 0 if counts else None, 0 if counts else None,
            score, score))
        summary.low, summary.high = min(summary.low, score), max(summary.high, score)
        if counts is not None:
            if _passes(spec, node):
                summary.passed = (summary.passed or 0) + counts[node]
            else:
                summary.failed = (summary.failed or 0) + counts[node]
    scores = [node[1] for node in graph.terminals] or [0]
    total = sum(counts[node] for node in graph.terminals) if counts is not None else None
    passing = (sum(counts[node] for node in graph.terminals if _passes(spec, node))
               if counts is not None else None)
    loop = _step_cycle(spec) if counts is None else []
    endings = sorted(by_ending.values(), key=lambda e: (spec.steps.index(spec.step(e.step)), e.critical))
    guessed = (sum((chance[node] for node in graph.terminals if _passes(spec, node)), Fraction(0))
               if counts is not None else None)
    return ScenarioPaths(total, passing, min(scores), max(scores), endings, graph.complete, loop, guessed)


@dataclass(frozen=True)
class PathRow:
    choices: tuple[tuple[str, int, str], ...]  # step id, choice index (0-based), choice text
    score: int
    percent: int
    violations: tuple[str, ...]  # 'rule severity'
    ending: str
    critical: bool
    passed: bool


def iter_paths(spec: ScenarioSpec, graph: ScenarioGraph | None = None,
               max_choices: int = 200) -> Iterator[PathRow]:
    """The paths one by one, depth first in the order choices are written (a path that loops
    is cut after ``max_choices`` choices)."""
    graph = graph or build_graph(spec)
    stack: list[tuple[Node, int]] = [(graph.start, 0)]
    made: list[tuple[str, Choice]] = []
    while stack:
        node, index = stack.pop()
        out = graph.edges.get(node)
        if out is None:  # an ending, or a state past MAX_STATES
            if node in graph.terminals:
                yield PathRow(
                    tuple((step_id, c.index, c.text) for step_id, c in made), node[1],
                    spec.percent(node[1]),
                    tuple(f"{c.violation.rule} {c.violation.severity}" for _, c in made if c.violation),
                    node[0], node[3], _passes(spec, node))
            if made:
                made.pop()
            continue
        if index < len(out) and len(made) < max_choices:
            stack.append((node, index + 1))
            following, choice = out[index]
            made.append((node[0], choice))
            stack.append((following, 0))
        elif made:
            made.pop()


def analyse_scenario(spec: ScenarioSpec) -> list[Finding]:
    """Every path of a call simulation: endings, violations on passing paths, reachability."""
    graph = build_graph(spec)
    paths = count_paths(spec, graph)
    findings: list[Finding] = []

    def add(line: int, message: str) -> None:
        findings.append(Finding(spec.path, line, message))

    if paths.loop:
        loop = " → ".join(paths.loop)
        if not paths.complete:
            add(spec.step(paths.loop[0]).line,
                f"a play can go round the steps {loop} again and again, and the score changes each "
                "time: a trainee can repeat the loop to reach any score; make the loop's choices "
                "worth 0 points or lead the repeat elsewhere")
            return findings
        add(spec.step(paths.loop[0]).line,
            f"a play can go round the steps {loop} without end, so the number of paths is unlimited; "
            "lead the repeat to a new step (e.g. a second, final attempt) so every play ends")

    for step in spec.steps:
        if step.id not in graph.reached_steps:
            add(step.line, f"step '{step.id}' is never reached: the branches leading to it never hold "
                "for the scores a play can have there; change the branch conditions or the points")
        for branch in step.branches:
            if (branch.op != "otherwise" and branch.line not in graph.branch_hits
                    and step.id in graph.reached_steps):
                low, high = graph.scores_at[step.id]
                add(branch.line, f"branch '? score {branch.op} {branch.value} -> {branch.target}' of step "
                    f"'{step.id}' never holds: plays arrive with scores {low} to {high}")

    findings += _stuck(spec, graph)

    def counted(value: int | None) -> str:
        return f"{value:,}" if value is not None else "some"

    for step in spec.steps:
        if not step.is_end or step.id not in graph.reached_steps:
            continue
        summaries = [e for e in paths.endings if e.step == step.id]
        plain = next((e for e in summaries if not e.critical), None)
        critically = any(e.critical for e in summaries)
        if step.outcome is None:
            if plain is not None and counts_known(plain):
                detail = f"{counted(plain.passed)} path(s) pass and {counted(plain.failed)} fail here"
            elif plain is not None:
                detail = "paths pass and fail here" if _mixed(spec, graph, step.id) else "paths end here"
            else:
                detail = "only plays with a critical violation end here"
            add(step.line, f"ending '{step.id}' does not declare its outcome ({detail}): write "
                "'[end pass]' or '[end fail]' after its title")
        elif step.outcome == PASS:
            if critically:
                add(step.line, f"ending '{step.id}' is '[end pass]' but a critical choice leads to it: "
                    "the trainee fails while the ending tells a successful call; lead the critical "
                    "choice to a fail ending")
            if plain is not None and _reaches(spec, graph, step.id, passing=False):
                only = ("only failing paths reach it" if not _reaches(spec, graph, step.id, passing=True)
                        else f"{counted(plain.failed)} of its paths fail")
                add(step.line, f"ending '{step.id}' is '[end pass]' but {only} (scores {plain.low} to "
                    f"{plain.high}, pass_score {spec.pass_score}%): such a trainee fails while the "
                    "ending tells a successful call; lead those paths to a fail ending or change the "
                    "points")
        else:
            otherwise = [node for node in graph.terminals if node[0] == step.id and not node[3]
                         and spec.percent(node[1]) >= spec.pass_score]
            if otherwise:
                best = max(node[1] for node in otherwise)
                add(step.line, f"ending '{step.id}' is '[end fail]' but paths reach it with a passing "
                    f"score (up to {best}, {spec.percent(best)}%, pass_score {spec.pass_score}%) and no "
                    "critical violation: lower the points of the choices that lead here, or lead "
                    "them to a pass ending")

    findings += _major_on_passing_paths(spec, graph)
    if paths.guess_pass_chance is not None and paths.guess_pass_chance > GUESS_PASS_LIMIT:
        add(_pass_score_line(spec), f"a trainee who chooses at random (or always taps the first choice "
            f"of a shuffled step) passes {_percent(float(paths.guess_pass_chance))} of plays, more than "
            f"{_percent(float(GUESS_PASS_LIMIT))}: add decision steps or plausible wrong choices, make fewer "
            "paths pass, or raise pass_score")
    if not any(_passes(spec, node) for node in graph.terminals):
        scores = [node[1] for node in graph.terminals
                  if not node[3] and spec.step(node[0]).outcome != FAIL]
        if scores:
            best = max(scores)
            reason = (f"the best score a play reaches on an ending other than '[end fail]' is {best} "
                      f"({spec.percent(best)}%), below pass_score {spec.pass_score}%")
        else:
            reason = "every play without a critical violation ends on an '[end fail]' ending"
        add(_pass_score_line(spec), f"no play can pass: {reason}; change the points, the branches "
            "or pass_score")
    return sorted(findings, key=lambda f: f.line)


def counts_known(ending: EndingSummary) -> bool:
    return ending.passed is not None and ending.failed is not None


def _mixed(spec: ScenarioSpec, graph: ScenarioGraph, step_id: str) -> bool:
    return (_reaches(spec, graph, step_id, passing=True)
            and _reaches(spec, graph, step_id, passing=False))


def _reaches(spec: ScenarioSpec, graph: ScenarioGraph, step_id: str, passing: bool) -> bool:
    return any(node[0] == step_id and not node[3] and _passes(spec, node) == passing
               for node in graph.terminals)


def _pass_score_line(spec: ScenarioSpec) -> int:
    for number, line in enumerate(spec.source.splitlines()[1:], start=2):
        if line.strip() == "---":
            break
        if line.startswith("pass_score"):
            return number
    return 1


def _backward(graph: ScenarioGraph, targets: Iterable[Node]) -> set[Node]:
    """The states from which some state in ``targets`` can be reached."""
    leads_to: dict[Node, list[Node]] = defaultdict(list)
    for node, out in graph.edges.items():
        for following, _ in out:
            leads_to[following].append(node)
    found = set(targets)
    todo = list(found)
    while todo:
        for before in leads_to[todo.pop()]:
            if before not in found:
                found.add(before)
                todo.append(before)
    return found


def _stuck(spec: ScenarioSpec, graph: ScenarioGraph) -> list[Finding]:
    """Steps from which, with the score a play has there, no ending can be reached."""
    if not graph.complete:
        return []
    can_end = _backward(graph, graph.terminals)
    stuck: dict[str, list[int]] = defaultdict(list)
    for node in graph.edges:
        if node not in can_end:
            stuck[node[0]].append(node[1])
    return [Finding(spec.path, spec.step(step_id).line,
                    f"from step '{step_id}' with score {min(scores)}"
                    + (f" to {max(scores)}" if max(scores) != min(scores) else "")
                    + " no ending can be reached: the branches send such plays round in a loop; "
                    "change the branch conditions")
            for step_id, scores in stuck.items()]


def _major_on_passing_paths(spec: ScenarioSpec, graph: ScenarioGraph) -> list[Finding]:
    """Each choice with a major violation that is on some path that passes."""
    passing = _backward(graph, [node for node in graph.terminals if _passes(spec, node)])
    flagged: dict[int, Choice] = {}
    for out in graph.edges.values():
        for following, choice in out:
            if _is_major(choice) and following in passing:
                flagged[choice.line] = choice
    return [Finding(spec.path, line,
                    f"choice '{_short(choice.text)}' (!{choice.violation.rule} major) is on paths that "
                    f"pass: a trainee can break '{choice.violation.rule_text}' and still pass; make "
                    "it cost enough points that those paths fall below pass_score, or make it critical")
            for line, choice in sorted(flagged.items()) if choice.violation is not None]

